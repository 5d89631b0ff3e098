/**
 * Aggregation features around the pipeline, as MongoDB 7.0 has them: `$out` (the results replace
 * a collection, last stage only: 40601 otherwise), database-level aggregate (`aggregate: 1`)
 * with `$documents` (InvalidNamespace 73 for a stage that needs a collection), and explain of an
 * aggregate (`explain: {aggregate}` and `aggregate` with `explain: true`).
 */
import type { Document } from 'mongodb';
import mongoose, { Schema } from 'mongoose';
import { openTestDb, type TestDb } from '../helpers';
import { serverError } from './expectError';

let db: TestDb;
let Sale: mongoose.Model<{ item: string; qty: number }>;

beforeAll(async () => {
  db = await openTestDb('aggout');
  Sale = db.conn.model<{ item: string; qty: number }>('Sale', new Schema<{ item: string; qty: number }>({ item: String, qty: Number }));
  await Sale.insertMany([
    { item: 'a', qty: 1 },
    { item: 'b', qty: 2 },
    { item: 'a', qty: 3 },
  ]);
});

afterAll(async () => {
  await db.close();
});

describe('MongoDB $out', () => {
  it('mongoose: Model.aggregate([... , {$out}]) replaces the target collection with the results', async () => {
    const target = db.conn.db!.collection('sale_totals');
    await target.insertOne({ _id: 'stale' as never, total: 0 });
    const returned = await Sale.aggregate([{ $group: { _id: '$item', total: { $sum: '$qty' } } }, { $sort: { _id: 1 } }, { $out: 'sale_totals' }]).exec();
    expect(returned).toEqual([]);
    expect(await target.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'a', total: 4 },
      { _id: 'b', total: 2 },
    ]);
  });

  it('raw driver: {$out: {db, coll}} writes to another database; the target keeps its indexes', async () => {
    const otherName = `${db.conn.db!.databaseName}_out`;
    const other = db.conn.getClient().db(otherName);
    try {
      await other.collection('copy').createIndex({ item: 1 }, { name: 'item_1' });
      await db.conn.db!.collection('sales').aggregate([{ $match: { item: 'a' } }, { $project: { _id: 0, item: 1, qty: 1 } }, { $out: { db: otherName, coll: 'copy' } }]).toArray();
      const copied = await other.collection('copy').find({}, { projection: { _id: 0 } }).sort({ qty: 1 }).toArray();
      expect(copied).toEqual([
        { item: 'a', qty: 1 },
        { item: 'a', qty: 3 },
      ]);
      expect((await other.collection('copy').listIndexes().toArray()).map((i) => i.name).sort()).toEqual(['_id_', 'item_1']);
    } finally {
      await other.dropDatabase();
    }
  });

  it('a duplicate key in the results fails the whole $out and leaves the target as it was', async () => {
    const target = db.conn.db!.collection('dup_target');
    await target.insertOne({ keep: true });
    await target.createIndex({ item: 1 }, { unique: true });
    const err = await serverError(db.conn.db!.collection('sales').aggregate([{ $project: { _id: 0, item: 1 } }, { $out: 'dup_target' }]).toArray());
    expect(err.code).toBe(11000);
    expect(await target.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ keep: true }]);
  });

  it("$out before the last stage: 40601 \"$out can only be the final stage in the pipeline\"", async () => {
    const err = await serverError(db.conn.db!.collection('sales').aggregate([{ $out: 'x' }, { $match: {} }]).toArray());
    expect(err.code).toBe(40601);
    expect(err.message).toBe('$out can only be the final stage in the pipeline');
  });
});

describe('MongoDB database-level aggregate (aggregate: 1)', () => {
  it('$documents: raw driver db.aggregate and mongoose conn.aggregate', async () => {
    const pipeline = [{ $documents: [{ x: 1 }, { x: 2 }, { x: 3 }] }, { $match: { x: { $gte: 2 } } }, { $project: { _id: 0, x: 1 } }];
    expect(await db.conn.db!.aggregate(pipeline).toArray()).toEqual([{ x: 2 }, { x: 3 }]);
    expect(await db.conn.aggregate(pipeline as never).exec()).toEqual([{ x: 2 }, { x: 3 }]);
  });

  it('$documents then $out: the documents are written to a collection', async () => {
    await db.conn.db!.aggregate([{ $documents: [{ _id: 1, v: 'p' }] }, { $out: 'from_documents' }]).toArray();
    expect(await db.conn.db!.collection('from_documents').find().toArray()).toEqual([{ _id: 1, v: 'p' }]);
  });

  it("a first stage that needs a collection: InvalidNamespace (73)", async () => {
    const err = await serverError(db.conn.db!.aggregate([{ $match: {} }]).toArray());
    expect(err.code).toBe(73);
    expect(err.message).toContain('a collection is required');
  });
});

describe('MongoDB explain of an aggregate', () => {
  it('mongoose Aggregate.explain(): the queryPlanner of the collection read ($cursor stage, or top level when pushed down)', async () => {
    const plan = (await Sale.aggregate([{ $match: { item: 'a' } }, { $group: { _id: '$item', n: { $sum: 1 } } }]).explain()) as unknown as Document;
    expect(plan.ok).toBe(1);
    // MongoDB 7.0 answers in one of two shapes: `stages` starting with a $cursor (the classic
    // engine; the embedded server's shape), or the queryPlanner at the top (the whole pipeline
    // pushed down to the slot-based engine).
    const planner = (Array.isArray(plan.stages) ? (plan.stages[0].$cursor as Document).queryPlanner : plan.queryPlanner) as Document;
    expect(planner.namespace).toBe(`${db.conn.db!.databaseName}.sales`);
    expect(planner.winningPlan).toBeDefined();
    if (Array.isArray(plan.stages)) expect(plan.stages[1]).toHaveProperty('$group');
  });

  it('raw driver: explain of a lone $match is the find-shaped plan (queryPlanner at the top)', async () => {
    const plan = await db.conn.db!.collection('sales').aggregate([{ $match: { item: 'b' } }]).explain('queryPlanner');
    expect(plan.queryPlanner.namespace).toBe(`${db.conn.db!.databaseName}.sales`);
    expect(plan.queryPlanner.winningPlan.stage).toBeDefined();
  });

  it('explain never runs $out', async () => {
    await db.conn.db!.collection('sales').aggregate([{ $out: 'never_written' }]).explain('queryPlanner');
    expect(await db.conn.db!.listCollections({ name: 'never_written' }).toArray()).toEqual([]);
  });
});
