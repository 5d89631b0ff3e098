/**
 * `$merge` and `$listLocalSessions` as MongoDB 7.0 has them. `$merge` (document_source_merge.cpp):
 * last stage only (40601); `into` a name or `{db, coll}`; matched on `on` (`_id` by default; other
 * fields need a unique index on exactly them, 51183); whenMatched replace / keepExisting / merge /
 * fail / a pipeline with `let` (`$$new` by default); whenNotMatched insert / discard / fail
 * (13113); writes through the ordinary write path (unique indexes, validators,
 * bypassDocumentValidation); the cursor comes back empty. `$listLocalSessions` on a
 * database-level aggregate lists the sessions the server has seen, the caller's own included.
 */
import { Binary, type Collection, type Document } from 'mongodb';
import mongoose, { Schema } from 'mongoose';
import { openTestDb, type TestDb } from '../helpers';
import { serverError } from './expectError';

let db: TestDb;
let Score: mongoose.Model<{ name: string; points: number }>;

beforeAll(async () => {
  db = await openTestDb('merge');
  Score = db.conn.model<{ name: string; points: number }>('Score', new Schema<{ name: string; points: number }>({ name: String, points: Number }));
});

afterAll(async () => {
  await db.close();
});

let n = 0;
/** A fresh collection holding `docs`. */
async function collectionWith(docs: Document[]): Promise<Collection> {
  const coll = db.conn.db!.collection(`m${++n}`);
  if (docs.length) await coll.insertMany(docs);
  return coll;
}

/** Runs `pipeline` over `source` with the raw driver. */
function run(source: Collection, pipeline: Document[], options: Document = {}): Promise<Document[]> {
  return source.aggregate(pipeline, options).toArray();
}

/** Two results (`_id` 1 and 2, `a: 'new'`) to merge into a target holding `_id` 1 with `a: 'old'`. */
async function newOverOld(): Promise<{ source: Collection; target: Collection }> {
  const source = await collectionWith([
    { _id: 1, a: 'new' },
    { _id: 2, a: 'new' },
  ]);
  const target = await collectionWith([{ _id: 1, a: 'old' }]);
  return { source, target };
}

describe('MongoDB $merge: modes', () => {
  it('mongoose: the default mode (merge/insert) $sets matching documents and inserts the others; the cursor is empty', async () => {
    await Score.insertMany([
      { _id: new mongoose.Types.ObjectId('000000000000000000000001'), name: 'ann', points: 3 },
      { _id: new mongoose.Types.ObjectId('000000000000000000000002'), name: 'bob', points: 5 },
    ]);
    const target = await collectionWith([{ _id: new mongoose.Types.ObjectId('000000000000000000000001'), name: 'old', extra: true }]);
    const returned = await Score.aggregate([{ $project: { name: 1, points: 1 } }, { $merge: { into: target.collectionName } }]).exec();
    expect(returned).toEqual([]);
    expect(await target.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: new mongoose.Types.ObjectId('000000000000000000000001'), name: 'ann', extra: true, points: 3 },
      { _id: new mongoose.Types.ObjectId('000000000000000000000002'), name: 'bob', points: 5 },
    ]);
  });

  it('{$merge: "name"} (the string form) writes into a collection it creates', async () => {
    const source = await collectionWith([{ _id: 1, x: 1 }]);
    const name = `created_${n}`;
    await run(source, [{ $merge: name }]);
    expect(await db.conn.db!.collection(name).find().toArray()).toEqual([{ _id: 1, x: 1 }]);
  });

  it('whenMatched "replace" replaces the matched document whole', async () => {
    const source = await collectionWith([{ _id: 1, a: 'new' }]);
    const target = await collectionWith([{ _id: 1, a: 'old', b: 'gone' }]);
    await run(source, [{ $merge: { into: target.collectionName, whenMatched: 'replace' } }]);
    expect(await target.find().toArray()).toEqual([{ _id: 1, a: 'new' }]);
  });

  it('whenMatched "keepExisting" leaves a matched document alone and inserts the rest', async () => {
    const { source, target } = await newOverOld();
    await run(source, [{ $merge: { into: target.collectionName, whenMatched: 'keepExisting' } }]);
    expect(await target.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, a: 'old' },
      { _id: 2, a: 'new' },
    ]);
  });

  it('whenMatched "fail": DuplicateKey (11000) on a match; the other documents are still inserted', async () => {
    const { source, target } = await newOverOld();
    const err = await serverError(run(source, [{ $merge: { into: target.collectionName, whenMatched: 'fail' } }]));
    expect(err.code).toBe(11000);
    expect(err.message).toContain("$merge with whenMatched: fail found an existing document with the same values for the 'on' fields");
    expect(await target.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, a: 'old' },
      { _id: 2, a: 'new' },
    ]);
  });

  it('whenNotMatched "discard" drops the unmatched results', async () => {
    const { source, target } = await newOverOld();
    await run(source, [{ $merge: { into: target.collectionName, whenMatched: 'replace', whenNotMatched: 'discard' } }]);
    expect(await target.find().toArray()).toEqual([{ _id: 1, a: 'new' }]);
  });

  it('whenNotMatched "fail": MergeStageNoMatchingDocument (13113); matched documents are still written', async () => {
    const { source, target } = await newOverOld();
    const err = await serverError(run(source, [{ $merge: { into: target.collectionName, whenNotMatched: 'fail' } }]));
    expect(err.code).toBe(13113);
    expect(err.codeName).toBe('MergeStageNoMatchingDocument');
    expect(await target.find().toArray()).toEqual([{ _id: 1, a: 'new' }]);
  });

  it('whenMatched as a pipeline: an update pipeline over the matched document, $$new the result (default let), unmatched results inserted as they are', async () => {
    const source = await collectionWith([
      { _id: 1, n: 5 },
      { _id: 2, n: 7 },
    ]);
    const target = await collectionWith([{ _id: 1, n: 10 }]);
    await run(source, [{ $merge: { into: target.collectionName, whenMatched: [{ $set: { n: { $add: ['$n', '$$new.n'] } } }] } }]);
    expect(await target.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, n: 15 },
      { _id: 2, n: 7 },
    ]);
  });

  it('whenMatched pipeline with let: the variables are evaluated against each result document', async () => {
    const source = await collectionWith([{ _id: 1, n: 5 }]);
    const target = await collectionWith([{ _id: 1, n: 10 }]);
    await run(source, [{ $merge: { into: target.collectionName, let: { incoming: '$n' }, whenMatched: [{ $set: { n: { $multiply: ['$n', '$$incoming'] } } }] } }]);
    expect(await target.find().toArray()).toEqual([{ _id: 1, n: 50 }]);
  });

  it('into {db, coll} writes into another database', async () => {
    const otherName = `${db.conn.db!.databaseName}_mrg`;
    const other = db.conn.getClient().db(otherName);
    try {
      const source = await collectionWith([{ _id: 1, x: 1 }]);
      await run(source, [{ $merge: { into: { db: otherName, coll: 'copy' } } }]);
      expect(await other.collection('copy').find().toArray()).toEqual([{ _id: 1, x: 1 }]);
    } finally {
      await other.dropDatabase();
    }
  });

  it('into the collection being aggregated (allowed since 4.4)', async () => {
    const coll = await collectionWith([
      { _id: 1, n: 1 },
      { _id: 2, n: 2 },
    ]);
    await run(coll, [{ $project: { n: { $multiply: ['$n', 10] } } }, { $merge: { into: coll.collectionName } }]);
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, n: 10 },
      { _id: 2, n: 20 },
    ]);
  });
});

describe('MongoDB $merge: on fields', () => {
  it('on a non-_id field with a unique index on it: matches by that field', async () => {
    const source = await collectionWith([{ _id: 'src', sku: 'a', qty: 9 }]);
    const target = await collectionWith([{ _id: 'tgt', sku: 'a', qty: 1 }]);
    await target.createIndex({ sku: 1 }, { unique: true });
    await run(source, [{ $project: { _id: 0, sku: 1, qty: 1 } }, { $merge: { into: target.collectionName, on: 'sku' } }]);
    expect(await target.find().toArray()).toEqual([{ _id: 'tgt', sku: 'a', qty: 9 }]);
  });

  it('on fields without a unique index on exactly them: 51183 "Cannot find index to verify that join fields will be unique"', async () => {
    const source = await collectionWith([{ sku: 'a' }]);
    const target = await collectionWith([{ sku: 'b' }]);
    await target.createIndex({ sku: 1 });
    const err = await serverError(run(source, [{ $merge: { into: target.collectionName, on: 'sku' } }]));
    expect(err.code).toBe(51183);
    expect(err.message).toContain('Cannot find index to verify that join fields will be unique');
    // A partial unique index does not support it either.
    await target.createIndex({ sku: 1 }, { unique: true, name: 'sku_partial', partialFilterExpression: { sku: { $exists: true } } });
    expect((await serverError(run(source, [{ $merge: { into: target.collectionName, on: ['sku'] } }]))).code).toBe(51183);
  });

  it("the supporting index must have the aggregation's collation (51183 otherwise); matching then uses it", async () => {
    const source = await collectionWith([{ _id: 'src', sku: 'A', qty: 2 }]);
    const target = await collectionWith([{ _id: 'tgt', sku: 'a', qty: 1 }]);
    const caseless = { locale: 'en', strength: 2 };
    await target.createIndex({ sku: 1 }, { unique: true, collation: caseless });
    const pipeline = [{ $project: { _id: 0, sku: 1, qty: 1 } }, { $merge: { into: target.collectionName, on: 'sku' } }];
    expect((await serverError(run(source, pipeline))).code).toBe(51183);
    await run(source, pipeline, { collation: caseless });
    expect(await target.find().toArray()).toEqual([{ _id: 'tgt', sku: 'A', qty: 2 }]);
  });

  it('a result whose on field is missing: 51132', async () => {
    const source = await collectionWith([{ _id: 1 }]);
    const target = await collectionWith([{ sku: 'b' }]);
    await target.createIndex({ sku: 1 }, { unique: true });
    const err = await serverError(run(source, [{ $merge: { into: target.collectionName, on: 'sku' } }]));
    expect(err.code).toBe(51132);
  });

  it('a matched result carrying a different _id: ImmutableField (66)', async () => {
    const source = await collectionWith([{ _id: 'other', sku: 'a' }]);
    const target = await collectionWith([{ _id: 'tgt', sku: 'a' }]);
    await target.createIndex({ sku: 1 }, { unique: true });
    const err = await serverError(run(source, [{ $merge: { into: target.collectionName, on: 'sku' } }]));
    expect(err.code).toBe(66);
  });
});

describe('MongoDB $merge: the write path and refusals', () => {
  it('a result breaking another unique index: DuplicateKey (11000)', async () => {
    const source = await collectionWith([{ _id: 2, email: 'x@y' }]);
    const target = await collectionWith([{ _id: 1, email: 'x@y' }]);
    await target.createIndex({ email: 1 }, { unique: true });
    const err = await serverError(run(source, [{ $merge: { into: target.collectionName } }]));
    expect(err.code).toBe(11000);
  });

  it('the target validator applies (121), unless bypassDocumentValidation', async () => {
    const source = await collectionWith([{ _id: 1, qty: -1 }]);
    const name = `validated_${n}`;
    await db.conn.db!.createCollection(name, { validator: { qty: { $gte: 0 } } });
    const err = await serverError(run(source, [{ $merge: { into: name } }]));
    expect(err.code).toBe(121);
    await run(source, [{ $merge: { into: name } }], { bypassDocumentValidation: true });
    expect(await db.conn.db!.collection(name).find().toArray()).toEqual([{ _id: 1, qty: -1 }]);
  });

  it('$merge before the last stage: 40601', async () => {
    const source = await collectionWith([]);
    const err = await serverError(run(source, [{ $merge: { into: 'x' } }, { $match: {} }]));
    expect(err.code).toBe(40601);
    expect(err.message).toBe('$merge can only be the final stage in the pipeline');
  });

  it('unsupported mode pairs (51181), let without a pipeline (51199), unknown fields (40415)', async () => {
    const source = await collectionWith([]);
    expect((await serverError(run(source, [{ $merge: { into: 'x', whenMatched: 'fail', whenNotMatched: 'fail' } }]))).code).toBe(51181);
    expect((await serverError(run(source, [{ $merge: { into: 'x', let: { a: 1 } } }]))).code).toBe(51199);
    expect((await serverError(run(source, [{ $merge: { into: 'x', bogus: 1 } }]))).code).toBe(40415);
    expect((await serverError(run(source, [{ $merge: { into: 'x', whenMatched: 'pipeline' } }]))).code).toBe(2);
  });

  it('into an internal database: 31320; into a system collection: 31319', async () => {
    const source = await collectionWith([]);
    expect((await serverError(run(source, [{ $merge: { into: { db: 'admin', coll: 'x' } } }]))).code).toBe(31320);
    expect((await serverError(run(source, [{ $merge: { into: 'system.x' } }]))).code).toBe(31319);
  });
});

describe('MongoDB $listLocalSessions', () => {
  it('raw driver: lists the session the command itself runs in, as {_id: {id, uid}, lastUse}', async () => {
    const client = db.conn.getClient();
    const session = client.startSession();
    try {
      const docs = await client.db('admin').aggregate([{ $listLocalSessions: {} }], { session }).toArray();
      const own = docs.find((d) => (d._id as { id: Binary }).id.toString('hex') === (session.id!.id as Binary).toString('hex'));
      expect(own).toBeDefined();
      expect((own!._id as { uid: Binary }).uid).toBeInstanceOf(Binary);
      expect(own!.lastUse).toBeInstanceOf(Date);
    } finally {
      await session.endSession();
    }
  });

  it('through the mongoose connection (conn.db.aggregate): $listLocalSessions {allUsers: true} then ordinary stages', async () => {
    const docs = await db.conn.db!.aggregate([{ $listLocalSessions: { allUsers: true } }, { $limit: 1 }, { $project: { _id: 0, seen: { $literal: true } } }]).toArray();
    expect(docs).toEqual([{ seen: true }]);
  });

  it('on a collection: InvalidNamespace (73); not first: 40602; allUsers with users: UnsupportedFormat (140)', async () => {
    const source = await collectionWith([]);
    expect((await serverError(run(source, [{ $listLocalSessions: {} }]))).code).toBe(73);
    expect((await serverError(db.conn.db!.aggregate([{ $documents: [] }, { $listLocalSessions: {} }]).toArray())).code).toBe(40602);
    const err = await serverError(db.conn.db!.aggregate([{ $listLocalSessions: { allUsers: true, users: [{ user: 'a', db: 'b' }] } }]).toArray());
    expect(err.code).toBe(140);
  });
});
