/**
 * The storage phase's section of the report (bench/storage.ts measures it): its JSON shape and its
 * two tables, every row with its unit and how it was obtained, plus the note on compression that
 * the sizes need to be read right.
 */
import type { Table } from './report';
import type { CollectionSizes, ServerStatsProbe } from './storageSizes';

/** Journal bytes, commits and fsyncs per operation of K sequential HTTP requests of one kind. */
export interface JournalOperation {
  op: 'create' | 'patch' | 'delete';
  operations: number;
  journalBytes: number;
  bytesPerOperation: number;
  commitsPerOperation: number;
  fsyncsPerOperation: number;
  fsyncMsPerOperation: number;
  /** Why the difference cannot be read (a compaction in between). */
  invalid?: string;
}

/** The journal during a POST /notes burst. */
export interface JournalTotals {
  connections: number;
  durationSec: number;
  rps: number;
  unexpected: number;
  journalBytes: number;
  bytesPerSec: number;
  commits: number;
  fsyncs: number;
  fsyncsPerSec: number;
  /** Group commit: write commands made durable by one fsync. */
  commitsPerFsync: number | null;
  bytesPerCommit: number | null;
  invalid?: string;
}

/** The snapshot a compaction writes. */
export interface SnapshotSizes {
  bytes: number;
  /** Framed snapshot bytes per stored document, by collection. */
  collections: Array<{ collection: string; documents: number; bytesPerDocument: number }>;
  /** Replaying the directory (journal) into memory: what a restart reads. */
  replayMs: number;
  compactMs: number;
}

export interface StorageReport {
  seeded: { notes: number; users: number };
  /** The seeded collections (notes, users): documents and index keys. */
  documents: CollectionSizes[];
  /** The notes created through POST /notes with `text`. */
  posted: { text: string; sizes: CollectionSizes } | null;
  /** collStats, $collStats and dbStats as the server answered them. */
  serverStats: ServerStatsProbe[];
  embeddedMemory: {
    notes: number;
    heapBytesPerNote: number;
    addedHeapBytesPerNote: number;
    rssBytesPerNote: number;
    /** (RSS once seeded − RSS of the empty server) ÷ notes. */
    addedRssBytesPerNote: number;
    /** The same run's growth points (bench/growth.ts), copied. */
    growth: Array<{ notes: number; heapBytesPerNote: number; addedHeapBytesPerNote: number; rssBytesPerNote: number | null }>;
  };
  journal: {
    /** The journal after seeding through insertMany (batches of 1,000 documents per commit). */
    afterSeed: { bytes: number; bytesPerDocument: number };
    operations: JournalOperation[];
    burst: JournalTotals;
    /** The run's write burst on disk (req/s) × journal bytes per create; null when not measured in this run. */
    atWriteBurst: { rps: number; bytesPerSec: number } | null;
  };
  snapshot: SnapshotSizes;
  compaction: {
    journalMaxBytes: number;
    createsPerCompaction: number | null;
    secondsBetweenAtBurst: number | null;
  };
}

/** Why the sizes are the RAM working set, not MongoDB's disk use. */
export const COMPRESSION_NOTE =
  'Sizes are uncompressed BSON, which is what a MongoDB server holds in its WiredTiger cache (the RAM working set). ' +
  'On disk WiredTiger compresses data blocks (snappy by default) and prefix-compresses index keys, and stores keys as KeyString ' +
  '(values without field names) plus a record id, so its files are smaller than these numbers; collStats would show both.';

function num(value: number | null | undefined, digits = 0): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function keyName(key: Record<string, unknown>): string {
  return `{${Object.entries(key)
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(', ')}}`;
}

function sizeRows(label: string, sizes: CollectionSizes, how: string): string[][] {
  const per = label === 'note' ? 'bytes/note' : `bytes/${label}`;
  const rows = [[`${label} document, mean BSON (min–max ${sizes.documentBytes.min}–${sizes.documentBytes.max})`, num(sizes.documentBytes.mean, 1), 'bytes', how]];
  for (const index of sizes.indexes) {
    const flags = [index.unique ? 'unique' : '', index.sparse ? 'sparse' : '', index.partial ? 'partial' : ''].filter(Boolean).join(', ');
    rows.push([
      `  index ${index.name} ${keyName(index.key)}${flags ? ` (${flags})` : ''}`,
      num(index.bytesPerDocument, 1),
      per,
      `${num(index.entries)} entries of ${num(sizes.documents)} documents; key as returnKey shows it, ${index.bytesPerEntry === null ? 'no entries' : `${num(index.bytesPerEntry, 1)} bytes/entry`}`,
    ]);
  }
  rows.push([`  all ${sizes.indexes.length} indexes`, num(sizes.indexBytesPerDocument, 1), per, 'listIndexes on the live database']);
  return rows;
}

/** Sizes and memory, one quantity per row: value, unit, how it was obtained. */
export function storageTable(s: StorageReport): Table {
  const rows: string[][] = [];
  const [notes, users] = s.documents;
  const seededHow = `every stored document as raw BSON (find, raw: true); seeded through insertMany, ${num(s.seeded.notes)} notes`;
  if (notes) rows.push(...sizeRows('note', notes, seededHow));
  if (s.posted) {
    const p = s.posted.sizes;
    rows.push([`note created by POST /notes (${s.posted.text.length}-char text)`, num(p.documentBytes.mean, 1), 'bytes', `${num(p.documents)} notes created over HTTP, read as raw BSON`]);
    rows.push([`  its ${p.indexes.length} indexes`, num(p.indexBytesPerDocument, 1), 'bytes/note', 'same listIndexes, over those notes']);
  }
  if (users) rows.push(...sizeRows('user', users, `every stored user as raw BSON; ${num(s.seeded.users)} seeded users`));
  for (const probe of s.serverStats) {
    rows.push([`server's ${probe.command}`, probe.ok ? 'answered' : 'refused', '', probe.ok ? JSON.stringify(probe.figures) : (probe.error ?? '')]);
  }
  const m = s.embeddedMemory;
  const heapHow = `heap of every isolate after a forced GC (bench/heap.ts) ÷ ${num(m.notes)} notes, this phase's server`;
  rows.push(['embedded server: heap per note', num(m.heapBytesPerNote), 'bytes/note', heapHow]);
  rows.push(['  added by each note (seeded − empty heap)', num(m.addedHeapBytesPerNote), 'bytes/note', heapHow]);
  rows.push(['  RSS per note', num(m.rssBytesPerNote), 'bytes/note', 'process RSS once seeded ÷ notes']);
  rows.push(['  RSS added by each note', num(m.addedRssBytesPerNote), 'bytes/note', '(RSS once seeded − RSS empty) ÷ notes; RSS is not collected first']);
  for (const g of m.growth) {
    rows.push([`  growth phase, ${num(g.notes)} notes: heap / added / RSS`, `${num(g.heapBytesPerNote)} / ${num(g.addedHeapBytesPerNote)} / ${num(g.rssBytesPerNote)}`, 'bytes/note', 'copied from this run\'s growth phase']);
  }
  const j = s.journal;
  rows.push(['journal after seeding', num(j.afterSeed.bytesPerDocument, 1), 'bytes/document', `${num(j.afterSeed.bytes)} bytes for ${num(s.seeded.notes + s.seeded.users)} documents (insertMany, 1,000 per commit)`]);
  const b = j.burst;
  const burstHow = `POST /notes × ${b.connections} connections, ${num(b.durationSec, 1)} s, ${num(b.rps)} req/s (${b.unexpected} unexpected); journal file sizes${b.invalid ? `; INVALID: ${b.invalid}` : ''}`;
  rows.push(['journal write rate under a POST burst', num(b.bytesPerSec), 'bytes/s', burstHow]);
  rows.push(['  fsyncs', num(b.fsyncsPerSec, 1), 'fsyncs/s', 'tn_journal_fsyncs_total (GET /metrics)']);
  rows.push(['  group commit', num(b.commitsPerFsync, 2), 'commits/fsync', 'tn_journal_commits_total ÷ tn_journal_fsyncs_total']);
  rows.push(['  bytes per commit', num(b.bytesPerCommit, 1), 'bytes/commit', 'journal bytes ÷ tn_journal_commits_total']);
  if (j.atWriteBurst) {
    rows.push(["journal at this run's disk write burst", num(j.atWriteBurst.bytesPerSec), 'bytes/s', `${num(j.atWriteBurst.rps)} req/s (write burst, disk) × journal bytes per create`]);
  }
  for (const snap of s.snapshot.collections) {
    rows.push([`snapshot per ${snap.collection} document`, num(snap.bytesPerDocument, 1), 'bytes/document', `framed records of ${num(snap.documents)} documents in the snapshot one compaction wrote`]);
  }
  rows.push(['snapshot file', num(s.snapshot.bytes), 'bytes', `replaying the journal took ${num(s.snapshot.replayMs)} ms, the compaction ${num(s.snapshot.compactMs)} ms`]);
  const c = s.compaction;
  rows.push(['journal compacts when it passes', num(c.journalMaxBytes / 1024 / 1024), 'MiB', 'TN_JOURNAL_MAX_MB (default 64), checked after each fsync']);
  rows.push(['  creates between compactions', num(c.createsPerCompaction), 'creates', 'TN_JOURNAL_MAX_MB ÷ journal bytes per create']);
  rows.push(['  time between compactions at the burst rate', num(c.secondsBetweenAtBurst, 1), 's', 'TN_JOURNAL_MAX_MB ÷ burst bytes/s']);
  return { head: ['quantity', 'value', 'unit', 'how obtained'], align: ['l', 'r', 'l', 'l'], rows };
}

/** Journal bytes, commits and fsyncs per create, PATCH and DELETE. */
export function journalTable(s: StorageReport): Table {
  return {
    head: ['operation (one at a time, HTTP)', 'operations', 'journal bytes/op', 'commits/op', 'fsyncs/op', 'fsync ms/op', ''],
    align: ['l', 'r', 'r', 'r', 'r', 'r', 'l'],
    rows: s.journal.operations.map((o) => [
      o.op === 'create' ? 'POST /notes' : `${o.op.toUpperCase()} /notes/{id}`,
      num(o.operations),
      num(o.bytesPerOperation, 1),
      num(o.commitsPerOperation, 2),
      num(o.fsyncsPerOperation, 2),
      num(o.fsyncMsPerOperation, 2),
      o.invalid ?? '',
    ]),
  };
}

/** The report's storage sections (title, table or lines), for report.ts's list of sections. */
export function storageSections(s: StorageReport | null | undefined): Array<{ title: string; table?: Table; lines?: string[] }> {
  if (!s) return [];
  return [
    { title: `Storage: sizes and memory per document (journal on disk, ${s.seeded.notes.toLocaleString('en-US')} notes seeded):`, table: storageTable(s), lines: ['', COMPRESSION_NOTE] },
    { title: 'Storage: the journal per operation (file sizes in the data directory; commits and fsyncs from GET /metrics, tn_journal_*):', table: journalTable(s) },
  ];
}
