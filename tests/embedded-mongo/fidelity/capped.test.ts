/**
 * Capped collections, as MongoDB 7.0 makes them: `create` with `capped: true` and `size` (rounded
 * up to a multiple of 256 bytes) and optionally `max`; the oldest documents (natural order) are
 * removed by the insert that takes the collection over either bound; `sort: {$natural: -1}` reads
 * newest first; deletes and size-changing updates are allowed (5.0 / 5.3+); a TTL index (67) and
 * `$out` into one (17152) are refused; `create`'s errors are MongoDB's (IDL 14 / 51024, then 72).
 * Through the raw driver and mongoose; the restart tests (embedded only) check that the removals
 * are journaled and replayed.
 */
import { BSON, MongoClient, type Collection, type Document } from 'mongodb';
import { Schema } from 'mongoose';
import { startEmbeddedServer } from '../../../src/embedded-mongo';
import { makeTempDir, removeDir } from '../../helpers/tmp';
import { describeEmbedded, freshCollection, openTestDb, type TestDb } from '../helpers';
import { serverError } from './expectError';

let db: TestDb;

beforeAll(async () => {
  db = await openTestDb('capped');
});

afterAll(async () => {
  await db.close();
});

const fresh = (name: string, options: Document): Promise<Collection<Document>> => freshCollection(db, name, options);

/** The `options` listCollections shows for a collection. */
async function optionsOf(name: string): Promise<Document | undefined> {
  const [info] = await db.conn.db!.listCollections({ name }).toArray();
  return (info as Document | undefined)?.options as Document | undefined;
}

/** The `_id`s of a find, in the order returned. */
async function ids(coll: Collection<Document>, sort?: Document): Promise<unknown[]> {
  const cursor = coll.find({});
  if (sort) cursor.sort(sort);
  return (await cursor.toArray()).map((d) => d._id);
}

describe('MongoDB create: capped options and their errors', () => {
  it('size is rounded up to a multiple of 256 (CollectionOptions::fromCreateCommand); listCollections shows capped, size, max', async () => {
    await fresh('cap_round', { capped: true, size: 1000, max: 3 });
    expect(await optionsOf('cap_round')).toEqual({ capped: true, size: 1024, max: 3 });
    await fresh('cap_tiny', { capped: true, size: 1 });
    expect(await optionsOf('cap_tiny')).toEqual({ capped: true, size: 256 });
    await fresh('cap_exact', { capped: true, size: 4096 });
    expect(await optionsOf('cap_exact')).toEqual({ capped: true, size: 4096 });
    expect(await db.conn.db!.collection('cap_exact').isCapped()).toBe(true);
    await fresh('not_capped', { capped: false });
    expect(await db.conn.db!.collection('not_capped').isCapped()).toBe(false);
  });

  it("capped without size: InvalidOptions (72) \"the 'size' field is required when 'capped' is true\" (also with max)", async () => {
    for (const cmd of [{ create: 'cap_nosize', capped: true }, { create: 'cap_nosize', capped: true, max: 500 }]) {
      const err = await serverError(db.conn.db!.command(cmd));
      expect(err).toMatchObject({ code: 72, codeName: 'InvalidOptions' });
      expect(err.message).toBe("the 'size' field is required when 'capped' is true");
    }
  });

  it("size or max without capped: InvalidOptions (72) \"the 'capped' field needs to be true ...\"", async () => {
    for (const cmd of [{ create: 'cap_nocap', size: 4096 }, { create: 'cap_nocap', capped: false, max: 3 }]) {
      const err = await serverError(db.conn.db!.command(cmd));
      expect(err.code).toBe(72);
      expect(err.message).toBe("the 'capped' field needs to be true when either the 'size' or 'max' fields are present");
    }
    expect(await optionsOf('cap_nocap')).toBeUndefined();
  });

  it("size below 1: the IDL validator's 51024 \"BSON field 'size' value must be >= 1, actual value '0'\"", async () => {
    for (const size of [0, -500]) {
      const err = await serverError(db.conn.db!.command({ create: 'cap_zero', capped: true, size }));
      expect(err.code).toBe(51024);
      expect(err.message).toBe(`BSON field 'size' value must be >= 1, actual value '${size}'`);
    }
  });

  it("max of 2^31 or more: 51024 \"BSON field 'max' value must be < 2147483648\"", async () => {
    const err = await serverError(db.conn.db!.command({ create: 'cap_bigmax', capped: true, size: 4096, max: 2147483648 }));
    expect(err.code).toBe(51024);
    expect(err.message).toContain("BSON field 'max' value must be < 2147483648");
  });

  it('wrong types: TypeMismatch (14) naming the field and the accepted types', async () => {
    const size = await serverError(db.conn.db!.command({ create: 'cap_types', capped: true, size: 'foo' }));
    expect(size.code).toBe(14);
    expect(size.message).toContain("BSON field 'create.size' is the wrong type 'string', expected types '[long, int, decimal, double");
    const max = await serverError(db.conn.db!.command({ create: 'cap_types', capped: true, size: 500, max: 'foo' }));
    expect(max.message).toContain("BSON field 'create.max' is the wrong type 'string'");
    const capped = await serverError(db.conn.db!.command({ create: 'cap_types', capped: 'foo' }));
    expect(capped.code).toBe(14);
    expect(capped.message).toContain("BSON field 'create.capped' is the wrong type 'string', expected types '[bool, long, int, decimal, double");
  });
});

describe('MongoDB capped collections: the oldest documents make room', () => {
  it('raw driver: max 3 keeps the 3 newest, in insertion order; sort {$natural: -1} returns them newest first', async () => {
    const coll = await fresh('cap_max', { capped: true, size: 4096, max: 3 });
    for (let i = 1; i <= 5; i++) await coll.insertOne({ _id: i as never, n: i });
    expect(await ids(coll)).toEqual([3, 4, 5]);
    expect(await ids(coll, { $natural: -1 })).toEqual([5, 4, 3]);
    expect(await ids(coll, { $natural: 1 })).toEqual([3, 4, 5]);
    expect(await coll.countDocuments()).toBe(3);
    // One insertMany command: each insert trims as it goes.
    await coll.insertMany([6, 7, 8, 9].map((i) => ({ _id: i as never })));
    expect(await ids(coll)).toEqual([7, 8, 9]);
  });

  it('natural order is insertion order, not _id order', async () => {
    const coll = await fresh('cap_order', { capped: true, size: 4096, max: 3 });
    for (const id of [5, 1, 9, 3]) await coll.insertOne({ _id: id as never });
    expect(await ids(coll)).toEqual([1, 9, 3]);
    expect(await ids(coll, { $natural: -1 })).toEqual([3, 9, 1]);
  });

  it('size bound: the total BSON size of the documents stays within size; a large insert removes several', async () => {
    const coll = await fresh('cap_size', { capped: true, size: 256 });
    const doc = (i: number, len = 40): Document => ({ _id: i, s: 'x'.repeat(len) });
    const one = BSON.calculateObjectSize(doc(0));
    const fits = Math.floor(256 / one);
    for (let i = 1; i <= 10; i++) await coll.insertOne(doc(i));
    const kept = Array.from({ length: fits }, (_, k) => 10 - fits + 1 + k);
    expect(await ids(coll)).toEqual(kept);
    // A document of about 200 bytes leaves room for at most one small one.
    const big = doc(11, 200 - one + 40);
    await coll.insertOne(big);
    const left = await ids(coll);
    expect(left[left.length - 1]).toBe(11);
    const total = (await coll.find({}).toArray()).reduce((sum, d) => sum + BSON.calculateObjectSize(d), 0);
    expect(total).toBeLessThanOrEqual(256);
    expect(total + one).toBeGreaterThan(256);
  });

  it('deletes are allowed on a capped collection (MongoDB 5.0+)', async () => {
    const coll = await fresh('cap_delete', { capped: true, size: 4096, max: 5 });
    await coll.insertMany([1, 2, 3].map((i) => ({ _id: i as never })));
    expect((await coll.deleteOne({ _id: 2 as never })).deletedCount).toBe(1);
    expect(await ids(coll)).toEqual([1, 3]);
    const removed = await coll.findOneAndDelete({}, { sort: { $natural: -1 } });
    expect(removed).toEqual({ _id: 3 });
  });

  it('updates may change a document size (MongoDB 5.3+); only inserts remove documents', async () => {
    const coll = await fresh('cap_update', { capped: true, size: 256 });
    for (let i = 1; i <= 3; i++) await coll.insertOne({ _id: i as never, s: 'a' });
    await coll.updateOne({ _id: 1 as never }, { $set: { s: 'b'.repeat(150) } });
    expect(await ids(coll)).toEqual([1, 2, 3]);
    await coll.updateOne({ _id: 2 as never }, { $set: { s: 'c'.repeat(60) } });
    expect(await ids(coll)).toEqual([1, 2, 3]);
    // The next insert brings the collection back within 256 bytes, oldest first.
    await coll.insertOne({ _id: 4 as never, s: 'd' });
    expect(await ids(coll)).toEqual([2, 3, 4]);
  });

  it('an upsert that inserts also makes room', async () => {
    const coll = await fresh('cap_upsert', { capped: true, size: 4096, max: 2 });
    await coll.insertMany([1, 2].map((i) => ({ _id: i as never })));
    await coll.updateOne({ _id: 3 as never }, { $set: { v: 1 } }, { upsert: true });
    expect(await ids(coll)).toEqual([2, 3]);
  });

  it('a TTL index is refused: CannotCreateIndex (67) "Cannot create TTL index on a capped collection"', async () => {
    const coll = await fresh('cap_ttl', { capped: true, size: 4096 });
    const err = await serverError(coll.createIndex({ at: 1 }, { expireAfterSeconds: 60 }));
    expect(err).toMatchObject({ code: 67, codeName: 'CannotCreateIndex' });
    expect(err.message).toBe('Cannot create TTL index on a capped collection');
    await coll.createIndex({ at: 1 });
    expect((await coll.indexes()).map((i) => i.name)).toEqual(['_id_', 'at_1']);
  });

  it("$out into a capped collection: 17152 \"namespace '...' is capped so it can't be used for $out\"", async () => {
    await fresh('cap_out', { capped: true, size: 4096 });
    const src = await fresh('cap_out_src', {});
    await src.insertOne({ a: 1 });
    const err = await serverError(src.aggregate([{ $out: 'cap_out' }]).toArray());
    expect(err.code).toBe(17152);
    expect(err.message).toContain("is capped so it can't be used for $out");
  });
});

describe('MongoDB sort {$natural: ±1} (any collection)', () => {
  let coll: Collection<Document>;
  beforeAll(async () => {
    coll = await fresh('natural', {});
    await coll.insertMany([0, 1, 2, 3].map((i) => ({ _id: i as never, a: 3 - i })));
    await coll.createIndex({ a: 1 });
  });

  it('sorts in natural order forwards and backwards, with filter, skip and limit', async () => {
    expect(await ids(coll, { $natural: -1 })).toEqual([3, 2, 1, 0]);
    const page = await coll.find({}).sort({ $natural: -1 }).skip(1).limit(2).toArray();
    expect(page.map((d) => d._id)).toEqual([2, 1]);
    expect((await coll.find({ a: { $gte: 2 } }).sort({ $natural: -1 }).toArray()).map((d) => d._id)).toEqual([1, 0]);
  });

  it('anything but a lone 1 or -1 is BadValue (2) "$natural sort cannot be set to a value other than -1 or 1."', async () => {
    for (const sort of [{ $natural: 2 }, { $natural: 0 }, { $natural: 1, a: 1 }, { a: 1, $natural: -1 }]) {
      const err = await serverError(db.conn.db!.command({ find: 'natural', sort }));
      expect(err.code).toBe(2);
      expect(err.message).toBe('$natural sort cannot be set to a value other than -1 or 1.');
    }
  });

  it('an index hint is not allowed with it; a $natural hint must agree (BadValue)', async () => {
    const index = await serverError(db.conn.db!.command({ find: 'natural', sort: { $natural: 1 }, hint: { a: 1 } }));
    expect(index.code).toBe(2);
    expect(index.message).toBe('index hint not allowed with $natural sort order');
    const dir = await serverError(db.conn.db!.command({ find: 'natural', sort: { $natural: -1 }, hint: { $natural: 1 } }));
    expect(dir.message).toBe('$natural hint must be in the same direction as $natural sort order');
    expect(await coll.find({}).sort({ $natural: -1 }).hint({ $natural: -1 }).toArray()).toHaveLength(4);
  });

  it("is not an aggregation $sort key: 16410 \"FieldPath field names may not start with '$'\"", async () => {
    for (const pipeline of [[{ $sort: { $natural: -1 } }], [{ $match: {} }, { $sort: { $natural: 1 } }]]) {
      const err = await serverError(coll.aggregate(pipeline).toArray());
      expect(err.code).toBe(16410);
      expect(err.message).toMatch(/^FieldPath field names may not start with '\$'/);
    }
  });
});

describe('mongoose: a schema with capped {size, max}', () => {
  it('createCollection makes a capped collection; inserts beyond max drop the oldest; find returns insertion order', async () => {
    const Log = db.conn.model('CappedLog', new Schema({ m: String }, { capped: { size: 1024, max: 3 }, autoCreate: false }), 'capped_logs');
    await Log.createCollection();
    expect(await optionsOf('capped_logs')).toEqual({ capped: true, size: 1024, max: 3 });
    for (const m of ['a', 'b', 'c', 'd', 'e']) await Log.create({ m });
    expect((await Log.find().lean()).map((d) => d.m)).toEqual(['c', 'd', 'e']);
    expect((await Log.find().sort({ $natural: -1 }).lean()).map((d) => d.m)).toEqual(['e', 'd', 'c']);
    expect(await Log.countDocuments()).toBe(3);
  });

  it('Model.init() (autoCreate) creates it capped', async () => {
    const Event = db.conn.model('CappedEvent', new Schema({ n: Number }, { capped: { size: 1024, max: 2 } }), 'capped_events');
    await Event.init();
    expect(await db.conn.db!.collection('capped_events').isCapped()).toBe(true);
    await Event.insertMany([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect((await Event.find().lean()).map((d) => d.n)).toEqual([2, 3]);
  });
});

describeEmbedded('embedded server: capped removals are journaled and replayed', () => {
  it.each([
    ['through the journal', 64 * 1024 * 1024],
    ['through a snapshot', 1],
  ])('after a restart (%s) the same documents remain, and the bounds still hold', async (_label, journalMaxBytes) => {
    const dir = makeTempDir();
    try {
      const first = await startEmbeddedServer({ dataDir: dir, journalMaxBytes });
      const c1 = await new MongoClient(first.uri).connect();
      const byMax = await c1.db('app').createCollection('by_max', { capped: true, size: 4096, max: 3 });
      for (let i = 1; i <= 5; i++) await byMax.insertOne({ _id: i as never });
      const bySize = await c1.db('app').createCollection('by_size', { capped: true, size: 256 });
      for (let i = 1; i <= 10; i++) await bySize.insertOne({ _id: i as never, s: 'x'.repeat(40) });
      const sizeIds = await ids(bySize);
      await c1.close();
      await first.close();
      const second = await startEmbeddedServer({ dataDir: dir, journalMaxBytes });
      const c2 = await new MongoClient(second.uri).connect();
      try {
        const max2 = c2.db('app').collection('by_max');
        expect(await ids(max2)).toEqual([3, 4, 5]);
        const [info] = await c2.db('app').listCollections({ name: 'by_max' }).toArray();
        expect((info as Document).options).toEqual({ capped: true, size: 4096, max: 3 });
        await max2.insertOne({ _id: 6 as never });
        expect(await ids(max2)).toEqual([4, 5, 6]);
        // The byte total is rebuilt on replay: one more insert removes exactly one document.
        const size2 = c2.db('app').collection('by_size');
        expect(await ids(size2)).toEqual(sizeIds);
        await size2.insertOne({ _id: 11 as never, s: 'x'.repeat(40) });
        expect(await ids(size2)).toEqual([...sizeIds.slice(1), 11]);
      } finally {
        await c2.close();
        await second.close();
      }
    } finally {
      removeDir(dir);
    }
  });

  it('many inserts into a small capped collection stay fast (removal is O(removed), not a scan)', async () => {
    const coll = await fresh('cap_many', { capped: true, size: 1024 * 1024, max: 10 });
    const started = Date.now();
    for (let batch = 0; batch < 20; batch++) {
      await coll.insertMany(Array.from({ length: 500 }, (_, k) => ({ _id: (batch * 500 + k) as never })));
    }
    expect(await ids(coll)).toEqual(Array.from({ length: 10 }, (_, k) => 9990 + k));
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
