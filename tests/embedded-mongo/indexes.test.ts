import mongoose, { Schema } from 'mongoose';
import { describeEmbedded, openTestDb, type TestDb } from './helpers';

interface User {
  email: string;
  name?: string;
  handle?: string;
}

interface Item {
  owner: string;
  updatedAt: Date;
  id: number;
  label: string;
}

let db: TestDb;
let User: mongoose.Model<User>;
let Item: mongoose.Model<Item>;

beforeAll(async () => {
  db = await openTestDb('indexes');
  User = db.conn.model<User>(
    'User',
    new Schema<User>({ email: { type: String, required: true, unique: true }, name: String, handle: { type: String, unique: true } }),
  );
  const itemSchema = new Schema<Item>({ owner: String, updatedAt: Date, id: Number, label: String });
  itemSchema.index({ owner: 1, updatedAt: 1, id: 1 });
  Item = db.conn.model<Item>('Item', itemSchema);
  await Promise.all([User.init(), Item.init()]);
});

afterAll(async () => {
  await db.close();
});

beforeEach(async () => {
  await Promise.all([User.deleteMany({}), Item.deleteMany({})]);
});

function expectDuplicateKey(err: unknown, field: string): void {
  expect(err).toBeInstanceOf(mongoose.mongo.MongoServerError);
  const e = err as mongoose.mongo.MongoServerError;
  expect(e.code).toBe(11000);
  expect(e.message).toMatch(new RegExp(`E11000 duplicate key error collection: .*index: ${field}_1 dup key`));
  // A bulk write error carries keyPattern on each write error instead.
  if (!(err instanceof mongoose.mongo.MongoBulkWriteError)) expect(Object.keys(e.keyPattern ?? {})).toEqual([field]);
}

describe('unique indexes', () => {
  test('listIndexes shows _id_ and the unique indexes mongoose created', async () => {
    const indexes = await User.collection.indexes();
    const byName = Object.fromEntries(indexes.map((i) => [i.name, i]));
    expect(byName._id_.key).toEqual({ _id: 1 });
    expect(byName.email_1).toMatchObject({ key: { email: 1 }, unique: true });
  });

  test('create with a taken email raises MongoServerError 11000', async () => {
    await User.create({ email: 'a@b.c', handle: 'a' });
    const err = await User.create({ email: 'a@b.c', handle: 'b' }).catch((e: unknown) => e);
    expectDuplicateKey(err, 'email');
    expect((err as mongoose.mongo.MongoServerError).keyValue).toEqual({ email: 'a@b.c' });
    expect(await User.countDocuments()).toBe(1);
  });

  test('ordered insertMany stops at the first duplicate; unordered reports every one', async () => {
    const ordered = await User.insertMany(
      [{ email: '1', handle: '1' }, { email: '1', handle: '2' }, { email: '3', handle: '3' }],
    ).catch((e: unknown) => e);
    expectDuplicateKey(ordered, 'email');
    expect(await User.countDocuments()).toBe(1);

    await User.deleteMany({});
    const unordered = (await User.insertMany(
      [{ email: 'x', handle: 'x' }, { email: 'x', handle: 'y' }, { email: 'z', handle: 'z' }, { email: 'z', handle: 'w' }],
      { ordered: false },
    ).catch((e: unknown) => e)) as mongoose.mongo.MongoBulkWriteError;
    expect(unordered.code).toBe(11000);
    expect(unordered.writeErrors).toHaveLength(2);
    expect(await User.countDocuments()).toBe(2);
  });

  test('updateOne and findOneAndUpdate into a taken value raise 11000 and change nothing', async () => {
    await User.create([{ email: 'one', handle: 'h1' }, { email: 'two', handle: 'h2' }]);
    const viaUpdate = await User.updateOne({ email: 'two' }, { $set: { email: 'one' } }).catch((e: unknown) => e);
    expectDuplicateKey(viaUpdate, 'email');
    const viaFind = await User.findOneAndUpdate({ email: 'two' }, { $set: { handle: 'h1' } }).catch((e: unknown) => e);
    expectDuplicateKey(viaFind, 'handle');
    const upsert = await User.updateOne({ email: 'three' }, { $set: { handle: 'h2' } }, { upsert: true }).catch((e: unknown) => e);
    expectDuplicateKey(upsert, 'handle');
    const two = await User.findOne({ email: 'two' }).lean();
    expect(two?.handle).toBe('h2');
    expect(await User.countDocuments()).toBe(2);
  });

  test('two documents missing a uniquely indexed field collide, as null', async () => {
    await User.create({ email: 'no-handle-1' });
    const err = await User.create({ email: 'no-handle-2' }).catch((e: unknown) => e);
    expectDuplicateKey(err, 'handle');
    expect((err as mongoose.mongo.MongoServerError).keyValue).toEqual({ handle: null });
  });

  test('a unique index over data with duplicates cannot be built', async () => {
    await Item.create([{ label: 'same' }, { label: 'same' }]);
    const err = await Item.collection.createIndex({ label: 1 }, { unique: true }).catch((e: unknown) => e);
    expect((err as mongoose.mongo.MongoServerError).code).toBe(11000);
  });
});

describe('concurrent counters', () => {
  test('100 concurrent upserting $inc on one id return 1..100', async () => {
    const Counter = db.conn.model('Counter', new Schema({ _id: String, seq: Number }, { versionKey: false }));
    const results = await Promise.all(
      Array.from({ length: 100 }, () => Counter.findOneAndUpdate({ _id: 'notes' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' }).lean()),
    );
    const seqs = results.map((r) => (r as { seq: number }).seq).sort((a, b) => a - b);
    expect(seqs).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});

describe('secondary index use', () => {
  beforeEach(async () => {
    const docs = Array.from({ length: 300 }, (_, i) => ({
      owner: `user${i % 30}`,
      updatedAt: new Date(Date.UTC(2024, 0, 1) + i * 1000),
      id: i,
      label: `l${i}`,
    }));
    await Item.insertMany(docs);
  });

  test('an equality on a compound-index prefix examines only the matching documents', async () => {
    const explained = (await Item.find({ owner: 'user7' }).explain('executionStats')) as unknown as {
      executionStats: { nReturned: number; totalDocsExamined: number };
    };
    const stats = Array.isArray(explained) ? (explained[0] as typeof explained) : explained;
    expect(stats.executionStats.nReturned).toBe(10);
    expect(stats.executionStats.totalDocsExamined).toBe(10);
  });

  test('results from an index are correct, filtered further and sorted', async () => {
    const found = await Item.find({ owner: 'user3', id: { $gte: 100 } }).sort({ id: -1 }).lean();
    expect(found.map((d) => d.id)).toEqual([273, 243, 213, 183, 153, 123]);
  });
});

describeEmbedded('planner counters (embedded only)', () => {
  test('equality on an indexed field counts only matching documents as examined', async () => {
    const Items = Item;
    await Items.insertMany(Array.from({ length: 200 }, (_, i) => ({ owner: `o${i % 50}`, id: i, label: 'x', updatedAt: new Date() })));
    const stats = db.server!.stats;
    const before = { ...stats };
    const found = await Items.find({ owner: 'o5' }).lean();
    expect(found).toHaveLength(4);
    expect(stats.docsExamined - before.docsExamined).toBe(4);
    expect(stats.indexedQueries - before.indexedQueries).toBe(1);

    const scanBefore = { ...stats };
    await Items.find({ label: 'x' }).lean();
    expect(stats.docsExamined - scanBefore.docsExamined).toBe(200);
    expect(stats.collectionScans - scanBefore.collectionScans).toBe(1);
  });
});

