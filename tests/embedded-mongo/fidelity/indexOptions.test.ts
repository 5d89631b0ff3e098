/**
 * Index specifications are validated as MongoDB 7.0 validates them, and nothing is dropped
 * silently: unknown fields are InvalidIndexSpecificationOption (197), hidden indexes are kept
 * out of planning but still enforce uniqueness, `$text` and `$near` without their index fail with
 * MongoDB's errors. Through mongoose and the raw driver; valid against a real MongoDB 7.0 too,
 * except the `describeEmbedded` block of index types the embedded server refuses.
 */
import mongoose, { Schema } from 'mongoose';
import { describeEmbedded, openTestDb, type TestDb, rawCollection, winningPlanText } from '../helpers';
import { codeOf } from './expectError';

let db: TestDb;

beforeAll(async () => {
  db = await openTestDb('idxopts');
});

afterAll(async () => {
  await db.close();
});

const raw = (name: string) => rawCollection(db, name);

describe('index specification fields (MongoDB: validateIndexSpecFieldNames and per-field checks)', () => {
  test('an unknown field is InvalidIndexSpecificationOption 197 naming it (raw command)', async () => {
    const err = await codeOf(db.conn.db!.command({ createIndexes: 'opts', indexes: [{ key: { a: 1 }, name: 'a_1', foo: 1 }] }));
    expect(err.code).toBe(197);
    expect(err.message).toContain("The field 'foo' is not valid for an index specification");
  });

  test('through mongoose, a compound TTL index in a schema makes syncIndexes reject with 67 and creates nothing', async () => {
    // (The driver itself leaves unknown options out of createIndex, so mongoose cannot send one.)
    const schema = new Schema({ a: Number, at: Date }, { autoIndex: false });
    schema.index({ a: 1, at: 1 }, { expireAfterSeconds: 5 });
    const M = db.conn.model('OptsCompoundTtl', schema);
    const err = await codeOf(M.syncIndexes());
    expect(err.code).toBe(67);
    expect(err.message).toContain('compound indexes do not support TTL');
    expect((await M.listIndexes()).map((i) => i.name as string)).toEqual(['_id_']);
  });

  test('a missing name is FailedToParse 9; a non-string name TypeMismatch 14; v: 3 CannotCreateIndex 67', async () => {
    expect((await codeOf(db.conn.db!.command({ createIndexes: 'opts', indexes: [{ key: { a: 1 } }] }))).code).toBe(9);
    expect((await codeOf(db.conn.db!.command({ createIndexes: 'opts', indexes: [{ key: { a: 1 }, name: 5 }] }))).code).toBe(14);
    expect((await codeOf(db.conn.db!.command({ createIndexes: 'opts', indexes: [{ key: { a: 1 }, name: 'a_1', v: 3 }] }))).code).toBe(67);
  });

  test('weights without a text key is 67; wildcardProjection without a wildcard key is BadValue 2', async () => {
    expect((await codeOf(raw('opts').createIndex({ a: 1 }, { weights: { a: 2 } }))).code).toBe(67);
    expect((await codeOf(raw('opts').createIndex({ a: 1 }, { wildcardProjection: { a: 1 } }))).code).toBe(2);
  });

  test('a key value of 0 or an unknown plugin name is 67', async () => {
    expect((await codeOf(raw('opts').createIndex({ a: 0 } as unknown as mongoose.mongo.IndexSpecification))).code).toBe(67);
    const err = await codeOf(raw('opts').createIndex({ a: 'nosuch' } as unknown as mongoose.mongo.IndexSpecification));
    expect(err.code).toBe(67);
    expect(err.message).toContain("Unknown index plugin 'nosuch'");
  });

  test('background is accepted (a no-op since MongoDB 4.2)', async () => {
    await raw('opts_bg').createIndex({ b: 1 }, { background: true });
    expect((await raw('opts_bg').listIndexes().toArray()).map((i) => i.name as string)).toContain('b_1');
  });
});

describe('hidden indexes (MongoDB: not used by the planner, still maintained and enforcing uniqueness)', () => {
  test('through the raw driver: listIndexes shows hidden, queries do not use it, duplicates are refused', async () => {
    const c = raw('hidden_raw');
    await c.insertMany(Array.from({ length: 20 }, (_, i) => ({ a: i })));
    await c.createIndex({ a: 1 }, { unique: true, hidden: true });
    expect((await c.listIndexes().toArray()).find((i) => i.name === 'a_1')).toMatchObject({ unique: true, hidden: true });
    const plan = await winningPlanText(c.find({ a: 3 }));
    expect(plan).toContain('COLLSCAN');
    expect((await c.find({ a: 3 }).toArray()).length).toBe(1);
    expect((await codeOf(c.insertOne({ a: 3 }))).code).toBe(11000);
  });

  test('through mongoose: a hidden unique index in the schema still refuses duplicates', async () => {
    const schema = new Schema({ code: String }, { autoIndex: false });
    schema.index({ code: 1 }, { unique: true, hidden: true });
    const M = db.conn.model('HiddenCode', schema);
    await M.syncIndexes();
    await M.create({ code: 'x' });
    expect((await codeOf(M.create({ code: 'x' }))).code).toBe(11000);
    expect(await M.syncIndexes()).toEqual([]);
  });
});

describe('$text and $near need their index (MongoDB refuses them without one)', () => {
  interface Place {
    name: string;
    loc: number[];
  }
  let Place: mongoose.Model<Place>;

  beforeAll(async () => {
    Place = db.conn.model<Place>('NoGeoPlace', new Schema<Place>({ name: String, loc: [Number] }));
    await Place.create({ name: 'cafe', loc: [1, 2] });
  });

  test('$text without a text index: IndexNotFound 27 "text index required for $text query" (mongoose and raw)', async () => {
    const viaMongoose = await codeOf(Place.find({ $text: { $search: 'cafe' } }).exec());
    expect(viaMongoose.code).toBe(27);
    expect(viaMongoose.message).toContain('text index required for $text query');
    expect((await codeOf(Place.collection.find({ $text: { $search: 'cafe' } }).toArray())).code).toBe(27);
  });

  test('$near without a geo index: NoQueryExecutionPlans 291 "unable to find index for $geoNear query"', async () => {
    const viaMongoose = await codeOf(Place.find({ loc: { $near: [1, 2] } }).exec());
    expect(viaMongoose.code).toBe(291);
    expect(viaMongoose.message).toContain('unable to find index for $geoNear query');
    expect((await codeOf(Place.collection.find({ loc: { $nearSphere: [1, 2] } }).toArray())).code).toBe(291);
  });
});

describeEmbedded('index types and query operators the embedded server does not have are refused by name', () => {
  test.each([['text'], ['2d'], ['2dsphere'], ['hashed']])('a %s index is CannotCreateIndex 67 naming the type', async (type) => {
    const err = await codeOf(raw('types').createIndex({ f: type } as mongoose.mongo.IndexSpecification));
    expect(err.code).toBe(67);
    expect(err.message).toContain(`index type '${type}'`);
    expect((await raw('types').listIndexes().toArray().catch(() => [])).map((i) => i.name as string)).not.toContain(`f_${type}`);
  });

  test('a wildcard index is refused (67), and so is prepareUnique', async () => {
    expect((await codeOf(raw('types').createIndex({ '$**': 1 }))).message).toContain('wildcard');
    const prepare = await codeOf(db.conn.db!.command({ createIndexes: 'types', indexes: [{ key: { g: 1 }, name: 'g_1', prepareUnique: true }] }));
    expect(prepare.code).toBe(67);
    expect(prepare.message).toContain("'prepareUnique'");
  });

  test('through mongoose, a 2dsphere schema index makes syncIndexes reject instead of silently lacking it', async () => {
    const schema = new Schema({ loc: { type: { type: String }, coordinates: [Number] } }, { autoIndex: false });
    schema.index({ loc: '2dsphere' });
    const M = db.conn.model('GeoRefused', schema);
    const err = await codeOf(M.syncIndexes());
    expect(err.code).toBe(67);
    expect(err.message).toContain("'2dsphere'");
  });

  test('$geoWithin and $geoIntersects are NotImplemented (238), never an empty result', async () => {
    await raw('geo').insertOne({ loc: [0, 0] });
    const within = await codeOf(raw('geo').find({ loc: { $geoWithin: { $center: [[0, 0], 1] } } }).toArray());
    expect(within.code).toBe(238);
    expect(within.message).toContain('$geoWithin');
    expect((await codeOf(raw('geo').countDocuments({ loc: { $geoIntersects: { $geometry: { type: 'Point', coordinates: [0, 0] } } } }))).code).toBe(238);
  });
});
