/**
 * Query operators whose answers depend on BSON values, each as MongoDB 7.0 documents it:
 * `$elemMatch` over arrays of plain values, `$type` (aliases, numeric codes, lists, 'number',
 * arrays), the `$bits*` operators (numeric and BinData values and masks), `$all` against a single
 * value, Binary equality and order (length, then subtype, then bytes), DBRef `$id` paths, and a
 * Binary subtype change in an update. Through the raw driver and through mongoose.
 */
import mongoose from 'mongoose';
import { Binary, DBRef, ObjectId, type Collection, type Document } from 'mongodb';
import { openTestDb, type TestDb } from '../helpers';

let db: TestDb;
/** Documents with any `_id` (numbers and strings here) and any fields. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the fields hold every BSON type on purpose
type AnyDoc = { _id?: number | string; [field: string]: any };
let coll: Collection<AnyDoc>;
let Model: mongoose.Model<Document>;

beforeAll(async () => {
  db = await openTestDb('query_operators');
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  const name = `ops_${Math.random().toString(36).slice(2)}`;
  coll = db.conn.db!.collection<AnyDoc>(name);
  Model = db.conn.model<Document>(name, new mongoose.Schema({ _id: Number }, { strict: false, collection: name }));
});

/** The sorted `_id`s of the documents the raw driver finds for `filter`. */
async function ids(filter: Document): Promise<unknown[]> {
  return (await coll.find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);
}

/** The same through mongoose (its casting included). */
async function modelIds(filter: Document): Promise<unknown[]> {
  return (await Model.find(filter).sort({ _id: 1 }).lean()).map((d) => d._id);
}

test('$elemMatch over an array of plain values matches when one element meets every condition (MongoDB $elemMatch)', async () => {
  await coll.insertMany([
    { _id: 1, tags: ['a', 'c'] },
    { _id: 2, tags: ['a'] },
    { _id: 3, tags: 'c' },
    { _id: 4, scores: [1, 12] },
    { _id: 5, scores: [5, 7] },
  ]);
  expect(await ids({ tags: { $elemMatch: { $gt: 'b' } } })).toEqual([1]);
  expect(await modelIds({ tags: { $elemMatch: { $gt: 'b' } } })).toEqual([1]);
  // Both bounds on the same element: [1, 12] has none in (3, 10), [5, 7] does.
  expect(await ids({ scores: { $elemMatch: { $gt: 3, $lt: 10 } } })).toEqual([5]);
  expect(await modelIds({ scores: { $elemMatch: { $gt: 3, $lt: 10 } } })).toEqual([5]);
  expect(await ids({ scores: { $elemMatch: { $in: [12] } } })).toEqual([4]);
});

describe('$type (MongoDB $type: BSON type aliases, numeric codes, lists, "number", array fields)', () => {
  beforeEach(async () => {
    await coll.insertMany([
      { _id: 1, v: 'text' },
      { _id: 2, v: 7 },
      { _id: 3, v: 7.5 },
      { _id: 4, v: [1, 'x'] },
      { _id: 5, v: [] },
      { _id: 6, v: null },
      { _id: 7, v: new ObjectId('64b000000000000000000001') },
      { _id: 8, v: true },
      { _id: 9, v: new Date(0) },
      { _id: 10, v: { a: 1 } },
      { _id: 11, v: new Binary(Buffer.from('ab')) },
      { _id: 12, v: /re/ },
      { _id: 13 },
    ]);
  });

  test('aliases and codes', async () => {
    expect(await ids({ v: { $type: 'string' } })).toEqual([1, 4]);
    expect(await ids({ v: { $type: 2 } })).toEqual([1, 4]);
    expect(await ids({ v: { $type: 'int' } })).toEqual([2, 4]);
    expect(await ids({ v: { $type: 'double' } })).toEqual([3]);
    expect(await ids({ v: { $type: 'number' } })).toEqual([2, 3, 4]);
    expect(await ids({ v: { $type: 'array' } })).toEqual([4, 5]);
    expect(await ids({ v: { $type: 4 } })).toEqual([4, 5]);
    expect(await ids({ v: { $type: 'null' } })).toEqual([6]);
    expect(await ids({ v: { $type: 'objectId' } })).toEqual([7]);
    expect(await ids({ v: { $type: 'bool' } })).toEqual([8]);
    expect(await ids({ v: { $type: 'date' } })).toEqual([9]);
    expect(await ids({ v: { $type: 'object' } })).toEqual([10]);
    expect(await ids({ v: { $type: 'binData' } })).toEqual([11]);
    expect(await ids({ v: { $type: 'regex' } })).toEqual([12]);
    expect(await modelIds({ v: { $type: 'objectId' } })).toEqual([7]);
  });

  test('a list of types matches any of them', async () => {
    expect(await ids({ v: { $type: ['bool', 'date'] } })).toEqual([8, 9]);
    expect(await ids({ v: { $type: [8, 'null'] } })).toEqual([6, 8]);
    expect(await modelIds({ v: { $type: ['bool', 'date'] } })).toEqual([8, 9]);
  });

  test('an unknown alias or code is refused with BadValue (2)', async () => {
    await expect(coll.find({ v: { $type: 'nosuchtype' } }).toArray()).rejects.toMatchObject({ code: 2 });
    await expect(coll.find({ v: { $type: 100 } }).toArray()).rejects.toMatchObject({ code: 2 });
  });
});

describe('$bitsAllSet / $bitsAllClear / $bitsAnySet / $bitsAnyClear (MongoDB bitwise query operators)', () => {
  beforeEach(async () => {
    await coll.insertMany([
      { _id: 1, v: 54 }, // 0b110110
      { _id: 2, v: -1 }, // every bit set, also past bit 63 (sign extension)
      { _id: 3, v: new Binary(Buffer.from([0b00000101])) },
      { _id: 4, v: 'text' },
      { _id: 5, v: 2.5 },
      { _id: 6, v: [1, 20] },
    ]);
  });

  test('bit-position lists', async () => {
    expect(await ids({ v: { $bitsAllSet: [1, 2] } })).toEqual([1, 2]);
    // An array matches when one element does: neither 1 nor 20 has both bits 0 and 2.
    expect(await ids({ v: { $bitsAllSet: [0, 2] } })).toEqual([2, 3]);
    expect(await ids({ v: { $bitsAllSet: [2, 4] } })).toEqual([1, 2, 6]);
    expect(await ids({ v: { $bitsAllSet: [100] } })).toEqual([2]);
    expect(await ids({ v: { $bitsAllClear: [0, 3] } })).toEqual([1, 6]);
    expect(await ids({ v: { $bitsAnySet: [0, 3] } })).toEqual([2, 3, 6]);
    expect(await ids({ v: { $bitsAnyClear: [1, 2] } })).toEqual([3, 6]);
    expect(await modelIds({ v: { $bitsAllSet: [1, 2] } })).toEqual([1, 2]);
  });

  test('numeric and BinData masks', async () => {
    expect(await ids({ v: { $bitsAllSet: 6 } })).toEqual([1, 2]);
    expect(await ids({ v: { $bitsAllSet: new Binary(Buffer.from([0b101])) } })).toEqual([2, 3]);
    expect(await modelIds({ v: { $bitsAnySet: 1 } })).toEqual([2, 3, 6]);
  });

  test('a negative or fractional mask is refused with BadValue (2)', async () => {
    await expect(coll.find({ v: { $bitsAllSet: -1 } }).toArray()).rejects.toMatchObject({ code: 2 });
    await expect(coll.find({ v: { $bitsAllSet: 1.5 } }).toArray()).rejects.toMatchObject({ code: 2 });
    await expect(coll.find({ v: { $bitsAllSet: [-1] } }).toArray()).rejects.toMatchObject({ code: 2 });
    await expect(coll.find({ v: { $bitsAllSet: 'x' } }).toArray()).rejects.toMatchObject({ code: 2 });
  });
});

test('$all matches a single non-array value equal to its only element (MongoDB $all is an $and of equalities)', async () => {
  await coll.insertMany([
    { _id: 1, v: 5 },
    { _id: 2, v: [5, 6] },
    { _id: 3, v: [6] },
    { _id: 4, v: [[5, 6]] },
  ]);
  expect(await ids({ v: { $all: [5] } })).toEqual([1, 2]);
  expect(await ids({ v: { $all: [5, 6] } })).toEqual([2]);
  expect(await ids({ v: { $all: [[5, 6]] } })).toEqual([2, 4]);
  expect(await ids({ v: { $all: [] } })).toEqual([]);
  expect(await modelIds({ v: { $all: [5] } })).toEqual([1, 2]);
});

describe('Binary values (MongoDB: equal only with the same subtype and bytes; ordered by length, then subtype, then bytes)', () => {
  test('equality and ordering', async () => {
    const bytes = Buffer.from('0123456789abcdef');
    await coll.insertMany([
      { _id: 1, b: new Binary(bytes, 0) },
      { _id: 2, b: new Binary(bytes, 4) },
      { _id: 3, b: new Binary(Buffer.from('zz'), 0) },
      { _id: 4, b: new Binary(Buffer.from('0123456789abcdeg'), 0) },
    ]);
    expect(await ids({ b: new Binary(bytes, 4) })).toEqual([2]);
    expect(await ids({ b: new Binary(bytes, 0) })).toEqual([1]);
    expect(await ids({ b: { $in: [new Binary(bytes, 4), new Binary(Buffer.from('zz'), 0)] } })).toEqual([2, 3]);
    expect(await ids({ b: { $gt: new Binary(bytes, 0) } })).toEqual([2, 4]);
    const order = (await coll.find().sort({ b: 1 }).toArray()).map((d) => d._id as number);
    expect(order).toEqual([3, 1, 4, 2]);
    expect(await modelIds({ b: new Binary(bytes, 4) })).toEqual([2]);
  });

  test('an update that changes only the subtype is stored', async () => {
    const bytes = Buffer.from('0123456789abcdef');
    await coll.insertOne({ _id: 1, b: new Binary(bytes, 0) });
    const res = await coll.updateOne({ _id: 1 }, { $set: { b: new Binary(bytes, 4) } });
    expect(res.modifiedCount).toBe(1);
    expect(((await coll.findOne({ _id: 1 }))?.b as Binary).sub_type).toBe(4);
    const viaModel = await Model.updateOne({ _id: 1 }, { $set: { b: new Binary(bytes, 3) } });
    expect(viaModel.modifiedCount).toBe(1);
    expect(((await coll.findOne({ _id: 1 }))?.b as Binary).sub_type).toBe(3);
  });
});

test('a DBRef is an embedded document: queries on ref.$id and on the whole ref match (MongoDB DBRefs)', async () => {
  const user = new ObjectId();
  await coll.insertMany([
    { _id: 1, ref: new DBRef('users', user) },
    { _id: 2, ref: new DBRef('users', new ObjectId()) },
  ]);
  expect(await ids({ 'ref.$id': user })).toEqual([1]);
  expect(await ids({ 'ref.$ref': 'users' })).toEqual([1, 2]);
  expect(await ids({ ref: new DBRef('users', user) })).toEqual([1]);
  expect(await modelIds({ 'ref.$id': user })).toEqual([1]);
  const back = await coll.findOne({ _id: 1 });
  expect(back?.ref).toBeInstanceOf(DBRef);
  expect((back?.ref as DBRef).oid.equals(user)).toBe(true);
});
