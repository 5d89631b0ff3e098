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
      const server = await startEmbeddedServer({ onCommand: recorder.onCommand });
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
    const server = await startEmbeddedServer({ onCommand: recorder.onCommand });
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

describeEmbedded('start-up failures (embedded only)', () => {
  test('a port already in use rejects start-up and closes the persistence', async () => {
    const first = await startEmbeddedServer();
    const persistence = new RecordingPersistence();
    await expect(startEmbeddedServer({ port: first.port, persistence })).rejects.toThrow(/EADDRINUSE/);
    expect(persistence.closed).toBe(true);
    await first.close();
  });
});
