/**
 * The storage phase (`--storage`, on in a full run; `--storage-only`; `--no-storage`): the storage
 * inputs of issue 17's capacity model, each measured on a real API child whose journal is on disk
 * (`TN_DATA_DIR` on a temporary directory, as the disk mode runs it):
 *
 * 1. memory per note in MongoDB's terms: the seeded notes' and users' BSON sizes and their index
 *    keys per index as `listIndexes` names them (bench/storageSizes.ts, in the child), the same for
 *    notes created through `POST /notes`, and what the server answers to collStats/dbStats;
 * 2. memory per note in the embedded server: the heap of every isolate after a forced GC, empty and
 *    seeded (bench/heap.ts), and RSS, at the seeded size; the growth phase's figures are copied
 *    next to them when the same run has them;
 * 3. the journal: bytes, commits and fsyncs per operation for K sequential creates, PATCHes and
 *    DELETEs over HTTP (file sizes in the data directory before and after; the counters from the
 *    child's `GET /metrics`, `tn_journal_*`), then a `POST /notes` burst at the write burst's
 *    connections for the journal's bytes/s and its group commit; the snapshot a compaction writes
 *    (the directory compacted once the child has stopped, by the same JournalPersistence) and
 *    when compaction happens (TN_JOURNAL_MAX_MB).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BSON } from 'bson';
import { Catalog, applyMutation } from '../src/embedded-mongo/catalog';
import { HEADER_BYTES } from '../src/embedded-mongo/storage/framing';
import { JournalPersistence } from '../src/embedded-mongo/storage/journal';
import { listDir, snapshotPath } from '../src/embedded-mongo/storage/layout';
import { readSnapshot } from '../src/embedded-mongo/storage/snapshot';
import type { BenchChild } from './children';
import type { HeapUsage } from './heap';
import type { MemoryStats } from './ipc';
import { measure, warmUp, type LoadOptions, type LoadResult } from './load';
import type { GrowthPoint } from './report';
import { SCENARIOS, WRITE_TEXT, login, sendOnce, type ScenarioContext } from './scenarios';
import type { SeedGroup, SeedResult } from './seedData';
import { startApi } from './servers';
import type { CollectionSizes, ServerStatsProbe, SizesRequest } from './storageSizes';
import type { JournalOperation, JournalTotals, SnapshotSizes, StorageReport } from './storageReport';

/**
 * src/config.ts's default TN_JOURNAL_MAX_MB in bytes: the API child runs with it (servers.ts's
 * apiEnv sets no TN_JOURNAL_MAX_MB). The journal compacts once its live file passes it.
 */
export const JOURNAL_MAX_BYTES = 64 * 1024 * 1024;

/** What the phase needs from the run. */
export interface StorageOptions {
  dataset: SeedGroup[];
  password: string;
  /** K: creates, then PATCHes, then DELETEs, one at a time. */
  operations: number;
  /** The burst: connections, warm-up (its writes are not counted) and duration. */
  burst: LoadOptions;
  /** The same run's write burst on disk, if measured: its req/s gives the projected journal rate. */
  writeBurstDisk?: LoadResult | null;
  /** The same run's growth points, whose heap per note is copied. */
  growth?: GrowthPoint[];
}

/** The journal's cumulative counters as GET /metrics shows them. */
export interface JournalCounters {
  commits: number;
  fsyncs: number;
  fsyncSeconds: number;
}

/** The data directory's files: journal bytes (every journal-<g>.log), snapshot bytes and the newest generation. */
export interface DirSizes {
  journalBytes: number;
  snapshotBytes: number;
  generation: number;
}

/** Sizes of the journal and snapshot files in `dir`. */
export function dirSizes(dir: string): DirSizes {
  const listing = listDir(dir);
  const size = (file: string) => fs.statSync(file).size;
  return {
    journalBytes: listing.journals.reduce((sum, g) => sum + size(path.join(dir, `journal-${g}.log`)), 0),
    snapshotBytes: listing.snapshots.reduce((sum, g) => sum + size(snapshotPath(dir, g)), 0),
    generation: listing.journals.at(-1) ?? 0,
  };
}

/** Reads one counter of the Prometheus text exposition (null when absent). */
export function metricValue(text: string, name: string): number | null {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : null;
}

/** The journal's counters from the API's GET /metrics (tn_journal_*). */
export async function journalCounters(baseUrl: string): Promise<JournalCounters> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`);
  const read = (name: string) => {
    const value = metricValue(text, name);
    if (value === null) throw new Error(`GET /metrics has no ${name}: is the journal on disk?`);
    return value;
  };
  return { commits: read('tn_journal_commits_total'), fsyncs: read('tn_journal_fsyncs_total'), fsyncSeconds: read('tn_journal_fsync_seconds_total') };
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Journal bytes, commits and fsyncs between two readings, per operation. */
function perOperation(op: JournalOperation['op'], count: number, files: [DirSizes, DirSizes], counters: [JournalCounters, JournalCounters]): JournalOperation {
  const [f0, f1] = files;
  const [c0, c1] = counters;
  const row: JournalOperation = {
    op,
    operations: count,
    journalBytes: f1.journalBytes - f0.journalBytes,
    bytesPerOperation: round((f1.journalBytes - f0.journalBytes) / count),
    commitsPerOperation: round((c1.commits - c0.commits) / count, 2),
    fsyncsPerOperation: round((c1.fsyncs - c0.fsyncs) / count, 2),
    fsyncMsPerOperation: round(((c1.fsyncSeconds - c0.fsyncSeconds) * 1000) / count, 2),
  };
  // A compaction in between moves data to a snapshot and starts an empty journal: no difference to read.
  if (f1.generation !== f0.generation) row.invalid = `the journal was compacted during the ${op}s (generation ${f0.generation} → ${f1.generation})`;
  return row;
}

/** Sends one request and throws unless it is answered with the expected status. */
async function send(baseUrl: string, req: Parameters<typeof sendOnce>[1]): Promise<void> {
  const { status, body } = await sendOnce(baseUrl, req);
  if (status !== req.expectedStatus) throw new Error(`${req.method} ${req.path} answered ${status}: ${JSON.stringify(body).slice(0, 200)}`);
}

/** K creates, K PATCHes of the created notes and K DELETEs of them, one at a time over HTTP; the journal and the counters read around each group. */
export async function journalPerOperation(
  api: Pick<BenchChild, 'url' | 'request'>,
  dir: string,
  token: string,
  operations: number,
): Promise<{ rows: JournalOperation[]; posted: CollectionSizes | null }> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const read = async () => ({ files: dirSizes(dir), counters: await journalCounters(api.url) });
  const rows: JournalOperation[] = [];
  const ids: string[] = [];
  let before = await read();
  for (let i = 0; i < operations; i++) {
    const { status, body } = await sendOnce(api.url, { method: 'POST', path: '/notes', headers, body: JSON.stringify({ text: WRITE_TEXT }), expectedStatus: 201 });
    const id = (body as { id?: unknown } | null)?.id;
    if (status !== 201 || typeof id !== 'string') throw new Error(`POST /notes answered ${status}: ${JSON.stringify(body).slice(0, 200)}`);
    ids.push(id);
  }
  let after = await read();
  rows.push(perOperation('create', operations, [before.files, after.files], [before.counters, after.counters]));
  const sized = await api.request<{ collections: CollectionSizes[] }>('sizes', { collections: [{ name: 'notes', filter: { id: { $in: ids } } }] } satisfies SizesRequest);
  const steps = [
    { op: 'patch' as const, method: 'PATCH' as const, body: JSON.stringify({ text: `${WRITE_TEXT} (edited)` }), expectedStatus: 204 },
    { op: 'delete' as const, method: 'DELETE' as const, body: undefined, expectedStatus: 204 },
  ];
  for (const step of steps) {
    before = after;
    for (const id of ids) await send(api.url, { method: step.method, path: `/notes/${id}`, headers, body: step.body, expectedStatus: step.expectedStatus });
    after = await read();
    rows.push(perOperation(step.op, operations, [before.files, after.files], [before.counters, after.counters]));
  }
  return { rows, posted: sized.collections[0] ?? null };
}

/**
 * The data directory's sizes and the journal's counters once writes have stopped: read until two
 * readings 200 ms apart agree (at most `maxMs`), so requests still in flight when a load run ended
 * are counted on both sides.
 */
async function settledReading(dir: string, baseUrl: string, maxMs = 5_000): Promise<{ files: DirSizes; counters: JournalCounters }> {
  const read = async () => ({ files: dirSizes(dir), counters: await journalCounters(baseUrl) });
  const deadline = performance.now() + maxMs;
  let last = await read();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const next = await read();
    const same = next.files.journalBytes === last.files.journalBytes && next.counters.commits === last.counters.commits;
    if (same || performance.now() > deadline) return next;
    last = next;
  }
}

/**
 * POST /notes at `load.connections`: a warm-up (not counted), then `load.durationSec` with the
 * journal read before and after: its bytes/s, fsyncs/s and commits per fsync (group commit).
 */
async function journalUnderBurst(api: BenchChild, dir: string, ctx: ScenarioContext, load: LoadOptions): Promise<JournalTotals> {
  const create = SCENARIOS.find((s) => s.key === 'create');
  if (!create) throw new Error('no create scenario');
  const req = create.request(ctx);
  if (load.warmupSec > 0) await warmUp(api.url, req, load.connections, load.warmupSec);
  const { files: f0, counters: c0 } = await settledReading(dir, api.url);
  const result = await measure(api.url, req, { ...load, warmupSec: 0 });
  const { files: f1, counters: c1 } = await settledReading(dir, api.url);
  const bytes = f1.journalBytes - f0.journalBytes;
  const commits = c1.commits - c0.commits;
  const fsyncs = c1.fsyncs - c0.fsyncs;
  const totals: JournalTotals = {
    connections: load.connections,
    durationSec: result.durationSec,
    rps: Math.round(result.rps),
    unexpected: result.unexpected,
    journalBytes: bytes,
    bytesPerSec: Math.round(bytes / result.durationSec),
    commits,
    fsyncs,
    fsyncsPerSec: round(fsyncs / result.durationSec),
    commitsPerFsync: fsyncs > 0 ? round(commits / fsyncs, 2) : null,
    bytesPerCommit: commits > 0 ? round(bytes / commits) : null,
  };
  if (f1.generation !== f0.generation) totals.invalid = `the journal was compacted during the burst (generation ${f0.generation} → ${f1.generation})`;
  return totals;
}

/**
 * Opens the stopped child's data directory with the journal persistence, replays it into a catalog
 * and compacts it once: the snapshot a compaction writes, its bytes per document by collection
 * (each record's framed size), and how long the replay (a restart) and the compaction took.
 */
export async function compactedSnapshot(dir: string): Promise<SnapshotSizes> {
  const journal = new JournalPersistence({ dir, log: () => undefined });
  const catalog = new Catalog();
  const t0 = performance.now();
  await journal.load((m) => applyMutation(catalog, m));
  const replayMs = performance.now() - t0;
  journal.setSnapshotSource(() => catalog.snapshot());
  const t1 = performance.now();
  try {
    await journal.compact();
  } finally {
    await journal.close();
  }
  const compactMs = performance.now() - t1;
  const generation = listDir(dir).snapshots.at(-1);
  if (generation === undefined) throw new Error(`no snapshot in ${dir} after compact()`);
  const file = snapshotPath(dir, generation);
  const byCollection = new Map<string, { documents: number; bytes: number }>();
  readSnapshot(file, (m) => {
    if (m.op !== 'put') return;
    const entry = byCollection.get(m.coll) ?? { documents: 0, bytes: 0 };
    entry.documents += 1;
    entry.bytes += HEADER_BYTES + BSON.calculateObjectSize({ m: [m] });
    byCollection.set(m.coll, entry);
  });
  return {
    bytes: fs.statSync(file).size,
    collections: [...byCollection].map(([collection, e]) => ({ collection, documents: e.documents, bytesPerDocument: round(e.bytes / e.documents) })),
    replayMs: Math.round(replayMs),
    compactMs: Math.round(compactMs),
  };
}

/** The heap per note at the seeded size, and the growth phase's where the run has it. */
function embeddedMemory(
  heap: [HeapUsage, HeapUsage],
  rss: [MemoryStats, MemoryStats],
  notes: number,
  growth: GrowthPoint[],
): StorageReport['embeddedMemory'] {
  const MiB = 1024 * 1024;
  return {
    notes,
    heapBytesPerNote: Math.round(heap[1].totalBytes / notes),
    addedHeapBytesPerNote: Math.round((heap[1].totalBytes - heap[0].totalBytes) / notes),
    rssBytesPerNote: Math.round((rss[1].rssMiB * MiB) / notes),
    addedRssBytesPerNote: Math.round(((rss[1].rssMiB - rss[0].rssMiB) * MiB) / notes),
    growth: growth
      .filter((g) => g.heap)
      .map((g) => ({ notes: g.totalNotes, heapBytesPerNote: g.heap?.bytesPerNote ?? 0, addedHeapBytesPerNote: g.heap?.addedBytesPerNote ?? 0, rssBytesPerNote: g.rssBytesPerNote ?? null })),
  };
}

/** The journal's bytes/s at the req/s the run's write burst reached on disk: req/s × journal bytes per create. */
function projected(writeBurstDisk: LoadResult | null | undefined, creates: JournalOperation | undefined): StorageReport['journal']['atWriteBurst'] {
  if (!writeBurstDisk || !creates || creates.invalid) return null;
  return { rps: Math.round(writeBurstDisk.rps), bytesPerSec: Math.round(writeBurstDisk.rps * creates.bytesPerOperation) };
}

/** Runs the storage phase on a fresh API child with its journal in a temporary directory. */
export async function runStorage(options: StorageOptions, log: (message: string) => void): Promise<StorageReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-bench-storage-'));
  // Also on Ctrl-C, which exits without running the finally blocks.
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  process.once('exit', remove);
  let api: BenchChild | null = null;
  try {
    log(`storage: API with its journal in ${dir}; seeding`);
    api = await startApi('api-storage', dir);
    const empty = await api.request<HeapUsage>('heap');
    const emptyStats = await api.request<MemoryStats>('stats');
    const seeded = await api.request<SeedResult>('seed', { spec: { groups: options.dataset, password: options.password } });
    const heap = await api.request<HeapUsage>('heap');
    const stats = await api.request<MemoryStats>('stats');
    const afterSeed = dirSizes(dir);
    log(`  seeded ${seeded.notes.toLocaleString('en-US')} notes, ${seeded.users} users; journal ${afterSeed.journalBytes.toLocaleString('en-US')} bytes`);
    const sizes = await api.request<{ collections: CollectionSizes[]; serverStats: ServerStatsProbe[] }>('sizes', {
      collections: [{ name: 'notes' }, { name: 'users' }],
      statsOf: 'notes',
    } satisfies SizesRequest);
    const token = await login(api.url, seeded.benchUser);
    log(`  ${options.operations} creates, PATCHes and DELETEs, one at a time`);
    const { rows, posted } = await journalPerOperation(api, dir, token, options.operations);
    log(`  POST /notes × ${options.burst.connections} connections for ${options.burst.durationSec} s`);
    const ctx: ScenarioContext = { token, userId: seeded.benchUser.id, noteId: '', etag: '', patchNoteId: '' };
    const burst = await journalUnderBurst(api, dir, ctx, options.burst);
    await api.stop();
    api = null;
    const snapshot = await compactedSnapshot(dir);
    const creates = rows.find((r) => r.op === 'create');
    const report: StorageReport = {
      seeded: { notes: seeded.notes, users: seeded.users },
      documents: sizes.collections,
      posted: posted ? { text: WRITE_TEXT, sizes: posted } : null,
      serverStats: sizes.serverStats,
      embeddedMemory: embeddedMemory([empty, heap], [emptyStats, stats], seeded.notes, options.growth ?? []),
      journal: {
        afterSeed: { bytes: afterSeed.journalBytes, bytesPerDocument: round(afterSeed.journalBytes / (seeded.notes + seeded.users)) },
        operations: rows,
        burst,
        atWriteBurst: projected(options.writeBurstDisk, creates),
      },
      snapshot,
      compaction: {
        journalMaxBytes: JOURNAL_MAX_BYTES,
        createsPerCompaction: creates && creates.bytesPerOperation > 0 ? Math.round(JOURNAL_MAX_BYTES / creates.bytesPerOperation) : null,
        secondsBetweenAtBurst: burst.bytesPerSec > 0 ? round(JOURNAL_MAX_BYTES / burst.bytesPerSec) : null,
      },
    };
    return report;
  } finally {
    await api?.stop();
    remove();
    process.off('exit', remove);
  }
}
