/**
 * `npm run repair -- <dataDir>`: salvages a data directory that start-up refuses because of
 * damage (recovery.ts). Every intact record is kept, before and after each damaged region, of
 * the newest snapshot and of every journal after it; they are replayed in order into a catalog
 * and written out as a fresh generation (snapshot + empty journal), exactly like a compaction.
 * Each damaged file is kept under a new name, `<name>.corrupt-<time>`, which start-up ignores.
 * The report says, per file, which byte ranges were lost and how many records were kept.
 *
 * Order, so that a crash at any point leaves a directory that opens with nothing salvaged lost:
 * hard links to the damaged files first (no copy, no extra space), then the new snapshot as
 * `.tmp` and the new journal, fsynced, then the rename that makes them the newest generation
 * (older files are then ignored), then the old files are removed. Repair takes the directory's
 * lock, so it cannot run while a server owns the directory.
 */
import * as fs from 'node:fs';
import type { Document } from 'bson';
import { Catalog, applyMutation } from '../catalog';
import { RecordFile } from './framing';
import { fsyncDirSync, journalPath, listDir, snapshotPath, snapshotTmpPath } from './layout';
import { DirectoryLock } from './lock';
import type { Mutation } from './persistence';
import { isTornTail } from './recovery';
import { writeSnapshotSync } from './snapshot';

/** One byte range that could not be read as records. */
export interface LostRange {
  start: number;
  end: number;
  bytes: number;
  /** What was found at `start` (CRC mismatch, short payload...). */
  reason: string;
}

/** What repair found in one file. */
export interface FileReport {
  file: string;
  bytes: number;
  /** Intact records kept (a snapshot's trailer not counted). */
  records: number;
  mutations: number;
  lost: LostRange[];
  /** For the newest journal: the damage is a torn write at the end (never acknowledged). */
  tornTail: boolean;
  /** For snapshots: the trailer's count or digest does not match what is there. */
  trailerProblem?: string;
  /** Where the damaged original was kept, when it was damaged. */
  keptAs?: string;
}

/** The outcome of `repairDirectory`. */
export interface RepairReport {
  dir: string;
  files: FileReport[];
  /** Whether anything was damaged (otherwise nothing was changed). */
  damaged: boolean;
  /** The generation written, when something was repaired. */
  generation?: number;
  records: number;
  mutations: number;
  lostBytes: number;
  /** Problems that are not byte ranges: a gap in the chain of journals. */
  notes: string[];
}

/** Options of `repairDirectory`. */
export interface RepairOptions {
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
  /** Time stamp for the names of the kept damaged files; default now. */
  now?: Date;
}

/** Salvages `dir` (see the header comment) and reports what was kept and what was lost. */
export async function repairDirectory(dir: string, options: RepairOptions = {}): Promise<RepairReport> {
  const log = options.log ?? (() => undefined);
  if (!fs.existsSync(dir)) throw new Error(`data directory ${dir} does not exist`);
  const lock = await DirectoryLock.acquire(dir, { log });
  try {
    return repairLocked(dir, options.now ?? new Date());
  } finally {
    lock.release();
  }
}

function repairLocked(dir: string, now: Date): RepairReport {
  const listing = listDir(dir);
  const catalog = new Catalog();
  const apply = (m: Mutation): void => applyMutation(catalog, m);
  const report: RepairReport = { dir, files: [], damaged: false, records: 0, mutations: 0, lostBytes: 0, notes: [] };
  const base = listing.snapshots.at(-1);
  if (base !== undefined) report.files.push(salvageFile(snapshotPath(dir, base), 'snapshot', apply));
  const first = base ?? 1;
  const chain = listing.journals.filter((g) => g >= first);
  chain.forEach((gen, i) => {
    const expected = i === 0 ? first : chain[i - 1] + 1;
    if (gen !== expected) report.notes.push(`journals ${expected}-${gen - 1} are missing: whatever they held is lost`);
    report.files.push(salvageFile(journalPath(dir, gen), i === chain.length - 1 ? 'newest' : 'journal', apply));
  });
  if (base !== undefined && chain[0] !== base) report.notes.push(`journal-${base}.log, which goes with snapshot-${base}.bson, is missing`);
  for (const f of report.files) {
    report.records += f.records;
    report.mutations += f.mutations;
    report.lostBytes += f.lost.reduce((n, r) => n + r.bytes, 0);
  }
  // A torn tail alone is what start-up cuts by itself; anything else needs the new generation.
  report.damaged = report.notes.length > 0 || report.files.some((f) => f.lost.length > (f.tornTail ? 1 : 0) || f.trailerProblem !== undefined);
  if (!report.damaged) return report;

  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  for (const f of report.files) {
    if (f.lost.length === 0 && f.trailerProblem === undefined) continue;
    f.keptAs = `${f.file}.corrupt-${stamp}`;
    fs.linkSync(f.file, f.keptAs);
  }
  fsyncDirSync(dir);
  const gen = Math.max(0, ...listing.journals, ...listing.snapshots) + 1;
  const tmp = snapshotTmpPath(dir, gen);
  const snap = writeSnapshotSync(tmp, catalog.snapshot());
  try {
    fs.fsyncSync(snap.fd);
  } finally {
    fs.closeSync(snap.fd);
  }
  const journalFd = fs.openSync(journalPath(dir, gen), 'wx');
  fs.closeSync(journalFd);
  fsyncDirSync(dir);
  fs.renameSync(tmp, snapshotPath(dir, gen));
  fsyncDirSync(dir);
  for (const g of listing.journals) fs.rmSync(journalPath(dir, g), { force: true });
  for (const g of listing.snapshots) fs.rmSync(snapshotPath(dir, g), { force: true });
  fsyncDirSync(dir);
  report.generation = gen;
  return report;
}

/**
 * Reads every intact record of one file into `apply` and reports the damaged ranges. In the
 * newest journal, a torn write at the end (recovery.ts's rule) is left out like start-up does:
 * records after a tear were never acknowledged, and keeping them without what the tear lost
 * would not be a state that ever existed.
 */
function salvageFile(file: string, kind: 'snapshot' | 'journal' | 'newest', apply: (m: Mutation) => void): FileReport {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const records = new RecordFile(fd, size);
    const survey = records.salvage(0, () => undefined);
    const lastDamage = survey.damaged.at(-1);
    let cut = size;
    if (kind === 'newest' && lastDamage && isTornTail(records, lastDamage.start, survey.records.filter((r) => r.offset > lastDamage.start))) cut = lastDamage.start;
    let mutations = 0;
    let kept = 0;
    let trailer: { doc: Document; offset: number } | undefined;
    records.salvage(0, (doc, info) => {
      if (info.offset >= cut) return;
      if (kind === 'snapshot' && 'end' in doc) {
        trailer = { doc, offset: info.offset };
        return;
      }
      kept += 1;
      for (const m of doc.m as Mutation[]) {
        apply(m);
        mutations += 1;
      }
    });
    const lost = survey.damaged.map((d) => ({ start: d.start, end: d.start >= cut ? size : d.end, bytes: (d.start >= cut ? size : d.end) - d.start, reason: d.reason }));
    const report: FileReport = { file, bytes: size, records: kept, mutations, lost: lost.filter((r) => r.start <= cut), tornTail: cut < size };
    if (kind === 'snapshot') {
      const t = trailer?.doc;
      if (!t) report.trailerProblem = 'no trailer record: the snapshot is cut short';
      else if (Number(t.end) !== mutations) report.trailerProblem = `the trailer says ${String(t.end)} mutations, ${mutations} were found`;
      else if (t.sha256 !== undefined && survey.damaged.length === 0 && t.sha256 !== records.digest(trailer?.offset ?? 0)) report.trailerProblem = 'the SHA-256 in the trailer does not match the records before it';
    }
    return report;
  } finally {
    fs.closeSync(fd);
  }
}

/** The report as lines for a person. */
export function formatRepairReport(report: RepairReport): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const lines = [`repair of ${report.dir}:`];
  for (const f of report.files) {
    let line = `  ${f.file}: ${n(f.bytes)} bytes, ${n(f.records)} intact records (${n(f.mutations)} mutations) kept`;
    f.lost.forEach((r, i) => {
      const range = `bytes ${n(r.start)}-${n(r.end)} (${n(r.bytes)} bytes: ${r.reason})`;
      line += f.tornTail && i === f.lost.length - 1 ? `; cut a torn write at the end, never acknowledged: ${range}` : `; LOST ${range}`;
    });
    if (f.trailerProblem) line += `; ${f.trailerProblem}`;
    if (f.keptAs) line += `; damaged original kept as ${f.keptAs}`;
    lines.push(line);
  }
  for (const note of report.notes) lines.push(`  ${note}`);
  if (!report.damaged) {
    lines.push('nothing is damaged (a torn write at the end is cut by start-up itself); nothing was changed.');
  } else {
    lines.push(
      `lost ${n(report.lostBytes)} bytes; kept ${n(report.records)} records (${n(report.mutations)} mutations), written as generation ${report.generation} ` +
        `(snapshot-${report.generation}.bson, journal-${report.generation}.log). The server can start on this directory now.`,
    );
  }
  return lines.join('\n');
}
