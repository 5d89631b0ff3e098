/**
 * Start-up replay of a data directory (layout and crash-safety argument: journal.ts).
 * Newest snapshot, then the unbroken chain of journals from its generation on. Only the newest
 * journal may lose a damaged tail; anything else damaged or missing stops start-up.
 *
 * Torn tail or corruption? The journal writes one batch of records at a time and fsyncs it
 * before it writes the next, so only the last batch can be half on disk after a crash or power
 * cut (its pages in any order). Damage in the newest journal is therefore a torn write, cut off
 * with one warning, when every intact record after it belongs to that same last batch: there is
 * none, or all but the last of them say "more of this batch follows" (framing.ts), and so does
 * the damaged record when its header is still readable. Anything else means damage inside data
 * that was acknowledged: start-up refuses, names the file, the offset and what intact data
 * follows, and leaves the file as it is for `npm run repair`.
 */
import * as fs from 'node:fs';
import { RecordFile, type RecordInfo } from './framing';
import { fsyncDirSync, journalPath, listDir, snapshotPath } from './layout';
import type { Mutation } from './persistence';
import { readSnapshot } from './snapshot';

type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

/** Start-up found damage that is not a torn write; the directory is left untouched. */
export class CorruptDataError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'CorruptDataError';
  }
}

/** Replays `dir` through `apply`, tidies leftovers, and returns the generation to append to. */
export function recoverDirectory(dir: string, apply: (mutation: Mutation) => void, log: Log): { generation: number; journalBytes: number } {
  const listing = listDir(dir);
  for (const tmp of listing.temps) fs.rmSync(tmp, { force: true });
  const base = listing.snapshots.at(-1);
  if (base !== undefined) {
    const { mutations } = readSnapshot(snapshotPath(dir, base), apply);
    log('info', `loaded snapshot-${base}.bson (${mutations} mutations)`);
  }
  const first = base ?? 1;
  const chain = listing.journals.filter((g) => g >= first);
  const inconsistent = (detail: string): Error => new Error(`data directory ${dir} is inconsistent: ${detail}`);
  if (base === undefined && chain.length > 0 && chain[0] !== 1) throw inconsistent(`journals start at ${chain[0]} but there is no snapshot`);
  chain.forEach((gen, i) => {
    if (gen !== first + i) throw inconsistent(`expected ${journalPath(dir, first + i)}, found journal-${gen}.log`);
  });
  if (chain.length === 0) {
    if (base !== undefined) throw inconsistent(`snapshot-${base}.bson has no journal-${base}.log`);
    fs.closeSync(fs.openSync(journalPath(dir, 1), 'wx'));
    chain.push(1);
  }
  let journalBytes = 0;
  chain.forEach((gen, i) => (journalBytes += replayJournal(dir, gen, i === chain.length - 1, apply, log)));
  // Older generations are fully covered by the snapshot: leftovers of a compaction cut short.
  for (const g of listing.journals.filter((j) => j < first)) fs.rmSync(journalPath(dir, g), { force: true });
  for (const g of listing.snapshots.filter((s) => s < first)) fs.rmSync(snapshotPath(dir, g), { force: true });
  fsyncDirSync(dir);
  return { generation: chain[chain.length - 1], journalBytes };
}

/** Replays one journal and returns its (possibly truncated) size. */
function replayJournal(dir: string, gen: number, newest: boolean, apply: (mutation: Mutation) => void, log: Log): number {
  const file = journalPath(dir, gen);
  // Read-only until a torn tail is known to need cutting: a refused start must leave the file as it was.
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const records = new RecordFile(fd, size);
    const result = records.scan(0, (doc) => {
      for (const mutation of doc.m as Mutation[]) apply(mutation);
    });
    if (!result.damage) return size;
    const damage = result.damage;
    const where = `at offset ${damage.offset} (${damage.reason})`;
    const repairHint = `Start-up refused; the file is left as it is. Run \`npm run repair -- ${dir}\` to keep every intact record (the damaged file is kept as a copy) and see what was lost, or restore ${dir} from a backup.`;
    if (!newest) {
      throw new CorruptDataError(`journal ${file} is damaged ${where} but a newer journal exists, so this is not a torn write. ${repairHint}`, file, damage.offset);
    }
    const after = records.salvage(damage.offset + 1, () => undefined);
    if (!isTornTail(records, damage.offset, after.records)) {
      const firstIntact = after.records[0];
      const bytes = after.records.reduce((n, r) => n + r.bytes, 0);
      throw new CorruptDataError(
        `journal ${file} is corrupt ${where}: ${after.records.length} intact record(s) (${bytes} bytes) follow from offset ${firstIntact.offset}, ` +
          `so this is damage to acknowledged data, not a torn write. ${repairHint}`,
        file,
        damage.offset,
      );
    }
    // Cut so that the next append starts at a record boundary and stays readable.
    const rw = fs.openSync(file, 'r+');
    try {
      fs.ftruncateSync(rw, result.goodEnd);
      fs.fsyncSync(rw);
    } finally {
      fs.closeSync(rw);
    }
    const sameBatch = after.records.length > 0 ? ` (with ${after.records.length} intact record(s) of the same unacknowledged write batch after it)` : '';
    log('warn', `journal ${file}: dropped ${size - result.goodEnd} bytes ${where}${sameBatch}; the ${result.records} records before it were kept, a write torn by a crash was never acknowledged`);
    return result.goodEnd;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether damage at offset `at` of the newest journal, followed by the intact records `after`,
 * is a torn write: nothing intact follows, or the damage and all of it can be one write batch,
 * the last one written (see the header comment).
 */
export function isTornTail(records: RecordFile, at: number, after: RecordInfo[]): boolean {
  if (after.length === 0) return true;
  if (!after.slice(0, -1).every((r) => r.more)) return false;
  // A damaged record whose header still frames it exactly up to the next intact record tells
  // whether its own batch went on after it.
  const header = records.headerAt(at);
  return !(header && header.end === after[0].offset && !header.more);
}
