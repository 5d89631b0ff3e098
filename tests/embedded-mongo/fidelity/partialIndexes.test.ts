/**
 * Partial indexes (`partialFilterExpression`) behave as in MongoDB 7.0, through mongoose and the
 * raw driver: the index holds only matching documents, a partial unique index constrains only
 * them, the planner uses it only for queries implying its filter, listIndexes shows the option,
 * and filters MongoDB refuses are refused with its codes. Valid against a real MongoDB 7.0 too,
 * except the restart test (embedded storage).
 */
import mongoose, { Schema } from 'mongoose';
import { startEmbeddedServer } from '../../../src/embedded-mongo';
import { makeTempDir, removeDir } from '../../helpers/tmp';
import { describeEmbedded, openTestDb, type TestDb, rawCollection, winningPlanText } from '../helpers';
import { codeOf } from './expectError';

let db: TestDb;

beforeAll(async () => {
  db = await openTestDb('partial');
});

afterAll(async () => {
  await db.close();
});

const raw = (name: string) => rawCollection(db, name);

describe('partial unique index through mongoose (MongoDB: uniqueness applies only to documents matching the filter)', () => {
  interface Account {
    email: string;
    active: boolean;
  }
  let Account: mongoose.Model<Account>;

  beforeAll(async () => {
    const schema = new Schema<Account>({ email: String, active: Boolean }, { autoIndex: false });
    schema.index({ email: 1 }, { unique: true, partialFilterExpression: { active: true } });
    Account = db.conn.model<Account>('PartialAccount', schema);
    await Account.syncIndexes();
  });

  test('duplicates outside the filter are accepted; a second matching one is E11000', async () => {
    await Account.create({ email: 'a@x', active: false });
    await Account.create({ email: 'a@x', active: false });
    await Account.create({ email: 'a@x', active: true });
    const err = await codeOf(Account.create({ email: 'a@x', active: true }));
    expect(err.code).toBe(11000);
    expect(err.message).toMatch(/E11000 duplicate key error collection: .*index: email_1 dup key: \{ email: "a@x" \}/);
    expect(await Account.countDocuments({ email: 'a@x' })).toBe(3);
  });

  test('an update moving a document into the filter is checked against the matching ones only', async () => {
    await Account.create({ email: 'b@x', active: true });
    const other = await Account.create({ email: 'b@x', active: false });
    const err = await codeOf(Account.updateOne({ _id: other._id }, { $set: { active: true } }).exec());
    expect(err.code).toBe(11000);
    await Account.updateOne({ _id: other._id }, { $set: { email: 'c@x', active: true } });
    expect(await Account.countDocuments({ active: true, email: { $in: ['b@x', 'c@x'] } })).toBe(2);
  });

  test('listIndexes returns the partialFilterExpression, and syncIndexes sees nothing to change', async () => {
    const indexes = await Account.listIndexes();
    expect(indexes.find((i) => i.name === 'email_1')).toMatchObject({ key: { email: 1 }, unique: true, partialFilterExpression: { active: true } });
    expect(await Account.syncIndexes()).toEqual([]);
    expect(await Account.diffIndexes()).toEqual({ toDrop: [], toCreate: [] });
  });
});

describe('partial index through the raw driver (MongoDB: the planner uses it only when the query implies the filter)', () => {
  const coll = () => raw('partial_raw');

  beforeAll(async () => {
    await coll().insertMany(Array.from({ length: 10 }, (_, i) => ({ x: i, a: i })));
    await coll().createIndex({ x: 1 }, { partialFilterExpression: { a: { $lt: 5 } } });
  });

  test('a query not implying the filter still finds every match (the index lacks some)', async () => {
    const found = await coll().find({ x: { $gte: 0 } }).sort({ x: 1 }).toArray();
    expect(found.map((d) => d.x as number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(await coll().countDocuments({ x: { $gte: 3 } })).toBe(7);
    const plan = await winningPlanText(coll().find({ x: { $gte: 0 } }));
    expect(plan).toContain('COLLSCAN');
  });

  test('a query implying the filter (a tighter range) is answered from the partial index', async () => {
    const filter = { x: { $gte: 1 }, a: { $lt: 3 } };
    expect((await coll().find(filter).sort({ x: 1 }).toArray()).map((d) => d.x as number)).toEqual([1, 2]);
    const plan = await winningPlanText(coll().find(filter));
    expect(plan).toContain('IXSCAN');
    expect(plan).toContain('"isPartial":true');
  });

  test('listIndexes shows the filter; the same key with another filter is another index', async () => {
    await coll().createIndex({ x: 1 }, { name: 'x_high', partialFilterExpression: { a: { $gte: 5 } } });
    const indexes = await coll().listIndexes().toArray();
    expect(indexes.filter((i) => JSON.stringify(i.key) === '{"x":1}').map((i) => [i.name, i.partialFilterExpression])).toEqual([
      ['x_1', { a: { $lt: 5 } }],
      ['x_high', { a: { $gte: 5 } }],
    ]);
    // MongoDB: dropping by a key pattern two indexes share is AmbiguousIndexKeyPattern (181); by name works.
    expect((await codeOf(coll().dropIndex({ x: 1 } as unknown as string))).code).toBe(181);
    await coll().dropIndex('x_high');
  });

  test('MongoDB 7.0 accepts $in, $or, $exists: true, $type and $and up to 4 levels', async () => {
    const c = raw('partial_ok');
    await c.createIndex({ p: 1 }, { name: 'in', partialFilterExpression: { s: { $in: ['a', 'b'] } } });
    await c.createIndex({ p: 1 }, { name: 'or', partialFilterExpression: { $or: [{ s: 'a' }, { t: { $gt: 1 } }] } });
    await c.createIndex({ p: 1 }, { name: 'ex', partialFilterExpression: { s: { $exists: true }, t: { $type: 'number' } } });
    await c.createIndex({ p: 1 }, { name: 'deep', partialFilterExpression: { $and: [{ $and: [{ $and: [{ s: 3 }] }] }] } });
    expect((await c.listIndexes().toArray()).map((i) => i.name as string)).toEqual(['_id_', 'in', 'or', 'ex', 'deep']);
  });
});

describe('queries over partial indexes give the same results as without any index (MongoDB: a partial index never changes results)', () => {
  const docs = [
    ...Array.from({ length: 12 }, (_, i) => ({ x: i % 4, a: i, s: i % 3 === 0 ? 'k' : 'j', y: i % 2 === 0 ? i : undefined })),
    { x: 1, a: [1, 10], s: ['k', 'z'] },
    { x: 2, a: '5', s: null, y: null },
    { x: 3, a: null },
    { x: 0, a: new Date(5), y: [null, 3] },
  ];
  const queries: mongoose.mongo.Filter<mongoose.mongo.Document>[] = [
    { x: 1 },
    { x: 1, a: { $gt: 3 } },
    { x: { $gte: 1 }, a: { $gte: 3 } },
    { x: { $lte: 2 }, a: { $gt: 4 } },
    { x: 2, a: 4 },
    { x: 2, a: 5 },
    { x: 1, a: { $in: [4, 10] } },
    { x: 1, a: { $in: [3, 10] } },
    { x: 2, a: '5' },
    { x: { $gte: 0 }, a: { $gt: '3' } },
    { x: 0, s: 'k' },
    { x: { $gte: 0 }, s: { $in: ['k'] } },
    { x: { $gte: 0 }, s: /k/ },
    { $or: [{ x: 1, a: 5 }] },
    { $and: [{ x: { $gte: 0 } }, { a: { $gt: 4 } }] },
    { x: { $gte: 0 }, y: null },
    { x: { $gte: 0 }, y: { $exists: true } },
    { x: { $gte: 0 }, y: { $gt: 2 } },
    { x: { $gte: 0 }, y: { $ne: null } },
  ];

  test('every query finds exactly what a collection scan of an unindexed twin finds', async () => {
    const indexed = raw('partial_same');
    const plain = raw('partial_same_plain');
    await indexed.createIndex({ x: 1 }, { name: 'x_a', partialFilterExpression: { a: { $gt: 3 } } });
    await indexed.createIndex({ x: 1 }, { name: 'x_s', partialFilterExpression: { s: 'k' } });
    await indexed.createIndex({ x: 1, y: 1 }, { name: 'x_y', partialFilterExpression: { y: { $exists: true } } });
    const rows = docs.map((d, i) => Object.fromEntries(Object.entries({ _id: i, ...d }).filter(([, v]) => v !== undefined)));
    await indexed.insertMany(rows as mongoose.mongo.Document[]);
    await plain.insertMany(rows as mongoose.mongo.Document[]);
    for (const q of queries) {
      const ids = async (c: mongoose.mongo.Collection) => (await c.find(q).toArray()).map((d) => d._id as unknown as number).sort((m, n) => m - n);
      expect({ q, ids: await ids(indexed) }).toEqual({ q, ids: await ids(plain) });
      expect({ q, n: await indexed.countDocuments(q) }).toEqual({ q, n: await plain.countDocuments(q) });
    }
  });
});

describe('partial filters MongoDB refuses (CannotCreateIndex 67 "Expression not supported in partial index")', () => {
  test.each([
    ['$ne', { a: { $ne: 1 } }],
    ['$exists: false', { a: { $exists: false } }],
    ['a regex', { a: /abc/ }],
    ['$nin', { a: { $nin: [1] } }],
    ['$elemMatch', { a: { $elemMatch: { $gt: 1 } } }],
  ])('%s is refused with 67', async (_label, filter) => {
    const err = await codeOf(raw('partial_bad').createIndex({ x: 1 }, { partialFilterExpression: filter }));
    expect(err.code).toBe(67);
    expect(err.message).toContain('Expression not supported in partial index');
  });

  test('deeper than internalPartialFilterExpressionMaxDepth (4) is refused with 67', async () => {
    const err = await codeOf(raw('partial_bad').createIndex({ x: 1 }, { partialFilterExpression: { $and: [{ $and: [{ $and: [{ $and: [{ x: 3 }] }] }] }] } }));
    expect(err.code).toBe(67);
  });

  test('$expr is not allowed (QueryFeatureNotAllowed 224); sparse with a partial filter is refused (67)', async () => {
    expect((await codeOf(raw('partial_bad').createIndex({ x: 1 }, { partialFilterExpression: { $expr: { $eq: ['$x', 5] } } }))).code).toBe(224);
    expect((await codeOf(raw('partial_bad').createIndex({ x: 1 }, { sparse: true, partialFilterExpression: { a: 1 } }))).code).toBe(67);
  });

  test('through mongoose, syncIndexes rejects with the same error and creates nothing', async () => {
    const schema = new Schema({ a: Number }, { autoIndex: false });
    schema.index({ a: 1 }, { partialFilterExpression: { a: { $ne: 0 } } });
    const M = db.conn.model('PartialRefused', schema);
    const err = await codeOf(M.syncIndexes());
    expect(err.code).toBe(67);
    expect((await M.listIndexes()).map((i) => i.name as string)).toEqual(['_id_']);
  });
});

describeEmbedded('partial index specs are persisted (embedded storage)', () => {
  test('the journal and a snapshot keep the filter across restarts; uniqueness stays partial', async () => {
    const dir = makeTempDir('tn-partial-');
    try {
      for (const journalMaxBytes of [undefined, 512]) {
        const first = await startEmbeddedServer({ dataDir: `${dir}/${journalMaxBytes ?? 'journal'}`, journalMaxBytes });
        const c1 = await mongoose.createConnection(first.uri, { dbName: 'p' }).asPromise();
        const coll1 = c1.collection('users');
        await coll1.createIndex({ email: 1 }, { unique: true, partialFilterExpression: { active: true } });
        for (let i = 0; i < 20; i++) await coll1.insertOne({ email: `u${i}`, active: i % 2 === 0, pad: 'x'.repeat(100) });
        if (journalMaxBytes) expect(first.storageStats()?.compactions ?? 0).toBeGreaterThan(0);
        await c1.close();
        await first.close();

        const second = await startEmbeddedServer({ dataDir: `${dir}/${journalMaxBytes ?? 'journal'}` });
        const c2 = await mongoose.createConnection(second.uri, { dbName: 'p' }).asPromise();
        const coll2 = c2.collection('users');
        expect((await coll2.listIndexes().toArray()).find((i) => i.name === 'email_1')).toMatchObject({ unique: true, partialFilterExpression: { active: true } });
        await coll2.insertOne({ email: 'u1', active: false });
        expect((await codeOf(coll2.insertOne({ email: 'u0', active: true }))).code).toBe(11000);
        await c2.close();
        await second.close();
      }
    } finally {
      removeDir(dir);
    }
  });
});
