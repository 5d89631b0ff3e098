/**
 * `$$NOW` and server-side JavaScript, as MongoDB 7.0 has them:
 * - `$$NOW` is evaluated once per command: every document of an aggregation, every document an
 *   update pipeline changes, every `$expr` test sees the same date (MongoDB's ExpressionContext
 *   fixes it when the command starts). A standalone has no `$$CLUSTER_TIME` (51144).
 * - The embedded server never runs client JavaScript: it answers as a MongoDB whose script
 *   engine is disabled (`security.javascriptEnabled: false`): `$where` 6108304 "no
 *   globalScriptEngine in $where parsing" (JsFunction), `$function` / `$accumulator` 31264
 *   "Cannot run server-side javascript without the javascript engine enabled"
 *   (ExpressionContext::getJsExecWithScope). Those tests are embedded-only (a default MongoDB
 *   runs the JavaScript). The refusals MongoDB gives whatever its script engine — `$where` in an
 *   aggregation `$match` (2 BadValue "$where is not allowed in this context") and `$function` in
 *   a validator (4660800) — run against MongoDB too.
 * Through the raw driver and mongoose.
 */
import type { Collection } from 'mongodb';
import { Schema } from 'mongoose';
import { describeEmbedded, openTestDb, type TestDb } from '../helpers';
import { serverError } from './expectError';

let db: TestDb;
let coll: Collection<{ _id: number; [field: string]: unknown }>;
const COUNT = 2000;

beforeAll(async () => {
  db = await openTestDb('now_js');
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  coll = db.conn.db!.collection(`now_${Math.random().toString(36).slice(2)}`);
  await coll.insertMany(Array.from({ length: COUNT }, (_, i) => ({ _id: i, n: i })));
});

/** The number of distinct instants among `dates`. */
function distinctTimes(dates: unknown[]): number {
  return new Set(dates.map((d) => (d as Date).getTime())).size;
}

describe('MongoDB: $$NOW is one value for the whole command', () => {
  test(`raw driver: updateMany over ${COUNT} documents with [{$set: {t: '$$NOW'}}] stores one date`, async () => {
    const res = await coll.updateMany({}, [{ $set: { t: '$$NOW' } }]);
    expect(res.modifiedCount).toBe(COUNT);
    const dates = await coll.distinct('t');
    expect(dates).toHaveLength(1);
    expect(dates[0]).toBeInstanceOf(Date);
  });

  test(`raw driver: aggregate $addFields {t: '$$NOW'} over ${COUNT} documents gives one date, and a later $match $expr sees the same $$NOW`, async () => {
    const out = await coll.aggregate([{ $addFields: { t: '$$NOW' } }]).toArray();
    expect(out).toHaveLength(COUNT);
    expect(distinctTimes(out.map((d) => d.t))).toBe(1);
    const count = await coll.aggregate([{ $addFields: { t: '$$NOW' } }, { $match: { $expr: { $eq: ['$t', '$$NOW'] } } }, { $count: 'n' }]).toArray();
    expect(count).toEqual([{ n: COUNT }]);
  });

  test('raw driver: a $expr filter with $$NOW and the update pipeline of the same command see one date', async () => {
    const res = await coll.updateMany({ $expr: { $gt: ['$$NOW', new Date(0)] } }, [{ $set: { t: '$$NOW', u: { $add: ['$$NOW', 0] } } }]);
    expect(res.modifiedCount).toBe(COUNT);
    const docs = await coll.find({}).toArray();
    expect(distinctTimes(docs.flatMap((d) => [d.t, d.u]))).toBe(1);
  });

  test(`raw driver: a find projection {t: '$$NOW'} over ${COUNT} documents (several batches) and findOneAndUpdate give one date each`, async () => {
    const docs = await coll.find({}, { projection: { t: '$$NOW' } }).toArray();
    expect(docs).toHaveLength(COUNT);
    expect(distinctTimes(docs.map((d) => d.t))).toBe(1);
    const after = await coll.findOneAndUpdate({ _id: 1 }, [{ $set: { t: '$$NOW' } }], { returnDocument: 'after', projection: { t: 1, u: '$$NOW' } });
    expect(distinctTimes([after?.t, after?.u])).toBe(1);
  });

  test('raw driver: a validator using $$NOW sees each command\'s own time, not the time it was created', async () => {
    const name = `nowv_${Math.random().toString(36).slice(2)}`;
    const validated = await db.conn.db!.createCollection<{ _id: number; at: Date }>(name, { validator: { $expr: { $lte: ['$at', '$$NOW'] } } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    // 250 ms after the collection was created, 50 ms before this insert: valid only against the insert's $$NOW.
    await validated.insertOne({ _id: 1, at: new Date(Date.now() - 50) });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await validated.insertOne({ _id: 2, at: new Date(Date.now() - 50) });
    expect(await validated.countDocuments()).toBe(2);
  });

  test('mongoose: Model.updateMany with a pipeline and Model.aggregate give one $$NOW per command', async () => {
    const Stamp = db.conn.model('Stamp', new Schema({ _id: Number, n: Number, t: Date }), coll.collectionName);
    await Stamp.updateMany({}, [{ $set: { t: '$$NOW' } }], { updatePipeline: true });
    expect(await Stamp.distinct('t')).toHaveLength(1);
    const out = await Stamp.aggregate<{ t: Date }>([{ $project: { t: '$$NOW' } }]);
    expect(out).toHaveLength(COUNT);
    expect(distinctTimes(out.map((d) => d.t))).toBe(1);
    db.conn.deleteModel('Stamp');
  });
});

// A standalone MongoDB has no cluster time (a replica set would answer with one): embedded-only.
describeEmbedded("MongoDB standalone: $$CLUSTER_TIME is 51144 \"Builtin variable '$$CLUSTER_TIME' is not available\"", () => {
  test('raw driver: in aggregate, in a $expr filter and in an update pipeline', async () => {
    const attempts = [
      () => coll.aggregate([{ $addFields: { t: '$$CLUSTER_TIME' } }]).toArray(),
      () => coll.find({ $expr: { $eq: ['$t', '$$CLUSTER_TIME'] } }).toArray(),
      () => coll.updateOne({ _id: 1 }, [{ $set: { t: '$$CLUSTER_TIME' } }]),
    ];
    for (const attempt of attempts) {
      const err = await serverError(attempt());
      expect(err.code).toBe(51144);
      expect(err.message).toBe("Builtin variable '$$CLUSTER_TIME' is not available");
    }
  });
});

describe('MongoDB refuses $where in an aggregation $match and $function in a validator, script engine or not', () => {
  test('raw driver: {$match: {$where: ...}} is 2 BadValue "$where is not allowed in this context"', async () => {
    const err = await serverError(coll.aggregate([{ $match: { $where: 'true' } }]).toArray());
    expect(err.code).toBe(2);
    expect(err.message).toContain('$where is not allowed in this context');
    // countDocuments is an aggregate starting with that $match.
    const counted = await serverError(coll.countDocuments({ $where: 'true' }));
    expect(counted.code).toBe(2);
  });

  test('raw driver and mongoose: a validator using $function is 4660800 "$function cannot be used inside a validator."', async () => {
    const name = `v_${Math.random().toString(36).slice(2)}`;
    const validator = { $expr: { $function: { body: 'function() { return true; }', args: [], lang: 'js' } } };
    const err = await serverError(db.conn.db!.createCollection(name, { validator }));
    expect(err.code).toBe(4660800);
    expect(err.message).toBe('$function cannot be used inside a validator.');
    const viaMongoose = await serverError(db.conn.createCollection(`${name}_m`, { validator }));
    expect(viaMongoose.code).toBe(4660800);
  });
});

describeEmbedded('server-side JavaScript is refused as by a MongoDB with javascriptEnabled: false', () => {
  const where = { $where: 'this.n > 1' };
  const fn = { $function: { body: 'function(n) { return n + 1; }', args: ['$n'], lang: 'js' } };
  const accumulator = {
    $accumulator: { init: 'function() { return 0; }', accumulate: 'function(s, n) { return s + n; }', accumulateArgs: ['$n'], merge: 'function(a, b) { return a + b; }', lang: 'js' },
  };

  test('raw driver: $where in find, delete and update is 6108304 "no globalScriptEngine in $where parsing"', async () => {
    const attempts = [() => coll.find(where).toArray(), () => coll.deleteMany(where), () => coll.updateMany(where, { $set: { x: 1 } })];
    for (const attempt of attempts) {
      const err = await serverError(attempt());
      expect(err.code).toBe(6108304);
      expect(err.message).toContain('no globalScriptEngine in $where parsing');
    }
    expect(await coll.countDocuments({ x: 1 })).toBe(0);
    expect(await coll.countDocuments({})).toBe(COUNT);
  });

  test('raw driver: $function in aggregate ($addFields, $match $expr), in an update pipeline, and $accumulator in $group are 31264', async () => {
    const attempts = [
      () => coll.aggregate([{ $addFields: { m: fn } }]).toArray(),
      () => coll.aggregate([{ $match: { $expr: fn } }]).toArray(),
      () => coll.find({ $expr: fn }).toArray(),
      () => coll.updateMany({}, [{ $set: { m: fn } }]),
      () => coll.aggregate([{ $group: { _id: null, total: accumulator } }]).toArray(),
    ];
    for (const attempt of attempts) {
      const err = await serverError(attempt());
      expect(err.code).toBe(31264);
      expect(err.message).toBe('Cannot run server-side javascript without the javascript engine enabled');
    }
    expect(await coll.countDocuments({ m: { $exists: true } })).toBe(0);
  });

  test('mongoose: Model.find({$where}) and Model.aggregate with $function reject with the same codes', async () => {
    const Js = db.conn.model('Js', new Schema({ _id: Number, n: Number }), coll.collectionName);
    const whereErr = await serverError(Js.find(where).exec());
    expect(whereErr.code).toBe(6108304);
    const fnErr = await serverError(Js.aggregate([{ $project: { m: fn } }]).exec());
    expect(fnErr.code).toBe(31264);
    db.conn.deleteModel('Js');
  });
});
