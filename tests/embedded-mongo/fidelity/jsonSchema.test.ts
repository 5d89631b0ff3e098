/**
 * MongoDB 7.0's `$jsonSchema` (JSON Schema draft 4 with MongoDB's changes): as a query operator in
 * find, countDocuments, aggregate `$match`, update and delete filters, and as a collection
 * validator (DocumentValidationFailure 121 with errInfo.details `{operatorName: '$jsonSchema',
 * schemaRulesNotSatisfied}`). `bsonType` tells every BSON type apart, JSON's `object` is an
 * embedded document only, type-specific keywords hold for other types, and unsupported or unknown
 * keywords are refused with MongoDB's codes and messages. Through the raw driver and mongoose.
 */
import mongoose from 'mongoose';
import { Binary, Decimal128, Double, Int32, Long, ObjectId, type Collection, type Document } from 'mongodb';
import { describeEmbedded, openTestDb, type TestDb } from '../helpers';
import { serverError } from './expectError';

let db: TestDb;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the fields hold every BSON type on purpose
type AnyDoc = { _id?: number; [field: string]: any };
let coll: Collection<AnyDoc>;

beforeAll(async () => {
  db = await openTestDb('json_schema');
});
afterAll(async () => {
  await db.close();
});
beforeEach(() => {
  coll = db.conn.db!.collection<AnyDoc>(`js_${Math.random().toString(36).slice(2)}`);
});

/** The `_id`s a `$jsonSchema` query returns, sorted. */
async function ids(schema: Document): Promise<number[]> {
  const docs = await coll.find({ $jsonSchema: schema }).sort({ _id: 1 }).toArray();
  return docs.map((d) => d._id as number);
}

describe('MongoDB $jsonSchema bsonType and type', () => {
  beforeEach(async () => {
    await coll.insertMany([
      { _id: 1, v: new Int32(1) },
      { _id: 2, v: Long.fromNumber(2) },
      { _id: 3, v: new Double(3.5) },
      { _id: 4, v: Decimal128.fromString('4') },
      { _id: 5, v: new Date(0) },
      { _id: 6, v: new ObjectId() },
      { _id: 7, v: new Binary(Buffer.from('x')) },
      { _id: 8, v: true },
      { _id: 9, v: null },
      { _id: 10, v: { a: 1 } },
      { _id: 11, v: [1] },
      { _id: 12, v: 's' },
      { _id: 13 },
    ]);
  });

  it.each([
    ['int', [1]],
    ['long', [2]],
    ['double', [3]],
    ['decimal', [4]],
    ['number', [1, 2, 3, 4]],
    ['date', [5]],
    ['objectId', [6]],
    ['binData', [7]],
    ['bool', [8]],
    ['null', [9]],
    ['object', [10]],
    ['array', [11]],
    ['string', [12]],
  ])('bsonType %s matches exactly that BSON type (a missing optional property matches too)', async (alias, expected) => {
    const out = await ids({ properties: { v: { bsonType: alias } } });
    expect(out).toEqual([...expected, 13].sort((a, b) => a - b));
  });

  it("JSON type 'object' is an embedded document only: not a Date, ObjectId or Binary; 'number' is every numeric type", async () => {
    expect(await ids({ required: ['v'], properties: { v: { type: 'object' } } })).toEqual([10]);
    expect(await ids({ required: ['v'], properties: { v: { type: 'number' } } })).toEqual([1, 2, 3, 4]);
    expect(await ids({ required: ['v'], properties: { v: { type: ['boolean', 'null', 'string'] } } })).toEqual([8, 9, 12]);
    expect(await ids({ required: ['v'], properties: { v: { bsonType: ['date', 'objectId'] } } })).toEqual([5, 6]);
  });

  it("type 'integer' is refused (FailedToParse 9); an unknown alias is BadValue (2); type with bsonType is FailedToParse", async () => {
    const integer = await serverError(ids({ properties: { v: { type: 'integer' } } }));
    expect(integer).toMatchObject({ code: 9, message: "$jsonSchema type 'integer' is not currently supported." });
    const unknown = await serverError(ids({ properties: { v: { bsonType: 'str' } } }));
    expect(unknown).toMatchObject({ code: 2, message: 'Unknown type name alias: str' });
    const both = await serverError(ids({ properties: { v: { type: 'string', bsonType: 'string' } } }));
    expect(both).toMatchObject({ code: 9, message: "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'" });
  });
});

describe('MongoDB $jsonSchema keywords', () => {
  it('required, properties, additionalProperties, patternProperties, min/maxProperties, dependencies', async () => {
    await coll.insertMany([
      { _id: 1, name: 'a', x_1: 1 },
      { _id: 2, name: 'b', extra: true },
      { _id: 3, other: 1 },
      { _id: 4, name: 5 },
      { _id: 5, name: 'c', card: 1, billing: 'x' },
      { _id: 6, name: 'd', card: 1 },
    ]);
    expect(await ids({ required: ['name'] })).toEqual([1, 2, 4, 5, 6]);
    expect(await ids({ properties: { name: { bsonType: 'string' } } })).toEqual([1, 2, 3, 5, 6]);
    expect(await ids({ properties: { _id: {}, name: {} }, patternProperties: { '^x_': { bsonType: 'int' } }, additionalProperties: false })).toEqual([1, 4]);
    expect(await ids({ additionalProperties: { bsonType: ['int', 'string'] } })).toEqual([1, 3, 4, 5, 6]);
    expect(await ids({ minProperties: 3 })).toEqual([1, 2, 5, 6]);
    expect(await ids({ maxProperties: 2 })).toEqual([3, 4]);
    expect(await ids({ dependencies: { card: ['billing'] } })).toEqual([1, 2, 3, 4, 5]);
    expect(await ids({ dependencies: { card: { required: ['billing'] } } })).toEqual([1, 2, 3, 4, 5]);
  });

  it('numbers: minimum/maximum with draft-4 boolean exclusives, multipleOf across numeric types; the keywords ignore other types', async () => {
    await coll.insertMany([
      { _id: 1, n: 0 },
      { _id: 2, n: 5 },
      { _id: 3, n: Long.fromNumber(10) },
      { _id: 4, n: Decimal128.fromString('20') },
      { _id: 5, n: 7.5 },
      { _id: 6, n: 'ten' },
    ]);
    expect(await ids({ properties: { n: { minimum: 5 } } })).toEqual([2, 3, 4, 5, 6]);
    expect(await ids({ properties: { n: { minimum: 5, exclusiveMinimum: true } } })).toEqual([3, 4, 5, 6]);
    expect(await ids({ properties: { n: { maximum: 10, exclusiveMaximum: true } } })).toEqual([1, 2, 5, 6]);
    expect(await ids({ properties: { n: { multipleOf: 5 } } })).toEqual([1, 2, 3, 4, 6]);
    expect(await ids({ properties: { n: { multipleOf: 2.5 } } })).toEqual([1, 2, 3, 4, 5, 6]);
    const excl = await serverError(ids({ properties: { n: { exclusiveMinimum: true } } }));
    expect(excl).toMatchObject({ code: 9, message: "$jsonSchema keyword 'minimum' must be a present if exclusiveMinimum is present" });
    const zero = await serverError(ids({ properties: { n: { multipleOf: 0 } } }));
    expect(zero).toMatchObject({ code: 9, message: "$jsonSchema keyword 'multipleOf' must have a positive value" });
  });

  it('strings: minLength/maxLength count characters (not UTF-16 units), pattern is an unanchored regex', async () => {
    await coll.insertMany([
      { _id: 1, s: 'héllo' },
      { _id: 2, s: '😀😀' },
      { _id: 3, s: 'abc-123' },
      { _id: 4, s: 12345678 },
    ]);
    expect(await ids({ properties: { s: { maxLength: 2 } } })).toEqual([2, 4]);
    expect(await ids({ properties: { s: { minLength: 5 } } })).toEqual([1, 3, 4]);
    expect(await ids({ properties: { s: { pattern: '\\d{3}' } } })).toEqual([3, 4]);
    const neg = await serverError(ids({ properties: { s: { minLength: -1 } } }));
    expect(neg).toMatchObject({ code: 9, message: 'Expected a positive number in: minLength: -1' });
  });

  it('arrays: items (object and array), additionalItems, minItems/maxItems, uniqueItems (field order ignored)', async () => {
    await coll.insertMany([
      { _id: 1, a: [1, 2, 3] },
      { _id: 2, a: [1, 'x'] },
      { _id: 3, a: ['x', 1, 2] },
      { _id: 4, a: [{ p: 1, q: 2 }, { q: 2, p: 1 }] },
      { _id: 5, a: [1, 1.0] },
      { _id: 6, a: 'not an array' },
    ]);
    expect(await ids({ properties: { a: { items: { bsonType: 'number' } } } })).toEqual([1, 5, 6]);
    expect(await ids({ properties: { a: { items: [{ bsonType: 'string' }], additionalItems: { bsonType: 'int' } } } })).toEqual([3, 6]);
    expect(await ids({ properties: { a: { items: [{}, {}], additionalItems: false } } })).toEqual([2, 4, 5, 6]);
    expect(await ids({ properties: { a: { minItems: 3 } } })).toEqual([1, 3, 6]);
    expect(await ids({ properties: { a: { maxItems: 2 } } })).toEqual([2, 4, 5, 6]);
    expect(await ids({ properties: { a: { uniqueItems: true } } })).toEqual([1, 2, 3, 6]);
  });

  it('allOf, anyOf, oneOf, not, enum (values compared as MongoDB: numbers by value, field order ignored), title/description', async () => {
    await coll.insertMany([
      { _id: 1, v: 1 },
      { _id: 2, v: 'a' },
      { _id: 3, v: { x: 1, y: 2 } },
      { _id: 4, v: 2.0 },
    ]);
    const anyOf = { title: 't', description: 'd', properties: { v: { anyOf: [{ bsonType: 'string' }, { bsonType: 'object' }] } } };
    expect(await ids(anyOf)).toEqual([2, 3]);
    expect(await ids({ properties: { v: { oneOf: [{ bsonType: 'number' }, { minimum: 2 }] } } })).toEqual([1, 2, 3]);
    expect(await ids({ properties: { v: { allOf: [{ bsonType: 'number' }, { minimum: 2 }] } } })).toEqual([4]);
    expect(await ids({ properties: { v: { not: { bsonType: 'number' } } } })).toEqual([2, 3]);
    expect(await ids({ properties: { v: { enum: [Long.fromNumber(1), { y: 2, x: 1 }] } } })).toEqual([1, 3]);
    const empty = await serverError(ids({ anyOf: [] }));
    expect(empty).toMatchObject({ code: 2, message: "$jsonSchema keyword 'anyOf' must be a non-empty array" });
  });

  it('at the top level the document is an object: scalar keywords always hold, a non-object type matches nothing', async () => {
    await coll.insertMany([{ _id: 1 }, { _id: 2, a: 1 }]);
    expect(await ids({ minimum: 100, minLength: 50, items: { bsonType: 'string' } })).toEqual([1, 2]);
    expect(await ids({ bsonType: 'string' })).toEqual([]);
    expect(await ids({ bsonType: 'object', required: ['a'] })).toEqual([2]);
  });
});

describe('MongoDB $jsonSchema in every filter', () => {
  const schema = { required: ['n'], properties: { n: { bsonType: 'int', minimum: 2 } } };
  beforeEach(async () => {
    await coll.insertMany([{ _id: 1, n: 1 }, { _id: 2, n: 2 }, { _id: 3, n: 3 }, { _id: 4 }]);
  });

  it('countDocuments, aggregate $match, combined with other conditions and inside $or', async () => {
    expect(await coll.countDocuments({ $jsonSchema: schema })).toBe(2);
    const agg = await coll.aggregate([{ $match: { $jsonSchema: schema } }, { $sort: { _id: 1 } }]).toArray();
    expect(agg.map((d) => d._id)).toEqual([2, 3]);
    expect(await coll.countDocuments({ $jsonSchema: schema, n: { $ne: 3 } })).toBe(1);
    expect(await coll.countDocuments({ $or: [{ $jsonSchema: schema }, { _id: 4 }] })).toBe(3);
  });

  it('updateMany and deleteMany filters', async () => {
    const up = await coll.updateMany({ $jsonSchema: schema }, { $set: { ok: true } });
    expect(up.modifiedCount).toBe(2);
    const del = await coll.deleteMany({ $jsonSchema: { not: schema } });
    expect(del.deletedCount).toBe(2);
    expect((await coll.find().sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual([2, 3]);
  });

  it('mongoose: Model.find and countDocuments with $jsonSchema', async () => {
    const Model = db.conn.model<Document>(coll.collectionName, new mongoose.Schema({ _id: Number, n: Number }), coll.collectionName);
    const found = await Model.find({ $jsonSchema: schema }).sort({ _id: 1 }).lean();
    expect(found.map((d) => d._id)).toEqual([2, 3]);
    expect(await Model.countDocuments({ $jsonSchema: { required: ['n'] } })).toBe(3);
  });
});

describe('MongoDB refuses unsupported $jsonSchema keywords (FailedToParse 9), also on an empty collection', () => {
  it.each(['$ref', '$schema', 'default', 'definitions', 'format', 'id'])("keyword '%s' is not currently supported", async (keyword) => {
    const err = await serverError(ids({ properties: { a: { [keyword]: 'x' } } }));
    expect(err).toMatchObject({ code: 9, codeName: 'FailedToParse', message: `$jsonSchema keyword '${keyword}' is not currently supported` });
  });

  it('an unknown keyword: FailedToParse; a $jsonSchema that is not an object: TypeMismatch (14)', async () => {
    const unknown = await serverError(ids({ requird: ['a'] }));
    expect(unknown).toMatchObject({ code: 9, message: 'Unknown $jsonSchema keyword: requird' });
    const notObject = await serverError(coll.find({ $jsonSchema: 'x' as never }).toArray());
    expect(notObject).toMatchObject({ code: 14, message: '$jsonSchema must be an object' });
  });

  it("'encrypt' in a query: QueryFeatureNotAllowed (224)", async () => {
    const err = await serverError(ids({ properties: { a: { encrypt: {} } } }));
    expect(err).toMatchObject({ code: 224, message: 'Encryption-related validator keywords are not allowed in this context' });
  });
});

describe('MongoDB $jsonSchema validators (DocumentValidationFailure 121)', () => {
  const $jsonSchema = {
    bsonType: 'object',
    required: ['name', 'age'],
    properties: { name: { bsonType: 'string', minLength: 2 }, age: { bsonType: 'int', minimum: 0 } },
  };

  async function fresh(): Promise<Collection<AnyDoc>> {
    return db.conn.db!.createCollection<AnyDoc>(coll.collectionName, { validator: { $jsonSchema } });
  }

  it('raw driver: an invalid insert fails with 121 and errInfo.details lists the schema rules not satisfied; a valid one is stored', async () => {
    const c = await fresh();
    const err = await serverError(c.insertOne({ _id: 1, name: 5 }));
    expect(err).toMatchObject({ code: 121, message: 'Document failed validation' });
    const details = (err.errInfo as Document).details as Document;
    expect(details.operatorName).toBe('$jsonSchema');
    expect(details.schemaRulesNotSatisfied).toEqual(
      expect.arrayContaining([
        {
          operatorName: 'properties',
          propertiesNotSatisfied: [{ propertyName: 'name', details: [{ operatorName: 'bsonType', specifiedAs: { bsonType: 'string' }, reason: 'type did not match', consideredValue: 5, consideredType: 'int' }] }],
        },
        { operatorName: 'required', specifiedAs: { required: ['name', 'age'] }, missingProperties: ['age'] },
      ]),
    );
    await c.insertOne({ _id: 2, name: 'ok', age: 3 });
    expect(await c.countDocuments()).toBe(1);
  });

  it('raw driver: an update that breaks the schema fails with 121 and changes nothing', async () => {
    const c = await fresh();
    await c.insertOne({ _id: 1, name: 'ok', age: 3 });
    const err = await serverError(c.updateOne({ _id: 1 }, { $set: { age: -1 } }));
    expect(err.code).toBe(121);
    expect(await c.findOne({ _id: 1 })).toEqual({ _id: 1, name: 'ok', age: 3 });
  });

  it('mongoose: Model.create of a violating document fails with 121; a valid one passes', async () => {
    await fresh();
    const Person = db.conn.model(coll.collectionName, new mongoose.Schema({ _id: Number, name: String, age: Number }), coll.collectionName);
    const err = await serverError(Person.create({ _id: 1, name: 'x', age: 4 }));
    expect(err.code).toBe(121);
    await Person.create({ _id: 2, name: 'Ada', age: 36 });
    expect(await Person.countDocuments()).toBe(1);
  });

  it('a validator with an unsupported keyword is refused at create (FailedToParse 9)', async () => {
    const err = await serverError(db.conn.db!.createCollection(coll.collectionName, { validator: { $jsonSchema: { $ref: '#/x' } } }));
    expect(err).toMatchObject({ code: 9, message: "$jsonSchema keyword '$ref' is not currently supported" });
  });
});

describeEmbedded('embedded server: $jsonSchema encryption keywords in validators', () => {
  it("'encrypt' in a validator is refused with NotImplemented (238), naming it", async () => {
    const err = await serverError(db.conn.db!.createCollection(coll.collectionName, { validator: { $jsonSchema: { properties: { ssn: { encrypt: {} } } } } }));
    expect(err.code).toBe(238);
    expect(err.message).toContain('encrypt');
  });
});
