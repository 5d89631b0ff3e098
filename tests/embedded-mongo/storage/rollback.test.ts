/**
 * A failed commit leaves no trace in memory, at the persistence seam: a Persistence whose
 * commits can be held and then failed (as a full disk fails a group commit), behind the real
 * server and the real driver. Every command whose changes were not made durable gets an error,
 * the catalog is exactly what it was, and no read ever returns a change that was rolled back.
 */
import { MongoClient, MongoServerError, type Db, type Document } from 'mongodb';
import { startEmbeddedServer, type EmbeddedServer, type Mutation, type Persistence } from '../../../src/embedded-mongo';
import type { PersistenceHealth } from '../../../src/embedded-mongo/storage/persistence';

interface Held {
  mutations: Mutation[];
  resolve(): void;
  reject(err: Error): void;
}

/**
 * Commits go through at once, or are held while `hold` is set until `release()` makes them
 * durable or `fail()` fails them all, as a journal's group commit does; after `fail()` every
 * commit is refused until `heal()`. Keeps the durable ones in `durable`.
 */
class GatedPersistence implements Persistence {
  hold = false;
  readonly held: Held[] = [];
  readonly durable: Mutation[][] = [];
  private failure: (Error & { code?: string }) | null = null;

  async load(): Promise<void> {}
  setSnapshotSource(): void {}
  async close(): Promise<void> {}

  commit(mutations: Mutation[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.hold) {
      this.durable.push(mutations);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.held.push({ mutations, resolve, reject }));
  }

  health(): PersistenceHealth {
    return this.failure ? { writable: false, lastError: this.failure.message, errorCode: this.failure.code } : { writable: true };
  }

  async recover(): Promise<PersistenceHealth> {
    return this.health();
  }

  /** Resolves once `n` commits are held. */
  async waitForHeld(n: number): Promise<void> {
    for (let i = 0; this.held.length < n; i++) {
      if (i > 500) throw new Error(`only ${this.held.length} of ${n} commits arrived`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  release(): void {
    this.hold = false;
    for (const h of this.held.splice(0)) {
      this.durable.push(h.mutations);
      h.resolve();
    }
  }

  fail(code = 'ENOSPC'): void {
    this.hold = false;
    this.failure = Object.assign(new Error(`${code}: the disk says no`), { code });
    for (const h of this.held.splice(0)) h.reject(this.failure);
  }

  heal(): void {
    this.failure = null;
  }
}

let persistence: GatedPersistence;
let server: EmbeddedServer;
let client: MongoClient;
let db: Db;

beforeEach(async () => {
  persistence = new GatedPersistence();
  server = await startEmbeddedServer({ persistence });
  client = await new MongoClient(server.uri, { maxPoolSize: 20 }).connect();
  db = client.db('app');
});
afterEach(async () => {
  await client.close();
  await server.close();
});

/** Everything a client can see of the database, in the order it is listed. */
async function everything(): Promise<Document> {
  const out: Document = {};
  for (const { name } of await db.listCollections().toArray()) {
    const coll = db.collection(name);
    out[name] = { docs: await coll.find().toArray(), indexes: await coll.listIndexes().toArray() };
  }
  return { dbs: (await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.map((d) => d.name), collections: out };
}

async function failure(p: Promise<unknown>): Promise<MongoServerError> {
  try {
    await p;
  } catch (err) {
    return err as MongoServerError;
  }
  throw new Error('expected the command to fail');
}

/** Runs `write` with its commit held, fails the commit, and returns the write's error. */
async function failWhileHeld(write: () => Promise<unknown>, commits = 1): Promise<MongoServerError> {
  persistence.hold = true;
  const pending = failure(write());
  await persistence.waitForHeld(commits);
  persistence.fail();
  return pending;
}

async function seed(): Promise<void> {
  const notes = db.collection('notes');
  await notes.createIndex({ owner: 1, at: -1 }, { name: 'by_owner' });
  await notes.createIndex({ id: 1 }, { unique: true, name: 'by_id' });
  await notes.insertMany([1, 2, 3, 4, 5].map((i) => ({ _id: i as never, id: `n${i}`, owner: i % 2 ? 'ann' : 'bob', at: i, text: `text ${i}` })));
  await db.collection('other').insertOne({ _id: 'x' as never });
}

describe('a failed commit is rolled back exactly', () => {
  it.each<[string, () => Promise<unknown>]>([
    ['insert', () => db.collection('notes').insertMany([{ _id: 6 as never, id: 'n6' }, { _id: 7 as never, id: 'n7' }])],
    ['insert into a new collection of a new database', () => client.db('fresh').collection('c').insertOne({ a: 1 })],
    ['update of several documents', () => db.collection('notes').updateMany({ owner: 'ann' }, { $set: { text: 'changed' }, $inc: { at: 10 } })],
    ['replace', () => db.collection('notes').replaceOne({ _id: 3 as never }, { id: 'n3', text: 'replaced' })],
    ['upsert', () => db.collection('notes').updateOne({ _id: 9 as never }, { $set: { id: 'n9' } }, { upsert: true })],
    ['findAndModify', () => db.collection('notes').findOneAndUpdate({ _id: 2 as never }, { $set: { text: 'fam' } })],
    ['delete from the middle (natural order comes back)', () => db.collection('notes').deleteMany({ _id: { $in: [2, 4] as never[] } })],
    ['findAndModify remove', () => db.collection('notes').findOneAndDelete({ _id: 1 as never })],
    ['createIndex', () => db.collection('notes').createIndex({ text: 1 }, { name: 'by_text' })],
    ['dropIndex (listing order comes back)', () => db.collection('notes').dropIndex('by_owner')],
    ['drop of a collection', () => db.collection('notes').drop()],
    ['dropDatabase', () => db.dropDatabase()],
    ['create', () => db.createCollection('made')],
  ])('%s', async (_name, write) => {
    await seed();
    const before = await everything();
    const err = await failWhileHeld(write);
    expect(err).toBeInstanceOf(MongoServerError);
    expect(err).toMatchObject({ code: 14031, codeName: 'OutOfDiskSpace' });
    expect(err.message).toMatch(/not made durable and has been rolled back: ENOSPC: the disk says no/);
    persistence.heal();
    expect(await everything()).toEqual(before);
    // The indexes work as before: the unique one still refuses a duplicate, lookups still find.
    await expect(db.collection('notes').insertOne({ id: 'n1' })).rejects.toMatchObject({ code: 11000 });
    expect(await db.collection('notes').find({ owner: 'ann' }).toArray()).toHaveLength(3);
  });

  it('fails and rolls back every command of one group commit, whatever order they came in', async () => {
    await seed();
    const before = await everything();
    persistence.hold = true;
    const notes = db.collection('notes');
    const writes = [
      notes.insertOne({ _id: 10 as never, id: 'n10' }),
      notes.updateOne({ _id: 10 as never }, { $set: { text: 'after the insert' } }, { upsert: true }),
      notes.deleteOne({ _id: 1 as never }),
      notes.updateOne({ _id: 2 as never }, { $inc: { at: 1 } }),
      notes.updateOne({ _id: 2 as never }, { $inc: { at: 1 } }),
      db.collection('counters').findOneAndUpdate({ _id: 'notes' as never }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' }),
      notes.insertOne({ _id: 11 as never, id: 'n11' }),
      notes.createIndex({ text: 1 }),
    ].map(failure);
    await persistence.waitForHeld(writes.length);
    persistence.fail();
    const errors = await Promise.all(writes);
    expect(errors.map((e) => e.code)).toEqual(Array(writes.length).fill(14031));
    persistence.heal();
    expect(await everything()).toEqual(before);
  });

  it('refuses writes at once while the persistence is not writable, applying nothing, and accepts them again after', async () => {
    await seed();
    persistence.fail('EIO');
    const before = persistence.durable.length;
    const err = await failure(db.collection('notes').insertOne({ _id: 20 as never }));
    // Not a full disk: MongoDB's WriteConcernFailed, marked as rolled back.
    expect(err).toMatchObject({ code: 64, codeName: 'WriteConcernFailed', errInfo: { rolledBack: true, errno: 'EIO' } });
    expect(await db.collection('notes').countDocuments({ _id: 20 as never })).toBe(0);
    // Writes that change nothing still answer.
    expect((await db.collection('notes').updateOne({ _id: 99 as never }, { $set: { a: 1 } })).matchedCount).toBe(0);
    persistence.heal();
    await db.collection('notes').insertOne({ _id: 20 as never });
    expect(persistence.durable.length).toBe(before + 1);
  });
});

describe('reads never return a change that is rolled back', () => {
  it('a read that sees a change waits until it is durable, and returns it then', async () => {
    await seed();
    persistence.hold = true;
    const update = db.collection('notes').updateOne({ _id: 1 as never }, { $set: { text: 'new' } });
    await persistence.waitForHeld(1);
    let answered = false;
    const read = db.collection('notes').findOne({ _id: 1 as never }).then((doc) => {
      answered = true;
      return doc;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    persistence.release();
    expect((await read)?.text).toBe('new');
    await update;
  });

  it('a read of another collection does not wait for a change it cannot see', async () => {
    await seed();
    persistence.hold = true;
    const update = db.collection('notes').updateOne({ _id: 1 as never }, { $set: { text: 'new' } });
    await persistence.waitForHeld(1);
    expect(await db.collection('other').findOne({ _id: 'x' as never })).toEqual({ _id: 'x' });
    persistence.release();
    await update;
  });

  it('a read racing a commit that fails answers with the state from before it', async () => {
    await seed();
    persistence.hold = true;
    const notes = db.collection('notes');
    const writes = [failure(notes.updateOne({ _id: 1 as never }, { $set: { text: 'rolled back' } })), failure(notes.insertOne({ _id: 30 as never, id: 'n30' })), failure(notes.deleteOne({ _id: 2 as never }))];
    await persistence.waitForHeld(3);
    const reads = [
      notes.findOne({ _id: 1 as never }),
      notes.find().sort({ _id: 1 }).toArray(),
      notes.countDocuments(),
      notes.distinct('text'),
      notes.aggregate([{ $match: { _id: 30 } }]).toArray(),
      // A write that changes nothing has read too: the duplicate key it would report is n30,
      // which is rolled back, so it runs again and never answers 11000.
      notes.insertOne({ _id: 31 as never, id: 'n30' }).then(
        () => 'inserted',
        (err: MongoServerError) => err.code,
      ),
    ];
    await new Promise((r) => setTimeout(r, 30));
    persistence.fail();
    await Promise.all(writes);
    persistence.heal();
    const [one, all, count, texts, agg] = await Promise.all(reads.slice(0, 5));
    expect((one as Document).text).toBe('text 1');
    expect((all as Document[]).map((d) => d._id)).toEqual([1, 2, 3, 4, 5]);
    expect(count).toBe(5);
    expect(texts).not.toContain('rolled back');
    expect(agg).toEqual([]);
    // Run again after the rollback: inserted, or refused because the storage still failed then.
    expect(['inserted', 14031]).toContain(await reads[5]);
  });
});

describe('capped collections: a failed insert gives back the documents it removed', () => {
  it('the oldest documents come back in their place, and the byte and count bounds hold as before', async () => {
    const logs = await db.createCollection('logs', { capped: true, size: 256 });
    for (let i = 1; i <= 4; i++) await logs.insertOne({ _id: i as never, s: 'x'.repeat(20) });
    const before = await everything();
    // A large document would remove several of the oldest; its commit fails.
    const err = await failWhileHeld(() => logs.insertOne({ _id: 5 as never, s: 'y'.repeat(150) }));
    expect(err).toMatchObject({ code: 14031 });
    persistence.heal();
    expect(await everything()).toEqual(before);
    // The running byte total was restored too: 4 documents of 42 bytes and one of 102 exceed 256
    // bytes by removing exactly the oldest.
    await logs.insertOne({ _id: 6 as never, s: 'x'.repeat(80) });
    expect((await logs.find().toArray()).map((d) => d._id)).toEqual([2, 3, 4, 6]);
    expect((await logs.find().sort({ $natural: -1 }).limit(1).toArray())[0]._id).toBe(6);
  });
});
