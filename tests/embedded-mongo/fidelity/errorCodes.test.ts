/**
 * MongoDB 7.0's error codes and messages for malformed input, through mongoose and the raw
 * driver: unknown query operators (BadValue 2, also on an empty or missing collection, since
 * MongoDB parses the filter before it reads anything), unknown update operators (FailedToParse
 * 9), unknown pipeline stages (40324), undefined variables (17276), unknown expression operators
 * (InvalidPipelineOperator 168), and a `$`-prefixed field inside `_id` on insert
 * (DollarPrefixedFieldName 52).
 */
import type { Collection, Document } from 'mongodb';
import mongoose, { Schema } from 'mongoose';
import { openTestDb, type TestDb } from '../helpers';
import { serverError } from './expectError';

let db: TestDb;
let full: Collection<Document>;
let empty: Collection<Document>;
let missing: Collection<Document>;
let Thing: mongoose.Model<{ a?: unknown }>;

beforeAll(async () => {
  db = await openTestDb('errcodes');
  full = db.conn.db!.collection('full');
  await full.insertMany([{ a: 1 }, { a: 2 }]);
  empty = db.conn.db!.collection('empty');
  await db.conn.db!.createCollection('empty');
  missing = db.conn.db!.collection('missing');
  Thing = db.conn.model<{ a?: unknown }>('Thing', new Schema<{ a?: unknown }>({ a: Schema.Types.Mixed }, { strict: false, strictQuery: false }), 'full');
});

afterAll(async () => {
  await db.close();
});

describe('MongoDB: unknown query operator is BadValue (2) "unknown operator: $foo", whatever the collection holds', () => {
  it.each([
    ['a collection with documents', () => full],
    ['an empty collection', () => empty],
    ['a missing collection', () => missing],
  ])('raw driver find/count/distinct/delete/update on %s', async (_label, coll) => {
    const filter = { a: { $foo: 1 } };
    const calls = [
      () => coll().find(filter).toArray(),
      () => coll().countDocuments(filter),
      () => coll().distinct('a', filter),
      () => coll().deleteMany(filter),
      () => coll().updateMany(filter, { $set: { b: 1 } }),
      () => coll().findOneAndUpdate(filter, { $set: { b: 1 } }),
    ];
    for (const call of calls) {
      const err = await serverError(call());
      expect(err.code).toBe(2);
      expect(err.message).toBe('unknown operator: $foo');
    }
  });

  it('unknown top-level operator: BadValue (2) "unknown top level operator: $foo"', async () => {
    for (const coll of [full, missing]) {
      const err = await serverError(coll.find({ $foo: 1 }).toArray());
      expect(err.code).toBe(2);
      // MongoDB 7.0 may add advice after the operator's name.
      expect(err.message).toMatch(/^unknown top level operator: \$foo\b/);
    }
  });

  it('through mongoose: Model.find with an unknown operator', async () => {
    const err = await serverError(Thing.find({ a: { $foo: 1 } }).exec());
    expect(err).toMatchObject({ code: 2, codeName: 'BadValue' });
    expect(err.message).toBe('unknown operator: $foo');
  });
});

describe('MongoDB: unknown update operator is FailedToParse (9)', () => {
  const message = 'Unknown modifier: $foo. Expected a valid update modifier or pipeline-style update specified as an array';

  it('raw driver updateOne, on documents and on a missing collection (as a write error)', async () => {
    for (const coll of [full, missing]) {
      const err = await serverError(coll.updateOne({}, { $foo: { a: 1 } } as Document));
      expect(err.code).toBe(9);
      expect(err.message).toBe(message);
    }
    expect(await full.countDocuments({ a: { $in: [1, 2] } })).toBe(2);
  });

  it('raw driver findOneAndUpdate (a top-level error)', async () => {
    const err = await serverError(full.findOneAndUpdate({ a: 1 }, { $foo: { a: 1 } } as Document));
    expect(err).toMatchObject({ code: 9, codeName: 'FailedToParse' });
    expect(err.message).toBe(message);
  });

  it('through mongoose: an unknown operator sent by bulkWrite of the model collection is refused by the server', async () => {
    // Mongoose's own Model.updateOne refuses unknown operators before sending anything; its
    // collection object passes the update through, as the server sees it from any client.
    const err = await serverError(Thing.collection.bulkWrite([{ updateOne: { filter: { a: 1 }, update: { $foo: { a: 2 } } as Document } }]));
    expect(err.code).toBe(9);
    expect(err.message).toBe(message);
  });
});

describe('MongoDB: aggregation errors', () => {
  it('unknown stage: 40324 "Unrecognized pipeline stage name: \'$foo\'" (also on a missing collection)', async () => {
    for (const coll of [full, missing]) {
      const err = await serverError(coll.aggregate([{ $foo: {} }]).toArray());
      expect(err.code).toBe(40324);
      expect(err.message).toBe("Unrecognized pipeline stage name: '$foo'");
    }
    const viaMongoose = await serverError(Thing.aggregate([{ $foo: {} } as never]).exec());
    expect(viaMongoose.code).toBe(40324);
  });

  it('undefined variable: 17276 "Use of undefined variable: nope"', async () => {
    const err = await serverError(full.aggregate([{ $project: { x: '$$nope' } }]).toArray());
    expect(err.code).toBe(17276);
    // MongoDB may name the stage first ("Invalid $project :: caused by :: ...").
    expect(err.message).toMatch(/Use of undefined variable: nope$/);
    const viaMongoose = await serverError(Thing.aggregate([{ $project: { x: '$$nope' } }]).exec());
    expect(viaMongoose.code).toBe(17276);
  });

  it("unknown expression operator: InvalidPipelineOperator (168) \"Unrecognized expression '$foo'\"", async () => {
    const err = await serverError(full.aggregate([{ $addFields: { x: { $foo: 1 } } }]).toArray());
    expect(err).toMatchObject({ code: 168, codeName: 'InvalidPipelineOperator' });
    expect(err.message).toMatch(/Unrecognized expression '\$foo'$/);
    const viaMongoose = await serverError(Thing.aggregate([{ $addFields: { x: { $foo: 1 } } }]).exec());
    expect(viaMongoose.code).toBe(168);
  });
});

describe("MongoDB: an unknown $group accumulator is 15952 \"unknown group operator '$foo'\"", () => {
  it('raw driver and mongoose, on documents and on a missing collection, also inside $facet', async () => {
    const group = { $group: { _id: null, x: { $foo: '$a' } } };
    for (const p of [() => full.aggregate([group]).toArray(), () => missing.aggregate([group]).toArray(), () => full.aggregate([{ $facet: { g: [group] } }]).toArray(), () => Thing.aggregate([group]).exec()]) {
      const err = await serverError(p());
      expect(err.code).toBe(15952);
      expect(err.message).toBe("unknown group operator '$foo'");
    }
  });
});

// MongoDB's validIdField (storage_validation.cpp) answers DollarPrefixedFieldName (52); its unit
// test RejectsObjectWithDollarPrefixedField asserts that code.
describe("MongoDB: an _id holding a '$'-prefixed field is refused on insert with DollarPrefixedFieldName (52)", () => {
  it('raw driver insertOne and insertMany; nothing stored', async () => {
    const coll = db.conn.db!.collection('ids');
    for (const p of [coll.insertOne({ _id: { $a: 1 } } as Document), coll.insertOne({ _id: { x: { $b: 1 } } } as Document)]) {
      const err = await serverError(p);
      expect(err.code).toBe(52);
      expect(err.message).toMatch(/^_id fields may not contain '\$'-prefixed fields: \$[ab] is not valid for storage\.$/);
    }
    expect(await coll.countDocuments()).toBe(0);
  });

  it('through mongoose: Model.collection.insertOne is refused, a plain sub-document _id is accepted', async () => {
    const Doc = db.conn.model<{ _id: unknown }>('IdDoc', new Schema<{ _id: unknown }>({ _id: Schema.Types.Mixed }));
    const err = await serverError(Doc.collection.insertOne({ _id: { $a: 1 } } as never));
    expect(err.code).toBe(52);
    await Doc.create({ _id: { a: 1 } });
    expect(await Doc.countDocuments()).toBe(1);
  });
});
