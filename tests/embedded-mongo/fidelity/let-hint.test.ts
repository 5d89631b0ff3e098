/**
 * `let` variables (MongoDB 5.0+: find and aggregate take `let`, usable as `$$name` in `$expr` and
 * pipeline expressions) and `hint` (find, count, aggregate: an index by name or key pattern, or
 * `{$natural: 1 | -1}` for a collection scan), as MongoDB 7.0 handles them, including its errors.
 * Through mongoose and the raw driver; valid against MongoDB too, except the one block that
 * mirrors 7.0 specifically.
 */
import mongoose, { Schema } from 'mongoose';
import { describeEmbedded, openTestDb, type TestDb } from '../helpers';
import { serverError } from './expectError';

interface Item {
  n: number;
  tag?: string;
  opt?: number;
}

let db: TestDb;
let Item: mongoose.Model<Item>;
let raw: mongoose.mongo.Collection;

beforeAll(async () => {
  db = await openTestDb('let_hint');
  const schema = new Schema<Item>({ n: Number, tag: String, opt: Number });
  schema.index({ n: 1 });
  schema.index({ tag: 1, n: -1 }, { name: 'by_tag' });
  schema.index({ opt: 1 }, { sparse: true });
  Item = db.conn.model<Item>('Item', schema);
  await Item.init();
  raw = db.conn.db!.collection('items');
  await raw.insertMany([
    { n: 1, tag: 'a', opt: 10 },
    { n: 2, tag: 'b' },
    { n: 3, tag: 'a', opt: 30 },
    { n: 4, tag: 'c' },
  ]);
});

afterAll(async () => {
  await db.close();
});

const ns = (docs: object[]): number[] => docs.map((d) => (d as { n: number }).n);

describe('let variables (MongoDB 5.0+: $$name from the command\'s let)', () => {
  test('find: $expr reads a let variable (driver)', async () => {
    const docs = await raw.find({ $expr: { $gt: ['$n', '$$min'] } }, { let: { min: 2 }, sort: { n: 1 } }).toArray();
    expect(ns(docs)).toEqual([3, 4]);
  });

  test('let values are expressions, evaluated once', async () => {
    const docs = await raw.find({ $expr: { $eq: ['$n', '$$target'] } }, { let: { target: { $add: [1, 2] } } }).toArray();
    expect(ns(docs)).toEqual([3]);
  });

  test('aggregate: $match and $project read let variables (driver and mongoose)', async () => {
    const out = await raw
      .aggregate([{ $match: { $expr: { $eq: ['$tag', '$$t'] } } }, { $sort: { n: 1 } }, { $project: { _id: 0, n: 1, scaled: { $multiply: ['$n', '$$k'] } } }], { let: { t: 'a', k: 10 } })
      .toArray();
    expect(out).toEqual([
      { n: 1, scaled: 10 },
      { n: 3, scaled: 30 },
    ]);
    const viaMongoose = await Item.aggregate([{ $sort: { n: 1 } }, { $match: { $expr: { $lt: ['$n', '$$lim'] } } }, { $project: { _id: 0, n: 1 } }]).option({ let: { lim: 3 } });
    expect(viaMongoose).toEqual([{ n: 1 }, { n: 2 }]);
  });

  test('an undefined variable: 17276 "Use of undefined variable: nope"', async () => {
    const err = await serverError(raw.find({ $expr: { $eq: ['$n', '$$nope'] } }, { let: { other: 1 } }).toArray());
    expect(err.code).toBe(17276);
    expect(err.message).toMatch(/Use of undefined variable: nope/);
    const inPipeline = await serverError(raw.aggregate([{ $project: { v: '$$nope' } }], { let: { other: 1 } }).toArray());
    expect(inPipeline.code).toBe(17276);
  });

  test('a let name must start with a lowercase letter (16867) and hold only letters, digits and _ (16868)', async () => {
    const upper = await serverError(raw.find({}, { let: { Bad: 1 } }).toArray());
    expect(upper.code).toBe(16867);
    expect(upper.message).toMatch(/'Bad' starts with an invalid character for a user variable name/);
    const dash = await serverError(raw.aggregate([{ $match: {} }], { let: { 'a-b': 1 } }).toArray());
    expect(dash.code).toBe(16868);
  });
});

/** The index names an explain reports, wherever its format puts them. */
function explainedIndexes(explain: unknown): string[] {
  return [...JSON.stringify(explain).matchAll(/"indexName":"([^"]+)"/g)].map((m) => m[1]);
}

describe('hint', () => {
  test('by name or key pattern: the query uses that index (explain shows it) and returns the same documents', async () => {
    const byName = raw.find({ n: { $gte: 2 } }, { hint: 'by_tag', sort: { n: 1 } });
    expect(ns(await byName.toArray())).toEqual([2, 3, 4]);
    expect(explainedIndexes(await raw.find({ n: { $gte: 2 } }, { hint: 'by_tag' }).explain())).toContain('by_tag');
    expect(explainedIndexes(await raw.find({ n: { $gte: 2 } }, { hint: { tag: 1, n: -1 } }).explain())).toContain('by_tag');
    const viaMongoose = await Item.find({ tag: 'a' }).hint({ n: 1 }).sort({ n: -1 }).lean();
    expect(ns(viaMongoose)).toEqual([3, 1]);
    expect(explainedIndexes(await Item.find({ tag: 'a' }).hint({ n: 1 }).explain())).toContain('n_1');
  });

  test('{$natural: 1} forces a collection scan; {$natural: -1} reads in reverse natural order', async () => {
    const explain = await raw.find({ n: 2 }, { hint: { $natural: 1 } }).explain();
    expect(explainedIndexes(explain)).toEqual([]);
    expect(JSON.stringify(explain)).toMatch(/COLLSCAN/);
    expect(ns(await raw.find({}, { hint: { $natural: -1 } }).toArray())).toEqual([4, 3, 2, 1]);
  });

  test('a hinted sparse index returns only the documents it holds', async () => {
    expect(ns(await raw.find({}, { hint: 'opt_1' }).toArray()).sort()).toEqual([1, 3]);
  });

  test('count and aggregate take a hint', async () => {
    expect(await raw.countDocuments({ tag: 'a' }, { hint: 'n_1' })).toBe(2);
    expect(await Item.countDocuments({ tag: 'a' }).hint('by_tag')).toBe(2);
    const reply = await db.conn.db!.command({ count: 'items', query: { n: { $gt: 1 } }, hint: { n: 1 } });
    expect(reply.n).toBe(3);
    const out = await raw.aggregate([{ $match: { n: { $lte: 2 } } }, { $sort: { n: 1 } }, { $project: { _id: 0, n: 1 } }], { hint: 'by_tag' }).toArray();
    expect(out).toEqual([{ n: 1 }, { n: 2 }]);
  });

  test('a hint naming no index: BadValue (2) "hint provided does not correspond to an existing index"', async () => {
    const cases: Array<() => Promise<unknown>> = [
      () => raw.find({}, { hint: 'missing_1' }).toArray(),
      () => raw.find({}, { hint: { nope: 1 } }).toArray(),
      () => raw.countDocuments({}, { hint: 'missing_1' }),
      () => db.conn.db!.command({ count: 'items', query: {}, hint: 'missing_1' }),
      () => raw.aggregate([{ $match: {} }], { hint: 'missing_1' }).toArray(),
      () => Item.find({}).hint({ missing: 1 }).exec(),
    ];
    for (const run of cases) {
      const err = await serverError(run());
      expect(err.code).toBe(2);
      expect(err.message).toMatch(/hint provided does not correspond to an existing index/);
    }
  });
});

describeEmbedded('distinct has no hint in MongoDB 7.0 (added in 7.1)', () => {
  test('its parser rejects the unknown field: 40415', async () => {
    const err = await serverError(db.conn.db!.command({ distinct: 'items', key: 'n', hint: 'n_1' }));
    expect(err.code).toBe(40415);
  });
});
