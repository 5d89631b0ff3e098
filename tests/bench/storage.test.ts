/**
 * The storage phase's measurements (bench/storageSizes.ts, bench/storage.ts, bench/storageReport.ts),
 * on real components: document and index-key sizes read back from a real embedded server over the
 * driver and checked against `calculateObjectSize` of keys written out by hand; and the journal of
 * the real bench API child (dist/bench/serverProcess.js, built first) on a temporary data directory,
 * driven over HTTP: bytes, commits and fsyncs per create/PATCH/DELETE growing with K, and the
 * snapshot one compaction writes.
 */
import path from 'node:path';
import { BSON, ObjectId } from 'bson';
import mongoose from 'mongoose';
import { BenchChild } from '../../bench/children';
import { renderMarkdown, renderText, type BenchReport } from '../../bench/report';
import { parseArgs } from '../../bench/run';
import { login } from '../../bench/scenarios';
import type { SeedResult } from '../../bench/seedData';
import { apiEnv } from '../../bench/servers';
import { JOURNAL_MAX_BYTES, compactedSnapshot, dirSizes, journalPerOperation, metricValue } from '../../bench/storage';
import { COMPRESSION_NOTE, storageSections, type StorageReport } from '../../bench/storageReport';
import { collectionSizes, indexKeyBytes, indexKeyOf, measureSizes, type CollectionSizes } from '../../bench/storageSizes';
import { config } from '../../src/config';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded-mongo';
import { ROOT, buildIfNeeded } from '../helpers/serverProcess';
import { makeTempDir, removeDir } from '../helpers/tmp';

describe('storage options', () => {
  it('runs the storage phase in a full run, alone with --storage-only, never with --no-storage', () => {
    expect(parseArgs([])).toMatchObject({ storage: true, storageOnly: false });
    expect(parseArgs(['--no-storage'])).toMatchObject({ storage: false, storageOnly: false });
    expect(parseArgs(['--storage-only'])).toMatchObject({ storage: true, storageOnly: true, growth: false, peer: false, workers: 0 });
    expect(parseArgs(['--growth-only']).storage).toBe(false);
    expect(parseArgs(['--growth-only', '--storage']).storage).toBe(true);
  });

  it('refuses contradictory storage options', () => {
    expect(() => parseArgs(['--no-storage', '--storage-only'])).toThrow(/^--no-storage and --storage-only exclude each other$/);
    expect(() => parseArgs(['--no-storage', '--storage'])).toThrow(/^--no-storage and --storage exclude each other$/);
    expect(() => parseArgs(['--storage-only', '--growth-only'])).toThrow(/^--growth-only and --storage-only exclude each other$/);
  });
});

describe('index keys', () => {
  it('names the key fields as the key pattern does, follows dotted paths and reads a missing field as null', () => {
    const doc = { owner: '7', createdAt: 5, seq: 12, idem: { key: 'k1' } };
    expect(indexKeyOf(doc, { key: { owner: 1, createdAt: 1, seq: 1 } })).toEqual({ owner: '7', createdAt: 5, seq: 12 });
    expect(indexKeyOf(doc, { key: { 'idem.key': 1 } })).toEqual({ 'idem.key': 'k1' });
    expect(indexKeyOf({ owner: '7' }, { key: { owner: 1, updatedAt: 1 } })).toEqual({ owner: '7', updatedAt: null });
  });

  it('leaves a document missing every key field out of a sparse index, and only then', () => {
    expect(indexKeyOf({ owner: '7' }, { key: { 'idem.key': 1 }, sparse: true })).toBeNull();
    expect(indexKeyBytes({ owner: '7' }, { key: { 'idem.key': 1 }, sparse: true })).toBe(0);
    expect(indexKeyOf({ owner: '7' }, { key: { 'idem.key': 1 } })).toEqual({ 'idem.key': null });
    expect(indexKeyBytes({ idem: { key: 'abc' } }, { key: { 'idem.key': 1 }, sparse: true })).toBe(BSON.calculateObjectSize({ 'idem.key': 'abc' }));
  });
});

describe('document and index sizes on a real embedded server', () => {
  let server: EmbeddedServer;
  let conn: mongoose.Connection;
  const docs = [
    { _id: new ObjectId(), id: '1', seq: 1, owner: '7', text: 'short', createdAt: 1_767_225_600_000, updatedAt: 1_767_225_600_000 },
    { _id: new ObjectId(), id: '22', seq: 22, owner: '7', text: 'a somewhat longer text', createdAt: 1_767_225_601_000, updatedAt: 1_767_225_602_000 },
    { _id: new ObjectId(), id: '333', seq: 333, owner: '88', text: 'x', createdAt: 1_767_225_603_000, updatedAt: 1_767_225_603_000, idem: { key: 'key-1', hash: 'h', at: 1 } },
  ];
  const db = () => {
    if (!conn.db) throw new Error('not connected');
    return conn.db;
  };

  beforeAll(async () => {
    server = await startEmbeddedServer({ listen: 'socket', dataDir: ':memory:' });
    conn = await mongoose.createConnection(server.uri, { dbName: 'bench-storage-test' }).asPromise();
    const notes = db().collection('notes');
    await notes.createIndex({ id: 1 }, { unique: true });
    await notes.createIndex({ owner: 1, createdAt: 1, seq: 1 });
    await notes.createIndex({ 'idem.key': 1 }, { unique: true, sparse: true });
    // The app's own shape (models/Note.ts): compound, partial on the key's presence.
    await notes.createIndex({ owner: 1, 'idem.key': 1 }, { unique: true, partialFilterExpression: { 'idem.key': { $exists: true } } });
    await notes.insertMany(docs);
  });

  afterAll(async () => {
    await conn.close();
    await server.close();
  });

  const mean = (values: number[]) => Math.round((values.reduce((a, b) => a + b, 0) / docs.length) * 10) / 10;

  it('reads every stored document as BSON and each index listIndexes names, with its key bytes per document', async () => {
    const sizes = await collectionSizes(db(), 'notes');
    expect(sizes.documents).toBe(3);
    const docBytes = docs.map((d) => BSON.calculateObjectSize(d));
    expect(sizes.documentBytes).toEqual({ mean: mean(docBytes), min: Math.min(...docBytes), max: Math.max(...docBytes) });
    const byName = new Map(sizes.indexes.map((i) => [i.name, i]));
    expect([...byName.keys()].sort()).toEqual(['_id_', 'id_1', 'idem.key_1', 'owner_1_createdAt_1_seq_1', 'owner_1_idem.key_1']);
    // A partial index holds only the documents its filter matches: the one note with a key.
    const partialKey = BSON.calculateObjectSize({ owner: '88', 'idem.key': 'key-1' });
    expect(byName.get('owner_1_idem.key_1')).toMatchObject({ entries: 1, bytesPerDocument: mean([partialKey]), bytesPerEntry: partialKey });
    // The keys written out by hand: the _id (an ObjectId: 22 bytes), the id strings, the compound key, the one idem key.
    expect(byName.get('_id_')).toMatchObject({ entries: 3, bytesPerDocument: 22, bytesPerEntry: 22 });
    expect(byName.get('id_1')).toMatchObject({ unique: true, entries: 3, bytesPerDocument: mean(['1', '22', '333'].map((id) => BSON.calculateObjectSize({ id }))) });
    const compound = docs.map((d) => BSON.calculateObjectSize({ owner: d.owner, createdAt: d.createdAt, seq: d.seq }));
    expect(byName.get('owner_1_createdAt_1_seq_1')).toMatchObject({ entries: 3, bytesPerDocument: mean(compound) });
    const idemKey = BSON.calculateObjectSize({ 'idem.key': 'key-1' });
    expect(byName.get('idem.key_1')).toMatchObject({ sparse: true, unique: true, entries: 1, bytesPerDocument: mean([idemKey]), bytesPerEntry: idemKey });
    const total = sizes.indexes.reduce((sum, i) => sum + i.bytesPerDocument, 0);
    expect(sizes.indexBytesPerDocument).toBeCloseTo(total, 1);
  });

  it('sizes only the documents a filter selects', async () => {
    const sizes = await collectionSizes(db(), 'notes', { owner: '7' });
    expect(sizes.documents).toBe(2);
    expect(sizes.documentBytes.max).toBe(BSON.calculateObjectSize(docs[1]));
    expect(sizes.indexes.find((i) => i.name === 'idem.key_1')).toMatchObject({ entries: 0, bytesPerEntry: null });
    expect(sizes.indexes.find((i) => i.name === 'owner_1_idem.key_1')).toMatchObject({ entries: 0, bytesPerEntry: null });
  });

  it("records the server's statistics commands: their figures, or the error the server answered", async () => {
    const { collections, serverStats } = await measureSizes(db(), { collections: [{ name: 'notes' }], statsOf: 'notes' });
    expect(collections[0].documents).toBe(3);
    expect(serverStats.map((p) => p.command)).toEqual(['collStats notes', '$collStats notes', 'dbStats']);
    for (const probe of serverStats) {
      if (probe.ok) expect(probe.figures).toBeDefined();
      else expect(probe.error).toMatch(/\S/);
    }
  });
});

describe("the journal of the bench's API child, on disk", () => {
  let dir: string;
  let api: BenchChild;
  let token: string;
  let seeded: SeedResult;

  beforeAll(async () => {
    await buildIfNeeded();
    dir = makeTempDir('tn-storage-test-');
    api = await BenchChild.start({
      label: 'api-storage-test',
      // BenchChild forks its entry next to bench/children: the built child, as `npm run bench` runs it.
      entry: path.relative(path.join(ROOT, 'bench'), path.join(ROOT, 'dist', 'bench', 'serverProcess.js')),
      env: apiEnv(dir),
      echo: false,
      readyTimeoutMs: 60_000,
    });
    seeded = await api.request<SeedResult>('seed', { spec: { groups: [{ users: 1, notesPerUser: 20 }, { users: 3, notesPerUser: 5 }], password: 'storage-test-password' } });
    token = await login(api.url, seeded.benchUser);
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    removeDir(dir);
  });

  it('shows the journal counters on GET /metrics', async () => {
    const text = await (await fetch(`${api.url}/metrics`)).text();
    expect(metricValue(text, 'tn_journal_commits_total')).toBeGreaterThan(0);
    expect(metricValue(text, 'tn_journal_fsyncs_total')).toBeGreaterThan(0);
    expect(metricValue(text, 'tn_no_such_metric')).toBeNull();
  });

  it('sizes the seeded collections in the child', async () => {
    const { collections } = await api.request<{ collections: CollectionSizes[] }>('sizes', { collections: [{ name: 'notes' }, { name: 'users' }] });
    expect(collections.map((c) => [c.collection, c.documents])).toEqual([
      ['notes', 35],
      ['users', 4],
    ]);
    for (const c of collections) {
      expect(c.documentBytes.mean).toBeGreaterThan(0);
      expect(c.indexBytesPerDocument).toBeGreaterThan(0);
    }
  });

  it('counts journal bytes, commits and fsyncs per create, PATCH and DELETE, growing with K', async () => {
    const small = await journalPerOperation(api, dir, token, 2);
    const large = await journalPerOperation(api, dir, token, 6);
    expect(small.rows.map((r) => r.op)).toEqual(['create', 'patch', 'delete']);
    for (const [i, row] of large.rows.entries()) {
      expect(row.invalid).toBeUndefined();
      expect(row.bytesPerOperation).toBeGreaterThan(0);
      // One request at a time: every commit waits for its own fsync.
      expect(row.commitsPerOperation).toBeGreaterThanOrEqual(1);
      expect(row.fsyncsPerOperation).toBeGreaterThanOrEqual(1);
      expect(row.journalBytes).toBeGreaterThan(small.rows[i].journalBytes);
    }
    expect(large.posted).toMatchObject({ collection: 'notes', documents: 6 });
    expect(large.posted?.documentBytes.mean).toBeGreaterThan(0);
  }, 60_000);

  it('compacts the stopped directory once: a snapshot holding every note, and an empty journal', async () => {
    await api.stop();
    const before = dirSizes(dir);
    const snapshot = await compactedSnapshot(dir);
    const after = dirSizes(dir);
    expect(after.generation).toBe(before.generation + 1);
    expect(after.journalBytes).toBe(0);
    expect(after.snapshotBytes).toBe(snapshot.bytes);
    // The created notes were deleted again: the seeded notes are left.
    const notes = snapshot.collections.find((c) => c.collection === 'notes');
    expect(notes?.documents).toBe(35);
    expect(notes?.bytesPerDocument).toBeGreaterThan(0);
    expect(snapshot.replayMs).toBeGreaterThanOrEqual(0);
  }, 60_000);
});

describe('the storage section of the report', () => {
  it('uses the configured default TN_JOURNAL_MAX_MB', () => {
    expect(JOURNAL_MAX_BYTES).toBe(config.db.journalMaxBytes);
  });

  const sizes: CollectionSizes = {
    collection: 'notes',
    documents: 10,
    documentBytes: { mean: 206.5, min: 160, max: 250 },
    indexes: [{ name: 'id_1', key: { id: 1 }, unique: true, sparse: false, entries: 10, bytesPerDocument: 18, bytesPerEntry: 18 }],
    indexBytesPerDocument: 18,
  };
  const storage: StorageReport = {
    seeded: { notes: 10, users: 1 },
    documents: [sizes, { ...sizes, collection: 'users', documents: 1 }],
    posted: { text: 'x'.repeat(75), sizes },
    serverStats: [{ command: 'collStats notes', ok: false, error: "no such command: 'collStats'" }],
    embeddedMemory: { notes: 10, heapBytesPerNote: 4000, addedHeapBytesPerNote: 540, rssBytesPerNote: 12000, addedRssBytesPerNote: 900, growth: [] },
    journal: {
      afterSeed: { bytes: 3000, bytesPerDocument: 272.7 },
      operations: [{ op: 'create', operations: 100, journalBytes: 38_200, bytesPerOperation: 382, commitsPerOperation: 2, fsyncsPerOperation: 2, fsyncMsPerOperation: 3.5 }],
      burst: { connections: 50, durationSec: 1, rps: 500, unexpected: 0, journalBytes: 90_000, bytesPerSec: 90_000, commits: 1000, fsyncs: 100, fsyncsPerSec: 100, commitsPerFsync: 10, bytesPerCommit: 90 },
      atWriteBurst: { rps: 2000, bytesPerSec: 764_000 },
    },
    snapshot: { bytes: 5000, collections: [{ collection: 'notes', documents: 10, bytesPerDocument: 290.4 }], replayMs: 10, compactMs: 5 },
    compaction: { journalMaxBytes: JOURNAL_MAX_BYTES, createsPerCompaction: 175_678, secondsBetweenAtBurst: 745.7 },
  };

  it('prints every quantity with its unit and how it was obtained, and the compression note', () => {
    const [sizesSection, journalSection] = storageSections(storage);
    const rows = sizesSection.table?.rows ?? [];
    expect(rows.find((r) => r[0].startsWith('note document'))?.slice(1, 3)).toEqual(['206.5', 'bytes']);
    expect(rows.find((r) => r[0].includes('index id_1'))?.slice(1, 3)).toEqual(['18.0', 'bytes/note']);
    expect(rows.find((r) => r[0].startsWith("server's collStats"))?.[3]).toContain('no such command');
    expect(rows.find((r) => r[0] === "journal at this run's disk write burst")?.slice(1, 3)).toEqual(['764,000', 'bytes/s']);
    expect(rows.every((r) => r[3] !== undefined)).toBe(true);
    expect(sizesSection.lines).toContain(COMPRESSION_NOTE);
    expect(journalSection.table?.rows[0]).toEqual(['POST /notes', '100', '382.0', '2.00', '2.00', '3.50', '']);
    expect(storageSections(null)).toEqual([]);
  });

  it('appears in the text and markdown reports', () => {
    const report = {
      date: '2026-12-07T00:00:00.000Z',
      command: 'npm run bench -- --storage-only',
      machine: { cores: 2, cpuModel: 'cpu', memoryGiB: 8, node: 'v20', platform: 'linux', arch: 'x64' },
      config: { quick: true, connections: 10, durationSec: 1, warmupSec: 0, nodeEnv: 'production', dataset: [], modes: [], growthSizes: [], gitCommit: null, notes: [] },
      seeding: {},
      baselines: [],
      scenarios: [],
      apiMemory: {},
      growth: [],
      storage,
      durationSec: 1,
    } satisfies BenchReport;
    for (const text of [renderText(report), renderMarkdown(report)]) {
      expect(text).toContain('Storage: sizes and memory per document');
      expect(text).toContain('Storage: the journal per operation');
      expect(text).toContain('WiredTiger');
    }
  });
});
