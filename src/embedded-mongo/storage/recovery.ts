/**
 * Start-up replay of a data directory (layout and crash-safety argument: journal.ts).
 * Newest snapshot, then the unbroken chain of journals from its generation on; only the
 * newest journal may lose a damaged tail, anything else damaged or missing stops start-up.
 */
import * as fs from 'node:fs';
import { scanRecords } from './framing';
import { fsyncDirSync, journalPath, listDir, snapshotPath } from './layout';
import type { Mutation } from './persistence';
import { readSnapshot } from './snapshot';

type Log = (level: 'info' | 'warn' | 'error', msg: string) => void;

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
  const fd = fs.openSync(file, newest ? 'r+' : 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const result = scanRecords(fd, size, (doc) => {
      for (const mutation of doc.m as Mutation[]) apply(mutation);
    });
    if (!result.damage) return size;
    const where = `at offset ${result.damage.offset} (${result.damage.reason})`;
    if (!newest) throw new Error(`journal ${file} is damaged ${where} but a newer journal exists, so this is not a torn write; restore ${dir} from a backup`);
    // Cut so that the next append starts at a record boundary and stays readable.
    fs.ftruncateSync(fd, result.goodEnd);
    fs.fsyncSync(fd);
    log('warn', `journal ${file}: dropped ${size - result.goodEnd} bytes ${where}; the ${result.records} records before it were kept, anything after the damage is lost`);
    return result.goodEnd;
  } finally {
    fs.closeSync(fd);
  }
}
