/**
 * Collation on reads, as MongoDB 7.0 applies it (https://www.mongodb.com/docs/manual/reference/collation/):
 * equality, `$in`/`$nin`, `$ne` and ranges on strings, sorting, distinct's de-duplication,
 * aggregate's `$match`/`$sort`, a collection's default collation, and MongoDB's errors for
 * invalid collation documents. Through mongoose and the raw driver; valid against MongoDB too.
 */
import mongoose, { Schema } from 'mongoose';
import { openTestDb, type TestDb } from '../helpers';
import { serverError } from './expectError';

interface Word {
  w: string;
  n?: number;
}

const CI = { locale: 'en', strength: 2 } as const;

let db: TestDb;
let Word: mongoose.Model<Word>;
let raw: mongoose.mongo.Collection;

beforeAll(async () => {
  db = await openTestDb('collation');
  Word = db.conn.model<Word>('Word', new Schema<Word>({ w: String, n: Number }));
  raw = db.conn.db!.collection('words');
});

afterAll(async () => {
  await db.close();
});

beforeEach(async () => {
  await raw.deleteMany({});
  await raw.insertMany([
    { w: 'ping', n: 1 },
    { w: 'PING', n: 2 },
    { w: 'Ping', n: 3 },
    { w: 'pong', n: 4 },
    { w: 'píng', n: 5 },
    { w: 'apple', n: 6 },
    { w: 'Zebra', n: 7 },
  ]);
});

const ns = (docs: object[]): number[] => docs.map((d) => (d as { n: number }).n).sort((a, b) => a - b);

describe('find with a collation (MongoDB compares strings under the collation)', () => {
  test('strength 2: equality ignores case, not accents (mongoose and driver)', async () => {
    expect(ns(await Word.find({ w: 'PING' }).collation(CI).lean())).toEqual([1, 2, 3]);
    expect(ns(await raw.find({ w: 'PING' }, { collation: CI }).toArray())).toEqual([1, 2, 3]);
    // Without a collation: binary comparison.
    expect(ns(await raw.find({ w: 'PING' }).toArray())).toEqual([2]);
  });

  test('strength 1: equality ignores case and accents', async () => {
    expect(ns(await raw.find({ w: 'pIng' }, { collation: { locale: 'en', strength: 1 } }).toArray())).toEqual([1, 2, 3, 5]);
  });

  test('strength 1 with caseLevel: accents ignored, case not', async () => {
    expect(ns(await raw.find({ w: 'ping' }, { collation: { locale: 'en', strength: 1, caseLevel: true } }).toArray())).toEqual([1, 5]);
  });

  test('strength 3 (the default): case matters', async () => {
    expect(ns(await raw.find({ w: 'ping' }, { collation: { locale: 'en' } }).toArray())).toEqual([1]);
  });

  test('$in, $nin and $ne compare under the collation', async () => {
    expect(ns(await Word.find({ w: { $in: ['PONG', 'APPLE'] } }).collation(CI).lean())).toEqual([4, 6]);
    expect(ns(await raw.find({ w: { $nin: ['PING', 'zebra'] } }, { collation: CI }).toArray())).toEqual([4, 5, 6]);
    expect(ns(await raw.find({ w: { $ne: 'PING' } }, { collation: CI }).toArray())).toEqual([4, 5, 6, 7]);
  });

  test('ranges on strings use the collation order', async () => {
    // Binary order puts 'Zebra' before 'apple'; under en it is the last word.
    expect(ns(await raw.find({ w: { $gt: 'q' } }, { collation: CI }).toArray())).toEqual([7]);
    expect(ns(await raw.find({ w: { $gt: 'q' } }).toArray())).toEqual([]);
    expect(ns(await Word.find({ w: { $gte: 'PING', $lte: 'ping' } }).collation(CI).lean())).toEqual([1, 2, 3]);
  });

  test('sort uses the collation order (case-insensitive, then as the collation ties)', async () => {
    const sorted = await raw.find({ w: { $in: ['apple', 'Zebra', 'pong'] } }, { collation: CI, sort: { w: 1 } }).toArray();
    expect(sorted.map((d) => d.w)).toEqual(['apple', 'pong', 'Zebra']);
    const binary = await raw.find({ w: { $in: ['apple', 'Zebra', 'pong'] } }, { sort: { w: 1 } }).toArray();
    expect(binary.map((d) => d.w)).toEqual(['Zebra', 'apple', 'pong']);
    const viaMongoose = await Word.find({ n: { $gte: 4 } }).sort({ w: -1 }).collation(CI).lean();
    expect(viaMongoose.map((d) => d.w)).toEqual(['Zebra', 'pong', 'píng', 'apple']);
  });

  test('numericOrdering compares digit runs as numbers', async () => {
    await raw.insertMany([{ w: 'file10' }, { w: 'file9' }, { w: 'file100' }]);
    const docs = await raw.find({ w: /^file/ }, { collation: { locale: 'en', numericOrdering: true }, sort: { w: 1 } }).toArray();
    expect(docs.map((d) => d.w)).toEqual(['file9', 'file10', 'file100']);
    const range = await raw.find({ w: { $gt: 'file9', $lt: 'g' } }, { collation: { locale: 'en', numericOrdering: true } }).toArray();
    expect(range.map((d) => d.w).sort()).toEqual(['file10', 'file100']);
  });

  test('caseFirst upper sorts upper case before lower case', async () => {
    const docs = await raw.find({ n: { $lte: 3 } }, { collation: { locale: 'en', caseFirst: 'upper' }, sort: { w: 1 } }).toArray();
    expect(docs.map((d) => d.w)).toEqual(['PING', 'Ping', 'ping']);
    const lower = await raw.find({ n: { $lte: 3 } }, { collation: { locale: 'en', caseFirst: 'lower' }, sort: { w: 1 } }).toArray();
    expect(lower.map((d) => d.w)).toEqual(['ping', 'Ping', 'PING']);
  });

  test("locale 'simple' is binary comparison", async () => {
    expect(ns(await raw.find({ w: 'PING' }, { collation: { locale: 'simple' } }).toArray())).toEqual([2]);
  });

  test('a regular expression ignores the collation, beside a collated condition', async () => {
    expect(ns(await raw.find({ w: /^p/, n: { $gte: 1 } }, { collation: CI }).toArray())).toEqual([1, 4, 5]);
  });

  test('strings inside arrays and sub-documents compare under the collation', async () => {
    await raw.insertMany([
      { tags: ['Red', 'Blue'], n: 10 },
      { sub: { c: 'GREEN' }, n: 11 },
    ]);
    expect(ns(await raw.find({ tags: 'red' }, { collation: CI }).toArray())).toEqual([10]);
    expect(ns(await raw.find({ 'sub.c': 'green' }, { collation: CI }).toArray())).toEqual([11]);
    expect(ns(await raw.find({ sub: { c: 'green' } }, { collation: CI }).toArray())).toEqual([11]);
    expect(ns(await raw.find({ tags: { $all: ['blue', 'RED'] } }, { collation: CI }).toArray())).toEqual([10]);
  });
});

describe('count, distinct and aggregate with a collation', () => {
  test('countDocuments and count compare under the collation', async () => {
    expect(await Word.countDocuments({ w: 'ping' }).collation(CI)).toBe(3);
    expect(await raw.countDocuments({ w: 'ping' }, { collation: CI })).toBe(3);
    const reply = await db.conn.db!.command({ count: 'words', query: { w: 'ping' }, collation: CI });
    expect(reply.n).toBe(3);
  });

  test('distinct returns one value per class of equal strings', async () => {
    const values = (await raw.distinct('w', { n: { $lte: 4 } }, { collation: CI })) as string[];
    expect(values).toHaveLength(2);
    expect(values.map((v) => v.toLowerCase()).sort()).toEqual(['ping', 'pong']);
    const binary = await raw.distinct('w', { n: { $lte: 4 } });
    expect(binary).toHaveLength(4);
    const viaMongoose = (await Word.distinct('w', { w: 'PING' }).collation(CI)) as string[];
    expect(viaMongoose).toHaveLength(1);
    expect(viaMongoose[0].toLowerCase()).toBe('ping');
  });

  test('aggregate: $match and $sort use the collation', async () => {
    const out = await raw.aggregate([{ $match: { w: { $in: ['PING', 'zebra'] } } }, { $sort: { n: -1 } }, { $project: { _id: 0, n: 1 } }], { collation: CI }).toArray();
    expect(out).toEqual([{ n: 7 }, { n: 3 }, { n: 2 }, { n: 1 }]);
    const later = await Word.aggregate([{ $sort: { n: 1 } }, { $match: { w: 'PING' } }, { $project: { _id: 0, n: 1 } }]).collation(CI);
    expect(later).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const sorted = await raw.aggregate([{ $match: { n: { $in: [4, 6, 7] } } }, { $sort: { w: 1 } }, { $project: { _id: 0, w: 1 } }], { collation: CI }).toArray();
    expect(sorted).toEqual([{ w: 'apple' }, { w: 'pong' }, { w: 'Zebra' }]);
  });
});

describe("a collection's default collation", () => {
  test('applies to queries that name none; a query can override it with simple', async () => {
    const name = 'ci_words';
    await db.conn.db!.createCollection(name, { collation: CI });
    const coll = db.conn.db!.collection(name);
    await coll.insertMany([{ w: 'ping' }, { w: 'PING' }, { w: 'pong' }]);
    expect(await coll.countDocuments({ w: 'Ping' })).toBe(2);
    expect(await coll.find({ w: 'Ping' }, { collation: { locale: 'simple' } }).toArray()).toEqual([]);
    expect(await coll.distinct('w')).toHaveLength(2);
    expect(await coll.distinct('w', {}, { collation: { locale: 'simple' } })).toHaveLength(3);
    const info = await db.conn.db!.listCollections({ name }).toArray();
    expect((info[0] as { options?: { collation?: { locale?: string; strength?: number } } }).options?.collation).toMatchObject({ locale: 'en', strength: 2 });
    const CiWord = db.conn.model<Word>('CiWord', new Schema<Word>({ w: String }), name);
    expect(await CiWord.countDocuments({ w: 'PONG' })).toBe(1);
  });

  test('the _id index and new indexes take the default collation: string ids differing in case are duplicates', async () => {
    const name = 'ci_ids';
    await db.conn.db!.createCollection(name, { collation: CI });
    const coll = db.conn.db!.collection<{ _id: string; w?: string }>(name);
    await coll.createIndex({ w: 1 }, { unique: true });
    await coll.insertOne({ _id: 'key', w: 'one' });
    expect((await serverError(coll.insertOne({ _id: 'KEY', w: 'two' }))).code).toBe(11000);
    expect((await serverError(coll.insertOne({ _id: 'other', w: 'ONE' }))).code).toBe(11000);
    const indexes = await coll.indexes();
    for (const index of indexes) expect(index.collation).toMatchObject({ locale: 'en', strength: 2 });
  });
});

describe('invalid collations are refused with MongoDB errors', () => {
  test('an unknown locale: BadValue (2), "Field \'locale\' is invalid in: ..."', async () => {
    const err = await serverError(raw.find({ w: 'x' }, { collation: { locale: 'xx_invalid' } }).toArray());
    expect(err.code).toBe(2);
    expect(err.message).toMatch(/Field 'locale' is invalid in:/);
    const viaMongoose = await serverError(Word.find({ w: 'x' }).collation({ locale: 'xx_invalid' }).exec());
    expect(viaMongoose.code).toBe(2);
  });

  test('a collation that is not an object: TypeMismatch (14)', async () => {
    const err = await serverError(db.conn.db!.command({ find: 'words', filter: {}, collation: 'en' }));
    expect(err.code).toBe(14);
  });

  test('an unknown field in the collation: 40415', async () => {
    const err = await serverError(db.conn.db!.command({ find: 'words', filter: {}, collation: { locale: 'en', colour: 'blue' } }));
    expect(err.code).toBe(40415);
  });

  test('a collation without a locale: 40414', async () => {
    const err = await serverError(db.conn.db!.command({ count: 'words', query: {}, collation: { strength: 2 } }));
    expect(err.code).toBe(40414);
  });

  test("caseFirst at strength 2 without caseLevel: BadValue (2) \"'caseFirst' is invalid unless ...\"", async () => {
    const err = await serverError(raw.find({}, { collation: { locale: 'en', strength: 2, caseFirst: 'upper' } }).toArray());
    expect(err.code).toBe(2);
    expect(err.message).toMatch(/'caseFirst' is invalid unless/);
  });
});

describe('indexes with a collation', () => {
  test('a unique index with strength 2 makes "Abc" and "abc" duplicates (driver)', async () => {
    const coll = db.conn.db!.collection('handles');
    await coll.createIndex({ h: 1 }, { unique: true, collation: CI, name: 'h_ci' });
    await coll.insertOne({ h: 'Abc', n: 1 });
    const err = await serverError(coll.insertOne({ h: 'abc', n: 2 }));
    expect(err.code).toBe(11000);
    await coll.insertOne({ h: 'abd', n: 3 });
    const indexes = await coll.indexes();
    expect(indexes.find((i) => i.name === 'h_ci')?.collation).toMatchObject({ locale: 'en', strength: 2 });
    // Queries stay right whatever their collation: binary without one, case-insensitive with it.
    expect(ns(await coll.find({ h: 'ABC' }).toArray())).toEqual([]);
    expect(ns(await coll.find({ h: 'ABC' }, { collation: CI }).toArray())).toEqual([1]);
    expect(ns(await coll.find({ h: { $gte: 'ABC' } }, { collation: CI }).toArray())).toEqual([1, 3]);
    expect((await coll.find({}, { sort: { h: -1 } }).toArray()).map((d) => d.h)).toEqual(['abd', 'Abc']);
  });

  test('a unique index with a collation through mongoose schema options', async () => {
    const Handle = db.conn.model('Handle', new Schema({ h: String }).index({ h: 1 }, { unique: true, collation: CI }), 'mongoose_handles');
    await Handle.init();
    await Handle.create({ h: 'Élan' });
    const err = await serverError(Handle.create({ h: 'élan' }));
    expect(err.code).toBe(11000);
    // Strength 2 keeps accents apart: 'Elan' is another key.
    await Handle.create({ h: 'Elan' });
    expect(await Handle.countDocuments({})).toBe(2);
  });

  test('an index without collation does not answer a collated query wrongly (equality, range, sort)', async () => {
    const coll = db.conn.db!.collection('indexed_words');
    await coll.createIndex({ w: 1 });
    await coll.insertMany([{ w: 'ping', n: 1 }, { w: 'PING', n: 2 }, { w: 'apple', n: 3 }, { w: 'Zebra', n: 4 }]);
    expect(ns(await coll.find({ w: 'Ping' }, { collation: CI }).toArray())).toEqual([1, 2]);
    expect(ns(await coll.find({ w: { $in: ['APPLE', 'zebra'] } }, { collation: CI }).toArray())).toEqual([3, 4]);
    expect(ns(await coll.find({ w: { $gt: 'b' } }, { collation: CI }).toArray())).toEqual([1, 2, 4]);
    const sorted = await coll.find({}, { collation: CI, sort: { w: 1 }, limit: 2 }).toArray();
    expect(sorted.map((d) => d.w)).toEqual(['apple', expect.stringMatching(/^ping$/i)]);
    const IndexedWord = db.conn.model<Word>('IndexedWord', new Schema<Word>({ w: String, n: Number }), 'indexed_words');
    expect(await IndexedWord.countDocuments({ w: 'PING' }).collation(CI)).toBe(2);
  });

  test('building a unique collated index over case-duplicates fails with 11000', async () => {
    const coll = db.conn.db!.collection('dups');
    await coll.insertMany([{ h: 'X' }, { h: 'x' }]);
    const err = await serverError(coll.createIndex({ h: 1 }, { unique: true, collation: CI }));
    expect(err.code).toBe(11000);
  });
});
