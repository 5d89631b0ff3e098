/**
 * Stored int64 / double / decimal128 values where MongoDB computes or compares with them, as
 * MongoDB 7.0 does:
 * - `$expr` compares numbers by value whatever their BSON type (a stored `NumberLong(5)` is
 *   greater than 3) in find, count, delete, update filters and an aggregation `$match`;
 * - `$min` / `$max` compare in BSON order and store the winning value with its own type;
 * - `$inc` / `$mul` on array and positional paths follow MongoDB's numeric type rules
 *   (int + long = long, long × double = double…);
 * - an update pipeline keeps the type of every field it does not change, and computes with
 *   int64 / double / decimal values by value.
 * Through the raw driver (read with `promoteValues: false` to see the wire types) and mongoose.
 */
import { Decimal128, Double, Int32, Long, MongoServerError, type Collection, type Document } from 'mongodb';
import { Schema } from 'mongoose';
import { describeEmbedded, openTestDb, type TestDb } from '../helpers';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the fields hold every BSON type on purpose
type AnyDoc = { _id?: number | string; [field: string]: any };

const RAW = { promoteValues: false } as const;

/** A value's wire type and text, as read with `promoteValues: false`: `Long:5`, `Double:2`, `Int32:6` (plain numbers). */
function typed(v: unknown): string {
  if (typeof v === 'number') return `Int32:${v}`;
  return `${(v as { _bsontype?: string })._bsontype ?? typeof v}:${String(v)}`;
}

let db: TestDb;
let coll: Collection<AnyDoc>;

beforeAll(async () => {
  db = await openTestDb('numeric_expr');
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  coll = db.conn.db!.collection<AnyDoc>(`nexpr_${Math.random().toString(36).slice(2)}`);
});

/** Documents whose `a` holds each numeric type. */
async function insertNumbers(): Promise<void> {
  await coll.insertMany([
    { _id: 'int', a: 2 },
    { _id: 'long', a: Long.fromNumber(5) },
    { _id: 'double', a: new Double(4) },
    { _id: 'decimal', a: Decimal128.fromString('7.5') },
    { _id: 'small', a: Long.fromNumber(1) },
  ]);
}

describe('MongoDB: $expr compares int64, double and decimal128 fields by value', () => {
  const gt3 = { $expr: { $gt: ['$a', 3] } };
  const ids = async (filter: Document) => (await coll.find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);

  test('raw driver: find, count, aggregate $match, update and delete with {$expr: {$gt: ["$a", 3]}}', async () => {
    await insertNumbers();
    expect(await ids(gt3)).toEqual(['decimal', 'double', 'long']);
    expect(await coll.countDocuments(gt3)).toBe(3);
    expect(await ids({ $expr: { $eq: ['$a', { $add: [1, 4] }] } })).toEqual(['long']);
    expect(await ids({ $or: [{ _id: 'int' }, { $expr: { $lt: ['$a', 2] } }] })).toEqual(['int', 'small']);
    const matched = await coll.aggregate([{ $sort: { _id: 1 } }, { $match: gt3 }, { $project: { _id: 1 } }]).toArray();
    expect(matched.map((d) => d._id)).toEqual(['decimal', 'double', 'long']);
    expect((await coll.updateMany(gt3, { $set: { big: true } })).modifiedCount).toBe(3);
    expect(await ids({ big: true })).toEqual(['decimal', 'double', 'long']);
    // The filter does not change the stored types.
    expect(typed((await coll.findOne({ _id: 'long' }, RAW))?.a)).toBe('Long:5');
    expect((await coll.deleteMany({ $expr: { $gte: ['$a', 5] } })).deletedCount).toBe(2);
    expect(await ids({})).toEqual(['double', 'int', 'small']);
  });

  test('mongoose: Model.find and countDocuments with $expr over BigInt, Double and Decimal128 paths', async () => {
    const Num = db.conn.model('NumExpr', new Schema({ _id: String, a: Schema.Types.Mixed }), coll.collectionName);
    await insertNumbers();
    const found = await Num.find(gt3).sort({ _id: 1 }).lean();
    expect(found.map((d) => d._id)).toEqual(['decimal', 'double', 'long']);
    expect(await Num.countDocuments({ $expr: { $lte: ['$a', 2] } })).toBe(2);
    db.conn.deleteModel('NumExpr');
  });
});

describe('MongoDB: $min / $max compare in BSON order and keep the winning value with its type', () => {
  test('raw driver: an int64 field, a double field, a missing field and a sub-document field', async () => {
    await coll.insertOne({ _id: 1, l: Long.fromNumber(5), d: new Double(2), s: { m: Decimal128.fromString('3') } });
    await coll.updateOne({ _id: 1 }, { $max: { l: 4 }, $min: { d: new Int32(3) } });
    let doc = await coll.findOne({ _id: 1 }, RAW);
    expect([typed(doc?.l), typed(doc?.d)]).toEqual(['Long:5', 'Double:2']);
    await coll.updateOne({ _id: 1 }, { $max: { l: new Int32(6), 's.m': Long.fromNumber(4) }, $min: { d: Long.fromNumber(1), x: new Double(7) } });
    doc = await coll.findOne({ _id: 1 }, RAW);
    expect([typed(doc?.l), typed(doc?.d), typed(doc?.s.m), typed(doc?.x)]).toEqual(['Int32:6', 'Long:1', 'Long:4', 'Double:7']);
    // Equal values leave the field as it is (no change reported).
    const same = await coll.updateOne({ _id: 1 }, { $max: { l: Long.fromNumber(6) } });
    expect(same.modifiedCount).toBe(0);
    expect(typed((await coll.findOne({ _id: 1 }, RAW))?.l)).toBe('Int32:6');
  });

  test('raw driver: on array and positional paths', async () => {
    await coll.insertOne({ _id: 2, arr: [{ n: Long.fromNumber(1) }, { n: 10 }], v: [Long.fromNumber(3), 4] });
    await coll.updateOne({ _id: 2, 'arr.n': 1 }, { $max: { 'arr.$.n': 2, 'v.0': new Double(3) } });
    await coll.updateOne({ _id: 2 }, { $min: { 'arr.1.n': Long.fromNumber(8) } });
    const doc = await coll.findOne({ _id: 2 }, RAW);
    expect(doc?.arr.map((e: Document) => typed(e.n))).toEqual(['Int32:2', 'Long:8']);
    expect(doc?.v.map(typed)).toEqual(['Long:3', 'Int32:4']);
  });

  test('mongoose: Model.updateOne with $max on a BigInt path keeps int64', async () => {
    const Big = db.conn.model('BigMax', new Schema({ _id: Number, l: BigInt }), coll.collectionName);
    await Big.create({ _id: 3, l: 5n });
    await Big.updateOne({ _id: 3 }, { $max: { l: 9n } });
    await Big.updateOne({ _id: 3 }, { $max: { l: 7n } });
    expect(typed((await coll.findOne({ _id: 3 }, RAW))?.l)).toBe('Long:9');
    expect((await Big.findById(3))?.l).toBe(9n);
    db.conn.deleteModel('BigMax');
  });
});

describe('MongoDB: $inc / $mul on array and positional paths keep its numeric type rules', () => {
  test('raw driver: arr.$.n, arr.1.n, arr.$[].n, arr.$[x].n and v.$ with int64, double and decimal values', async () => {
    await coll.insertOne({ _id: 1, arr: [{ n: Long.fromNumber(1) }, { n: 2 }], v: [new Double(1), 5] });
    await coll.updateOne({ _id: 1, 'arr.n': 1 }, { $inc: { 'arr.$.n': 1 } });
    await coll.updateOne({ _id: 1 }, { $inc: { 'arr.1.n': Long.fromNumber(1) } });
    let doc = await coll.findOne({ _id: 1 }, RAW);
    expect(doc?.arr.map((e: Document) => typed(e.n))).toEqual(['Long:2', 'Long:3']);
    await coll.updateOne({ _id: 1 }, { $mul: { 'arr.$[].n': new Double(2) } });
    doc = await coll.findOne({ _id: 1 }, RAW);
    expect(doc?.arr.map((e: Document) => typed(e.n))).toEqual(['Double:4', 'Double:6']);
    await coll.updateOne({ _id: 1 }, { $inc: { 'arr.$[big].n': Decimal128.fromString('0.5') } }, { arrayFilters: [{ 'big.n': { $gt: 5 } }] });
    await coll.updateOne({ _id: 1, v: 1 }, { $inc: { 'v.$': 2 } });
    doc = await coll.findOne({ _id: 1 }, RAW);
    // MongoDB converts the double 6 to a decimal with 15 significant digits before adding.
    expect(doc?.arr.map((e: Document) => typed(e.n))).toEqual(['Double:4', 'Decimal128:6.50000000000000']);
    expect(doc?.v.map(typed)).toEqual(['Double:3', 'Int32:5']);
  });

  test('raw driver: a non-numeric element is TypeMismatch (14), nothing changed', async () => {
    await coll.insertOne({ _id: 2, arr: [{ n: Long.fromNumber(1) }, { n: 'x' }] });
    const err = await coll.updateOne({ _id: 2 }, { $inc: { 'arr.$[].n': 1 } }).catch((e: MongoServerError) => e);
    expect((err as MongoServerError).code).toBe(14);
    const doc = await coll.findOne({ _id: 2 }, RAW);
    expect(doc?.arr.map((e: Document) => typed(e.n))).toEqual(['Long:1', 'string:x']);
  });

  test('mongoose: Model.updateOne with $inc on a positional path of BigInt elements', async () => {
    const Items = db.conn.model('IncPos', new Schema({ _id: Number, arr: [{ _id: false, n: BigInt }] }), coll.collectionName);
    await Items.create({ _id: 3, arr: [{ n: 1n }, { n: 2n }] });
    await Items.updateOne({ _id: 3, 'arr.n': 2n }, { $inc: { 'arr.$.n': 40n } });
    const doc = await coll.findOne({ _id: 3 }, RAW);
    expect(doc?.arr.map((e: Document) => typed(e.n))).toEqual(['Long:1', 'Long:42']);
    db.conn.deleteModel('IncPos');
  });
});

describe('MongoDB: an update pipeline keeps untouched numeric types and computes with them by value', () => {
  test('raw driver: fields the pipeline does not change keep int64 / double / decimal; computed values are right', async () => {
    await coll.insertOne({ _id: 1, l: Long.fromNumber(5), d: new Double(2), m: Decimal128.fromString('2.5'), s: { l: Long.fromNumber(9) }, list: [Long.fromNumber(1), 2] });
    await coll.updateOne({ _id: 1 }, [{ $set: { sum: { $add: ['$l', '$d', '$m'] }, gt: { $gt: ['$l', 3] }, label: 'x' } }]);
    const doc = await coll.findOne({ _id: 1 }, RAW);
    expect([typed(doc?.l), typed(doc?.d), typed(doc?.m), typed(doc?.s.l), doc?.list.map(typed)]).toEqual(['Long:5', 'Double:2', 'Decimal128:2.5', 'Long:9', ['Long:1', 'Int32:2']]);
    // MongoDB computes long + double + decimal as the decimal 9.5: the value is compared here.
    expect(Number(String(doc?.sum))).toBe(9.5);
    expect(doc?.gt).toBe(true);
  });

  test('mongoose: Model.updateMany with a pipeline over BigInt and Double paths', async () => {
    const P = db.conn.model('PipeNums', new Schema({ _id: Number, l: BigInt, d: Schema.Types.Double, t: Number }), coll.collectionName);
    await P.create({ _id: 2, l: 40n, d: 2 });
    await P.updateMany({}, [{ $set: { t: { $add: ['$l', '$d'] } } }], { updatePipeline: true });
    const raw = await coll.findOne({ _id: 2 }, RAW);
    expect([typed(raw?.l), typed(raw?.d)]).toEqual(['Long:40', 'Double:2']);
    expect((await P.findById(2).lean())?.t).toBe(42);
    db.conn.deleteModel('PipeNums');
  });
});

describeEmbedded('embedded server: computing with a decimal no double equals is refused in $expr and update pipelines', () => {
  test('raw driver: 238 NotImplemented naming the value when the expression reads it, nothing written; other fields unaffected', async () => {
    await coll.insertOne({ _id: 1, m: Decimal128.fromString('0.1'), n: 1 });
    const err = (await coll.find({ $expr: { $gt: ['$m', 0] } }).toArray().catch((e: MongoServerError) => e)) as MongoServerError;
    expect(err.code).toBe(238);
    expect(err.message).toContain('Decimal128 value 0.1');
    const upd = (await coll.updateOne({ _id: 1 }, [{ $set: { x: { $add: ['$m', 1] } } }]).catch((e: MongoServerError) => e)) as MongoServerError;
    expect(upd.code).toBe(238);
    expect(await coll.countDocuments({ x: { $exists: true } })).toBe(0);
    // Expressions not reading the decimal run, and the decimal keeps its type.
    expect(await coll.countDocuments({ $expr: { $eq: ['$n', 1] } })).toBe(1);
    await coll.updateOne({ _id: 1 }, [{ $set: { y: { $add: ['$n', 1] } } }]);
    const doc = await coll.findOne({ _id: 1 }, RAW);
    expect([typed(doc?.m), typed(doc?.y)]).toEqual(['Decimal128:0.1', 'Int32:2']);
  });
});
