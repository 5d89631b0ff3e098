/**
 * Projections as MongoDB 7.0 returns them: positional `$` returns the first array element the
 * query matched; `$slice` (`n`, `-n`, `[skip, n]`, on non-arrays, alone or with exclusions —
 * every other field returned — or with inclusions, as since MongoDB 4.4); `$elemMatch`; and
 * fields in the document's own order (`_id` first). Through the raw driver and mongoose.
 */
import mongoose from 'mongoose';
import type { Collection, Document } from 'mongodb';
import { openTestDb, type TestDb } from '../helpers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the fields hold every BSON type on purpose
type AnyDoc = { _id?: number | string; [field: string]: any };

let db: TestDb;
let coll: Collection<AnyDoc>;
let Model: mongoose.Model<Document>;

const DOC = {
  _id: 1,
  a: 'first',
  arr: [1, 2, 3, 4, 5],
  items: [
    { k: 'a', n: 1 },
    { k: 'b', n: 2 },
    { k: 'b', n: 3 },
  ],
  sub: { c: 1, d: 2 },
  s: 'text',
};

beforeAll(async () => {
  db = await openTestDb('projection');
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  const name = `proj_${Math.random().toString(36).slice(2)}`;
  coll = db.conn.db!.collection<AnyDoc>(name);
  Model = db.conn.model<Document>(name, new mongoose.Schema({ _id: Number }, { strict: false, collection: name }));
  await coll.insertOne(DOC);
});

/** The raw driver's answer for one projection of DOC. */
async function projected(projection: Document, filter: Document = { _id: 1 }): Promise<Document | null> {
  return coll.findOne(filter, { projection });
}

describe('positional $ projection (MongoDB: the first element the query matched)', () => {
  test('on scalars and on documents, through the driver, mongoose and findOneAndUpdate', async () => {
    expect(await projected({ 'arr.$': 1 }, { arr: { $gt: 2 } })).toEqual({ _id: 1, arr: [3] });
    expect(await projected({ 'items.$': 1 }, { 'items.k': 'b' })).toEqual({ _id: 1, items: [{ k: 'b', n: 2 }] });
    expect(await Model.findOne({ arr: { $gte: 4 } }).select({ 'arr.$': 1 }).lean()).toEqual({ _id: 1, arr: [4] });
    const updated = await coll.findOneAndUpdate({ 'items.n': 3 }, { $set: { touched: true } }, { projection: { 'items.$': 1 }, returnDocument: 'after' });
    expect(updated).toEqual({ _id: 1, items: [{ k: 'b', n: 3 }] });
  });
});

describe('$slice projection (MongoDB 4.4+: alone or with exclusions every other field is returned)', () => {
  test('first n, last n, [skip, n], and a non-array left as it is', async () => {
    expect(await projected({ arr: { $slice: 2 } })).toEqual({ ...DOC, arr: [1, 2] });
    expect(await projected({ arr: { $slice: -2 } })).toEqual({ ...DOC, arr: [4, 5] });
    expect(await projected({ arr: { $slice: [1, 2] } })).toEqual({ ...DOC, arr: [2, 3] });
    expect(await projected({ arr: { $slice: [-2, 1] } })).toEqual({ ...DOC, arr: [4] });
    expect(await projected({ s: { $slice: 2 } })).toEqual(DOC);
  });

  test('with an exclusion, and with an inclusion', async () => {
    const { a: _a, ...withoutA } = DOC;
    expect(await projected({ a: 0, arr: { $slice: 1 } })).toEqual({ ...withoutA, arr: [1] });
    expect(await projected({ a: 1, arr: { $slice: 1 } })).toEqual({ _id: 1, a: 'first', arr: [1] });
    expect(await Model.findById(1).select({ arr: { $slice: -1 } }).lean()).toEqual({ ...DOC, arr: [5] });
  });

  test('field order stays the document order', async () => {
    expect(Object.keys((await projected({ arr: { $slice: 2 } }))!)).toEqual(Object.keys(DOC));
    expect(Object.keys((await projected({ arr: { $slice: 2 }, a: 1 }))!)).toEqual(['_id', 'a', 'arr']);
  });
});

test('$elemMatch projection returns only _id and the first matching element (MongoDB $elemMatch projection)', async () => {
  expect(await projected({ items: { $elemMatch: { k: 'b' } } })).toEqual({ _id: 1, items: [{ k: 'b', n: 2 }] });
});

test('projected fields come in document order, _id first (MongoDB keeps the stored field order)', async () => {
  const keysOf = async (projection: Document) => Object.keys((await projected(projection))!);
  expect(await keysOf({ 'sub.d': 1, a: 1 })).toEqual(['_id', 'a', 'sub']);
  expect(await keysOf({ s: 1, 'sub.c': 1, _id: 1 })).toEqual(['_id', 'sub', 's']);
  expect(await projected({ 'sub.d': 1, a: 1 })).toEqual({ _id: 1, a: 'first', sub: { d: 2 } });
  const viaModel = await Model.findById(1).select({ 'sub.c': 1, s: 1 }).lean();
  expect(Object.keys(viaModel!)).toEqual(['_id', 'sub', 's']);
});

test("aggregation $project keeps the input's field order, computed fields after in the stage's order (MongoDB's projection executor)", async () => {
  const first = async (pipeline: Document[]) => (await coll.aggregate(pipeline).toArray())[0];
  expect(Object.keys(await first([{ $project: { _id: 0, s: 1, a: 1 } }]))).toEqual(['a', 's']);
  expect(Object.keys(await first([{ $project: { total: { $sum: '$arr' }, s: 1, label: 'x', a: 1 } }]))).toEqual(['_id', 'a', 's', 'total', 'label']);
  expect(await first([{ $project: { total: { $sum: '$arr' }, a: 1 } }])).toEqual({ _id: 1, a: 'first', total: 15 });
  const viaModel = await Model.aggregate([{ $match: { _id: 1 } }, { $project: { _id: 0, 'sub.d': 1, a: 1 } }]);
  expect(Object.keys(viaModel[0])).toEqual(['a', 'sub']);
});
