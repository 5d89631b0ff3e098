/**
 * Issue 16, updates: the embedded server answers updates as MongoDB 7.0 does, through mongoose
 * and the raw driver. Pipeline updates (MongoDB 4.2+) with `let` (5.0+) and `c` constants,
 * `sort` on update statements refused as 7.0 refuses it (an 8.0 feature), and the operator-update
 * rules mongoose meets: MongoDB's parse errors (unknown modifier, path conflicts), type errors at
 * apply time, `$set` of an unchanged `_id`, positional siblings, `$pull` with `$or`, and the
 * "dots and dollars" field-name rules of 5.0+. Every test states what it mirrors and holds against
 * a real MongoDB 7.0 too (MONGODB_URI).
 */
import mongoose, { Schema } from 'mongoose';
import type { Collection, Db, Document } from 'mongodb';
import { openTestDb, type TestDb } from '../helpers';

let db: TestDb;
let raw: Db;
/** Documents of any shape, with any `_id` (the tests use numbers and strings, and invalid updates). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
let coll: Collection<Loose>;
let items: Collection<Loose>;
let Item: mongoose.Model<Document>;

beforeAll(async () => {
  db = await openTestDb('updates');
  raw = db.conn.db as unknown as Db;
  coll = raw.collection<Loose>('raw_items');
  Item = db.conn.model<Document>('Item', new Schema({ _id: Schema.Types.Mixed }, { strict: false, versionKey: false }));
  items = Item.collection as unknown as Collection<Loose>;
});

afterAll(async () => {
  await db.close();
});

beforeEach(async () => {
  await coll.deleteMany({});
  await Item.deleteMany({});
});

/** The MongoDB server error a promise is rejected with (fails the test if it resolves). */
async function serverError(promise: Promise<unknown>): Promise<{ code?: number; codeName?: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { code?: number; codeName?: string; message: string };
  }
  throw new Error('expected the server to refuse the operation');
}

describe('pipeline updates (MongoDB 4.2+: an update given as an array of stages)', () => {
  test('updateOne with $set/$unset stages computes from the document (driver and mongoose)', async () => {
    await coll.insertOne({ _id: 1, a: 2, drop: true });
    const r = await coll.updateOne({ _id: 1 } as Document, [{ $set: { b: { $add: ['$a', 10] } } }, { $unset: 'drop' }]);
    expect([r.matchedCount, r.modifiedCount]).toEqual([1, 1]);
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, a: 2, b: 12 });

    await items.insertOne({ _id: 'm', first: 'Ada', last: 'Lovelace' });
    await Item.updateOne({ _id: 'm' }, [{ $set: { full: { $concat: ['$first', ' ', '$last'] } } }], { updatePipeline: true });
    expect(await Item.findById('m').lean()).toEqual({ _id: 'm', first: 'Ada', last: 'Lovelace', full: 'Ada Lovelace' });
  });

  test('updateMany: $project, $replaceRoot and $replaceWith stages; $$ROOT and $$NOW resolve', async () => {
    await coll.insertMany([
      { _id: 1, a: 1, inner: { x: 1 } },
      { _id: 2, a: 2, inner: { x: 2 } },
    ]);
    const r = await coll.updateMany({}, [{ $replaceWith: { $mergeObjects: ['$inner', { copy: '$$ROOT.a', at: '$$NOW' }] } }]);
    expect([r.matchedCount, r.modifiedCount]).toEqual([2, 2]);
    const docs = await coll.find().sort({ _id: 1 }).toArray();
    // MongoDB keeps the _id a pipeline leaves out.
    expect(docs.map(({ at: _at, ...rest }) => rest)).toEqual([
      { _id: 1, x: 1, copy: 1 },
      { _id: 2, x: 2, copy: 2 },
    ]);
    expect(docs[0].at).toBeInstanceOf(Date);

    await coll.updateOne({ _id: 1 } as Document, [{ $project: { x: 1 } }, { $replaceRoot: { newRoot: { y: { $multiply: ['$x', 5] } } } }]);
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, y: 5 });
  });

  test('let variables (MongoDB 5.0+) are visible in the pipeline, and c constants of a statement', async () => {
    await coll.insertMany([{ _id: 1 }, { _id: 2 }]);
    await coll.updateMany({}, [{ $set: { tag: '$$tag' } }], { let: { tag: 'from-let' } });
    expect(await coll.find().toArray()).toEqual([
      { _id: 1, tag: 'from-let' },
      { _id: 2, tag: 'from-let' },
    ]);
    const reply = await raw.command({ update: 'raw_items', updates: [{ q: { _id: 1 }, u: [{ $set: { k: '$$k' } }], c: { k: 7 } }] });
    expect(reply).toMatchObject({ n: 1, nModified: 1 });
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, tag: 'from-let', k: 7 });

    await items.insertOne({ _id: 'l' });
    await Item.updateOne({ _id: 'l' }, [{ $set: { v: '$$v' } }], { updatePipeline: true, let: { v: 42 } } as mongoose.MongooseUpdateQueryOptions);
    expect(await Item.findById('l').lean()).toEqual({ _id: 'l', v: 42 });
  });

  test('let values are expressions evaluated once: $literal keeps a $-string, $rand gives a number (spec updateOne-let)', async () => {
    await coll.insertMany([{ _id: 1 }, { _id: 2 }]);
    const r = await coll.updateOne({ _id: 1 }, [{ $set: { x: '$$x', y: '$$y', r: '$$rand' } }], { let: { x: 'foo', y: { $literal: '$bar' }, rand: { $rand: {} } } });
    expect([r.matchedCount, r.modifiedCount]).toEqual([1, 1]);
    const doc = await coll.findOne({ _id: 1 });
    expect(doc).toMatchObject({ _id: 1, x: 'foo', y: '$bar' });
    expect(typeof doc?.r).toBe('number');
    const fam = await coll.findOneAndUpdate({ _id: 2 }, [{ $set: { z: '$$z' } }], { let: { z: { $concat: ['a', 'b'] } }, returnDocument: 'after' });
    expect(fam).toEqual({ _id: 2, z: 'ab' });
  });

  test('findOneAndUpdate with a pipeline returns the new document, and upserts from the query equalities', async () => {
    await coll.insertOne({ _id: 1, n: 1 });
    const after = await coll.findOneAndUpdate({ _id: 1 } as Document, [{ $set: { n: { $add: ['$n', '$$step'] } } }], { let: { step: 4 }, returnDocument: 'after' });
    expect(after).toEqual({ _id: 1, n: 5 });
    const upserted = await coll.findOneAndUpdate({ _id: 9, kind: 'x' } as Document, [{ $set: { label: { $concat: ['$kind', '!'] } } }], { upsert: true, returnDocument: 'after' });
    expect(upserted).toEqual({ _id: 9, kind: 'x', label: 'x!' });

    const doc = await Item.findOneAndUpdate({ _id: 'f', group: 'g' }, [{ $set: { size: { $strLenCP: '$group' } } }], { upsert: true, new: true, updatePipeline: true }).lean();
    expect(doc).toEqual({ _id: 'f', group: 'g', size: 1 });
  });

  test('updateOne upsert with a pipeline seeds the new document from the query, as operator upserts do', async () => {
    const r = await coll.updateOne({ _id: 5, color: 'red' } as Document, [{ $set: { shade: { $toUpper: '$color' } } }], { upsert: true });
    expect(r.upsertedId).toBe(5);
    expect(await coll.findOne({ _id: 5 })).toEqual({ _id: 5, color: 'red', shade: 'RED' });
  });

  test('bulkWrite carries pipeline updates (driver and mongoose)', async () => {
    await coll.insertMany([{ _id: 1, a: 1 }, { _id: 2, a: 2 }]);
    const r = await coll.bulkWrite([
      { updateOne: { filter: { _id: 1 }, update: [{ $set: { b: '$a' } }] } },
      { updateMany: { filter: {}, update: [{ $set: { c: { $multiply: ['$a', 3] } } }] } },
    ]);
    expect(r.modifiedCount).toBe(3);
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 1, a: 1, b: 1, c: 3 },
      { _id: 2, a: 2, c: 6 },
    ]);

    await items.insertOne({ _id: 'b', a: 'x' });
    await Item.bulkWrite([{ updateOne: { filter: { _id: 'b' }, update: [{ $set: { twice: { $concat: ['$a', '$a'] } } }] } }], { updatePipeline: true } as mongoose.MongooseBulkWriteOptions);
    expect(await Item.findById('b').lean()).toEqual({ _id: 'b', a: 'x', twice: 'xx' });
  });

  test('$replaceWith with $setField writes a top-level $-prefixed field; $unsetField removes it (dots and dollars, 5.0+)', async () => {
    await coll.insertOne({ _id: 1 });
    await coll.updateOne({ _id: 1 } as Document, [{ $replaceWith: { $setField: { field: { $literal: '$a' }, value: 1, input: '$$ROOT' } } }]);
    await coll.updateOne({ _id: 1 } as Document, [{ $replaceWith: { $setField: { field: 'a.b', value: 2, input: '$$ROOT' } } }]);
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, $a: 1, 'a.b': 2 });
    await coll.updateOne({ _id: 1 } as Document, [{ $replaceWith: { $unsetField: { field: { $literal: '$a' }, input: '$$ROOT' } } }]);
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, 'a.b': 2 });
  });

  test('a pipeline that changes _id is refused with ImmutableField (66)', async () => {
    await coll.insertOne({ _id: 1 });
    const err = await serverError(coll.updateOne({ _id: 1 } as Document, [{ $set: { _id: 2 } }]));
    expect(err.code).toBe(66);
    expect(err.message).toContain("would modify the immutable field '_id'");
    const viaMongoose = await serverError(Item.updateOne({ _id: 1 }, [{ $set: { _id: 3 } }], { updatePipeline: true, upsert: true }).exec());
    expect(viaMongoose.code).toBe(66);
  });

  test('stages other than $addFields/$set/$project/$unset/$replaceRoot/$replaceWith are refused with InvalidOptions (72)', async () => {
    await coll.insertOne({ _id: 1 });
    for (const stage of [{ $group: { _id: null } }, { $match: { _id: 1 } }, { $sort: { _id: 1 } }, { $lookup: { from: 'x', localField: 'a', foreignField: 'b', as: 'c' } }]) {
      const err = await serverError(coll.updateOne({ _id: 1 } as Document, [stage]));
      expect(err.code).toBe(72);
      expect(err.message).toBe(`${Object.keys(stage)[0]} is not allowed to be used within an update`);
    }
    // Mongoose checks the stage names itself before sending (the same against MongoDB).
    const viaMongoose = await serverError(Item.updateMany({}, [{ $group: { _id: null } }], { updatePipeline: true }).exec());
    expect(viaMongoose.message).toContain('Invalid update pipeline operator: "$group"');
    // An unknown stage name fails before that, as in an aggregate.
    expect((await serverError(coll.updateOne({ _id: 1 } as Document, [{ $nosuch: {} }]))).code).toBe(40324);
  });

  test('an undefined variable in an update pipeline is 17276', async () => {
    await coll.insertOne({ _id: 1 });
    const err = await serverError(coll.updateOne({ _id: 1 }, [{ $set: { x: '$$nope' } }]));
    expect([err.code, err.message]).toEqual([17276, 'Use of undefined variable: nope']);
  });

  test('an empty pipeline is a no-op; a pipeline element that is not a document is refused (raw command)', async () => {
    await coll.insertOne({ _id: 1, a: 1 });
    expect(await raw.command({ update: 'raw_items', updates: [{ q: { _id: 1 }, u: [] }] })).toMatchObject({ n: 1, nModified: 0 });
    const reply = await raw.command({ update: 'raw_items', updates: [{ q: { _id: 1 }, u: [1] }] });
    expect(reply.writeErrors?.[0]).toMatchObject({ code: 14, errmsg: "Each element of the 'pipeline' array must be an object" });
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, a: 1 });
  });
});

describe('sort on update statements (MongoDB 7.0, which this server reports, has none: an 8.0 feature)', () => {
  test('updateOne and replaceOne with sort fail with 40415 and change nothing (driver)', async () => {
    await coll.insertMany([{ _id: 1, a: 2 }, { _id: 2, a: 1 }]);
    const update = await serverError(coll.updateOne({}, { $set: { hit: true } }, { sort: { a: 1 } }));
    expect(update.code).toBe(40415);
    expect(update.message).toBe("BSON field 'update.updates.sort' is an unknown field.");
    const replace = await serverError(coll.replaceOne({}, { hit: true }, { sort: { a: 1 } }));
    expect(replace.code).toBe(40415);
    const bulk = await serverError(coll.bulkWrite([{ updateOne: { filter: {}, update: { $set: { hit: true } }, sort: { a: 1 } } }]));
    expect(bulk.code).toBe(40415);
    expect(await coll.countDocuments({ hit: true })).toBe(0);
  });

  test('mongoose updateOne with a sort option is refused the same way', async () => {
    await items.insertMany([{ _id: 1, a: 2 }, { _id: 2, a: 1 }]);
    const err = await serverError(Item.updateOne({}, { $set: { hit: true } }, { sort: { a: 1 } } as mongoose.MongooseUpdateQueryOptions).exec());
    expect(err.code).toBe(40415);
    expect(await Item.countDocuments({ hit: true })).toBe(0);
  });
});

describe('operator updates as MongoDB applies them', () => {
  test('$set of _id to its current value is accepted; to another value it is ImmutableField (66)', async () => {
    await coll.insertOne({ _id: 1, a: 1 });
    const same = await coll.updateOne({ _id: 1 } as Document, { $set: { _id: 1, a: 2 } });
    expect([same.matchedCount, same.modifiedCount]).toEqual([1, 1]);
    const other = await serverError(coll.updateOne({ _id: 1 } as Document, { $set: { _id: 2 } }));
    expect(other.code).toBe(66);
    expect(other.message).toBe("Performing an update on the path '_id' would modify the immutable field '_id'");

    const created = await Item.create({ _id: 'keep', title: 'a' });
    await Item.updateOne({ _id: created._id }, { $set: { _id: 'keep', title: 'b' } });
    expect(await Item.findById('keep').lean()).toEqual({ _id: 'keep', title: 'b' });
  });

  test('sibling positional paths (arr.$.a with arr.$.b) update the one matched element, no conflict', async () => {
    await coll.insertOne({ _id: 1, arr: [{ a: 0, b: 0 }, { a: 5, b: 5 }] });
    await coll.updateOne({ _id: 1, 'arr.a': 5 } as Document, { $set: { 'arr.$.a': 6, 'arr.$.b': 7 } });
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, arr: [{ a: 0, b: 0 }, { a: 6, b: 7 }] });

    await items.insertOne({ _id: 'p', lines: [{ sku: 'x', qty: 1, note: '' }] });
    await Item.updateOne({ _id: 'p', 'lines.sku': 'x' }, { $set: { 'lines.$.qty': 2, 'lines.$.note': 'more' } });
    expect(await Item.findById('p').lean()).toEqual({ _id: 'p', lines: [{ sku: 'x', qty: 2, note: 'more' }] });
  });

  test('one arrayFilters identifier on sibling paths updates every element it selects, both fields', async () => {
    await coll.insertOne({ _id: 1, arr: [{ a: 0, b: 0 }, { a: 1, b: 1 }, { a: 0, b: 5 }] });
    await coll.updateOne({ _id: 1 }, { $set: { 'arr.$[e].a': 9, 'arr.$[e].b': 8 } }, { arrayFilters: [{ 'e.a': 0 }] });
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, arr: [{ a: 9, b: 8 }, { a: 1, b: 1 }, { a: 9, b: 8 }] });
  });

  test('the positional operator without its array in the query is BadValue (2)', async () => {
    await coll.insertOne({ _id: 1, arr: [1, 2] });
    const err = await serverError(coll.updateOne({ _id: 1 }, { $set: { 'arr.$': 5 } }));
    expect([err.code, err.message]).toEqual([2, 'The positional operator did not find the match needed from the query.']);
  });

  test('$push with $each/$sort/$slice onto a missing field applies the modifiers; $currentDate {$type: timestamp} stores a Timestamp', async () => {
    await coll.insertOne({ _id: 1 });
    await coll.updateOne({ _id: 1 }, { $push: { l: { $each: [3, 1, 2], $sort: 1, $slice: 2 } }, $currentDate: { t: { $type: 'timestamp' }, d: true } } as Document);
    const doc = await coll.findOne({ _id: 1 });
    expect(doc?.l).toEqual([1, 2]);
    expect(doc?.t?._bsontype).toBe('Timestamp');
    expect(doc?.d).toBeInstanceOf(Date);

    await items.insertOne({ _id: 'pu' });
    await Item.updateOne({ _id: 'pu' }, { $push: { scores: { $each: [5, 9, 7], $sort: -1, $slice: 2 } } });
    expect(await Item.findById('pu').lean()).toEqual({ _id: 'pu', scores: [9, 7] });
  });

  test('an empty field name in a path is EmptyFieldName (56); $unset of _id is ImmutableField (66)', async () => {
    await coll.insertOne({ _id: 1, a: { b: 1 } });
    const empty = await serverError(coll.updateOne({ _id: 1 }, { $set: { 'a..b': 1 } }));
    expect([empty.code, empty.message]).toEqual([56, "The update path 'a..b' contains an empty field name, which is not allowed."]);
    expect((await serverError(coll.updateOne({ _id: 1 }, { $unset: { _id: '' } }))).code).toBe(66);
  });

  test('$pull with $or removes the matching elements; operators on plain values remove matching values', async () => {
    await coll.insertOne({ _id: 1, arr: [{ a: 1 }, { b: 2 }, { c: 3 }, 4], nums: [1, 2, 3, 4, 5] });
    await coll.updateOne({ _id: 1 } as Document, { $pull: { arr: { $or: [{ a: 1 }, { b: { $gte: 2 } }] }, nums: { $gte: 4 } } } as Document);
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, arr: [{ c: 3 }, 4], nums: [1, 2, 3] });

    await items.insertOne({ _id: 'q', tags: [{ k: 'a' }, { k: 'b' }, { k: 'c' }] });
    await Item.updateOne({ _id: 'q' }, { $pull: { tags: { $or: [{ k: 'a' }, { k: 'c' }] } } });
    expect(await Item.findById('q').lean()).toEqual({ _id: 'q', tags: [{ k: 'b' }] });
  });

  test('an unknown update operator is FailedToParse (9)', async () => {
    await coll.insertOne({ _id: 1 });
    const err = await serverError(coll.updateOne({ _id: 1 } as Document, { $foo: { a: 1 } } as Document));
    expect(err.code).toBe(9);
    expect(err.message).toBe('Unknown modifier: $foo. Expected a valid update modifier or pipeline-style update specified as an array');
    // Refused at parse time: also when nothing matches.
    const none = await serverError(items.updateOne({ _id: 'nothing' }, { $foo: { a: 1 } } as Document));
    expect(none.code).toBe(9);
    // The first field decides the form: after an operator, a plain field is an unknown modifier.
    const mixed = await serverError(coll.updateOne({ _id: 1 }, { $set: { a: 1 }, b: 2 } as Document));
    expect([mixed.code, mixed.message]).toEqual([9, 'Unknown modifier: b. Expected a valid update modifier or pipeline-style update specified as an array']);
  });

  test('two operators on one path, or a path and its parent, are ConflictingUpdateOperators (40)', async () => {
    await coll.insertOne({ _id: 1, a: { b: 1 } });
    const same = await serverError(coll.updateOne({ _id: 1 } as Document, { $set: { a: 1 }, $inc: { a: 1 } }));
    expect(same.code).toBe(40);
    expect(same.message).toBe("Updating the path 'a' would create a conflict at 'a'");
    const parent = await serverError(coll.updateOne({ _id: 1 } as Document, { $set: { a: {}, 'a.b': 2 } }));
    expect(parent.code).toBe(40);
    expect(parent.message).toBe("Updating the path 'a.b' would create a conflict at 'a'");
    const viaMongoose = await serverError(Item.updateOne({ _id: 1 }, { $set: { n: 1 }, $setOnInsert: { n: 0 } }, { upsert: true }).exec());
    expect(viaMongoose.code).toBe(40);
  });

  test('type errors at apply time: $inc of a string (14), $push to a non-array (2), $rename to itself (2)', async () => {
    await coll.insertOne({ _id: 1, s: 'text', n: 1 });
    const inc = await serverError(coll.updateOne({ _id: 1 } as Document, { $inc: { s: 1 } }));
    expect(inc.code).toBe(14);
    expect(inc.message).toContain('Cannot apply $inc to a value of non-numeric type');
    const push = await serverError(coll.updateOne({ _id: 1 } as Document, { $push: { n: 2 } } as Document));
    expect(push.code).toBe(2);
    expect(push.message).toBe("The field 'n' must be an array but is of type int in document {_id: 1}");
    const rename = await serverError(coll.updateOne({ _id: 1 } as Document, { $rename: { n: 'n' } }));
    expect(rename.code).toBe(2);
    expect(rename.message).toContain('The source and target field for $rename must differ');
    const incArg = await serverError(coll.updateOne({ _id: 1 } as Document, { $inc: { n: 'x' } } as Document));
    expect(incArg.code).toBe(14);
    expect(incArg.message).toBe('Cannot increment with non-numeric argument: {n: "x"}');
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, s: 'text', n: 1 });

    await items.insertOne({ _id: 'i', title: 'x' });
    const viaMongoose = await serverError(Item.updateOne({ _id: 'i' }, { $inc: { title: 1 } }).exec());
    expect(viaMongoose.code).toBe(14);
  });

  test('array operators on a non-array and paths through a scalar fail as in MongoDB (2, 14, 28)', async () => {
    await coll.insertOne({ _id: 1, n: 5, arr: [1, 2] });
    const cases: [Document, number, string][] = [
      [{ $addToSet: { n: 1 } }, 2, "Cannot apply $addToSet to non-array field. Field named 'n' has non-array type int"],
      [{ $pull: { n: 1 } }, 2, 'Cannot apply $pull to a non-array value'],
      [{ $pullAll: { n: [1] } }, 2, 'Cannot apply $pull to a non-array value'],
      [{ $pop: { n: 1 } }, 14, "Path 'n' contains an element of non-array type 'int'"],
      [{ $set: { 'n.b': 1 } }, 28, "Cannot create field 'b' in element {n: 5}"],
      [{ $inc: { 'arr.x': 1 } }, 28, "Cannot create field 'x' in element {arr: [ 1, 2 ]}"],
    ];
    for (const [update, code, message] of cases) {
      const err = await serverError(coll.updateOne({ _id: 1 }, update));
      expect([err.code, err.message]).toEqual([code, message]);
    }
    await coll.updateOne({ _id: 1 }, { $set: { s: 'x' } });
    const bit = await serverError(coll.updateOne({ _id: 1 }, { $bit: { s: { and: 1 } } }));
    expect(bit.code).toBe(2);
    expect(bit.message).toContain('Cannot apply $bit to a value of non-integral type');
    await coll.updateOne({ _id: 1 }, { $unset: { s: '' } });
    // Removing from a path that is not there is no error.
    const r = await coll.updateOne({ _id: 1 }, { $unset: { 'n.b': '' }, $pull: { missing: 1 } } as Document);
    expect([r.matchedCount, r.modifiedCount]).toEqual([1, 0]);
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, n: 5, arr: [1, 2] });

    await items.insertOne({ _id: 'a', tags: 'solo' });
    const viaMongoose = await serverError(Item.updateOne({ _id: 'a' }, { $addToSet: { tags: 'x' } }).exec());
    expect(viaMongoose.code).toBe(2);
  });

  test('an empty operator ({$set: {}}) is accepted and changes nothing (MongoDB 5.0+)', async () => {
    await coll.insertOne({ _id: 1, a: 1 });
    const r = await coll.updateOne({ _id: 1 } as Document, { $set: {} });
    expect([r.matchedCount, r.modifiedCount]).toEqual([1, 0]);
  });

  test('an operand that is not a document is FailedToParse (9)', async () => {
    await coll.insertOne({ _id: 1 });
    const err = await serverError(coll.updateOne({ _id: 1 } as Document, { $set: 5 } as unknown as Document));
    expect(err.code).toBe(9);
    expect(err.message).toContain('Modifiers operate on fields but we found type int instead');
  });
});

describe('field names with dots and dollars (MongoDB 5.0+)', () => {
  test('$-prefixed fields are stored on insert and inside replacement documents; $set of a nested $-prefixed field works', async () => {
    await coll.insertOne({ _id: 1, $price: 5, nested: { $inc: true } });
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, $price: 5, nested: { $inc: true } });
    await coll.replaceOne({ _id: 1 } as Document, { address: { $street: 'Elm' } });
    await coll.updateOne({ _id: 1 } as Document, { $set: { 'address.$street': 'Oak' } });
    expect(await coll.findOne({ _id: 1 })).toEqual({ _id: 1, address: { $street: 'Oak' } });

    await Item.create({ _id: 'd', meta: { $ref: 'x' } });
    expect(await Item.findById('d').lean()).toEqual({ _id: 'd', meta: { $ref: 'x' } });
  });

  test('an operator update may write a top-level $-prefixed field only into the document an upsert inserts (52 otherwise)', async () => {
    const r = await coll.updateOne({ date: '2021-07-07' }, { $set: { phone: 25, $hotel: 320 } }, { upsert: true });
    expect(r.upsertedCount).toBe(1);
    expect(await coll.findOne({ date: '2021-07-07' }, { projection: { _id: 0 } })).toEqual({ date: '2021-07-07', phone: 25, $hotel: 320 });
    const err = await serverError(coll.updateOne({ date: '2021-07-07' }, { $set: { $hotel: 1 } }, { upsert: true }));
    expect(err.code).toBe(52);
    expect(err.message).toContain("The dollar ($) prefixed field '$hotel' in '$hotel' is not allowed in the context of an update's replacement document.");
    const replacement = await serverError(coll.replaceOne({ date: '2021-07-07' }, { a: 1, $b: 2 }));
    expect(replacement.code).toBe(52);
  });

  test('a $-prefixed field inside _id is refused with DollarPrefixedFieldName (52)', async () => {
    const err = await serverError(coll.insertOne({ _id: { $a: 1 } }));
    expect(err.code).toBe(52);
    expect(err.message).toBe("_id fields may not contain '$'-prefixed fields: $a is not valid for storage.");
    const viaMongoose = await serverError(items.insertOne({ _id: { x: { $oid: '1' } } }));
    expect(viaMongoose.code).toBe(52);
    expect(await coll.countDocuments()).toBe(0);
  });
});
