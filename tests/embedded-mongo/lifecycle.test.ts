import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { startEmbeddedServer, type Mutation, type Persistence } from '../../src/embedded-mongo';
import { commandRecorder, describeEmbedded } from './helpers';

/** Counts the live TCP handles (listeners and sockets) of this process. */
function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
}

/**
 * The TCP handle count once it has dropped to `limit` (or after 2 s): a destroyed socket's
 * handle is released by libuv a loop turn or two later, longer on a loaded machine.
 */
async function tcpHandlesSettled(limit: number): Promise<number> {
  for (let waited = 0; tcpHandles() > limit && waited < 2000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return tcpHandles();
}

/** A Persistence that remembers commits, to check replay and the one-commit-per-command rule. */
class RecordingPersistence implements Persistence {
  readonly commits: Mutation[][] = [];
  closed = false;
  snapshot?: () => Iterable<Mutation>;
  constructor(private readonly stored: Mutation[] = []) {}
  async load(apply: (m: Mutation) => void): Promise<void> {
    for (const m of this.stored) apply(m);
  }
  async commit(mutations: Mutation[]): Promise<void> {
    this.commits.push(mutations);
  }
  setSnapshotSource(source: () => Iterable<Mutation>): void {
    this.snapshot = source;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const recorder = commandRecorder();
afterAll(() => recorder.flush());

describeEmbedded('server lifecycle (embedded only)', () => {
  test('20 start/connect/write/disconnect/close cycles leave no TCP handles behind', async () => {
    const before = tcpHandles();
    for (let i = 0; i < 20; i++) {
      const server = await startEmbeddedServer({ listen: 'tcp', onCommand: recorder.onCommand });
      const conn = await mongoose.createConnection(server.uri, { dbName: 'cycle' }).asPromise();
      await conn.db!.collection('things').insertOne({ i });
      await conn.close();
      await server.close();
    }
    // Handles other test files left closing may also go away meanwhile, hence "at most".
    expect(await tcpHandlesSettled(before)).toBeLessThanOrEqual(before);
  });

  test('close() also drops connections a client left open', async () => {
    const before = tcpHandles();
    const server = await startEmbeddedServer({ listen: 'tcp', onCommand: recorder.onCommand });
    const conn = await mongoose.createConnection(server.uri, { dbName: 'left-open' }).asPromise();
    await conn.db!.collection('x').insertOne({ a: 1 });
    await server.close();
    await conn.close(true);
    expect(await tcpHandlesSettled(before)).toBeLessThanOrEqual(before);
  });

  test('state is replayed from persistence, each write command commits once, snapshot covers the catalog', async () => {
    const stored: Mutation[] = [
      { op: 'createCollection', db: 'p', coll: 'c' },
      { op: 'createIndex', db: 'p', coll: 'c', index: { name: 'k_1', key: { k: 1 }, unique: true } },
      { op: 'put', db: 'p', coll: 'c', doc: { _id: 1, k: 'a' } },
      { op: 'put', db: 'p', coll: 'c', doc: { _id: 2, k: 'b' } },
      { op: 'delete', db: 'p', coll: 'c', id: 2 },
    ];
    const persistence = new RecordingPersistence(stored);
    const server = await startEmbeddedServer({ persistence, onCommand: recorder.onCommand });
    const conn = await mongoose.createConnection(server.uri, { dbName: 'p' }).asPromise();
    const c = conn.db!.collection('c');
    expect(await c.find().toArray()).toEqual([{ _id: 1, k: 'a' }]);
    const dup = await c.insertOne({ _id: 3 as never, k: 'a' }).catch((e: unknown) => e);
    expect((dup as mongoose.mongo.MongoServerError).code).toBe(11000);
    await c.insertMany([{ _id: 4 as never, k: 'd' }, { _id: 5 as never, k: 'e' }]);
    const last = persistence.commits[persistence.commits.length - 1];
    expect(last.map((m) => m.op)).toEqual(['put', 'put']);
    const snapshot = [...persistence.snapshot!()];
    expect(snapshot.filter((m) => m.op === 'put')).toHaveLength(3);
    expect(snapshot.some((m) => m.op === 'createIndex' && m.index.name === 'k_1')).toBe(true);
    await conn.close();
    await server.close();
    expect(persistence.closed).toBe(true);
  });
});

describeEmbedded('storage choice and the single commit point (embedded only)', () => {
  test('every write command reaches persistence as exactly one commit, made by the dispatcher', async () => {
    const persistence = new RecordingPersistence();
    const server = await startEmbeddedServer({ persistence, onCommand: recorder.onCommand });
    const conn = await mongoose.createConnection(server.uri, { dbName: 'once' }).asPromise();
    const db = conn.db!;
    const commitsOf = async (run: () => Promise<unknown>) => {
      const before = persistence.commits.length;
      await run();
      return persistence.commits.slice(before).map((batch) => batch.map((m) => m.op));
    };

    expect(await commitsOf(() => db.createCollection('a'))).toEqual([['createCollection']]);
    expect(await commitsOf(() => db.collection('a').createIndex({ k: 1 }, { unique: true }))).toEqual([['createIndex']]);
    expect(await commitsOf(() => db.collection('b').findOneAndUpdate({ _id: 'n' as never }, { $inc: { seq: 1 } }, { upsert: true }))).toEqual([
      ['createCollection', 'put'],
    ]);
    expect(await commitsOf(() => db.collection('b').findOneAndUpdate({ _id: 'n' as never }, { $inc: { seq: 1 } }))).toEqual([['put']]);
    expect(await commitsOf(() => db.collection('b').findOneAndDelete({ _id: 'n' as never }))).toEqual([['delete']]);
    expect(await commitsOf(() => db.collection('a').updateMany({}, { $set: { x: 1 } }))).toEqual([]);
    expect(await commitsOf(() => db.collection('a').insertMany([{ k: 1 }, { k: 2 }]))).toEqual([['put', 'put']]);
    expect(await commitsOf(() => db.collection('a').deleteMany({}))).toEqual([['delete', 'delete']]);
    expect(await commitsOf(() => db.collection('a').dropIndex('k_1'))).toEqual([['dropIndex']]);
    expect(await commitsOf(() => db.collection('a').drop())).toEqual([['dropCollection']]);
    expect(await commitsOf(() => db.dropDatabase())).toEqual([['dropDatabase']]);

    await conn.close();
    await server.close();
  });

  test('dataDir keeps the data in a journal across restarts; :memory: keeps nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-embedded-dir-'));
    const roundTrip = async (dataDir: string) => {
      const first = await startEmbeddedServer({ dataDir, onCommand: recorder.onCommand });
      const c1 = await mongoose.createConnection(first.uri, { dbName: 'kept' }).asPromise();
      await c1.db!.collection('things').insertOne({ name: 'kept' });
      await c1.close();
      await first.close();
      const second = await startEmbeddedServer({ dataDir, onCommand: recorder.onCommand });
      const c2 = await mongoose.createConnection(second.uri, { dbName: 'kept' }).asPromise();
      const found = await c2.db!.collection('things').countDocuments({ name: 'kept' });
      await c2.close();
      await second.close();
      return found;
    };
    try {
      expect(await roundTrip(dir)).toBe(1);
      expect(fs.readdirSync(dir).some((f) => f.startsWith('journal-'))).toBe(true);
      expect(await roundTrip(':memory:')).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeEmbedded('start-up failures (embedded only)', () => {
  test('a port already in use rejects start-up and closes the persistence', async () => {
    const first = await startEmbeddedServer({ listen: 'tcp' });
    const persistence = new RecordingPersistence();
    await expect(startEmbeddedServer({ listen: 'tcp', port: first.port, persistence })).rejects.toThrow(/EADDRINUSE/);
    expect(persistence.closed).toBe(true);
    await first.close();
  });
});
