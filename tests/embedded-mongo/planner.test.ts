/**
 * Queries the planner answers from an index alone (string equality on indexed fields) and
 * countDocuments answered without mingo's $group must give exactly MongoDB's results.
 */
import { Schema, type Model } from 'mongoose';
import { matcher } from '../../src/embedded-mongo/collection';
import { countGroup, sortByNumbers } from '../../src/embedded-mongo/commands/reads';
import { openTestDb, type TestDb } from './helpers';

interface Item {
  owner: unknown;
  tag?: unknown;
  n: number;
}

let db: TestDb;
let Items: Model<Item>;

beforeAll(async () => {
  db = await openTestDb('planner');
  const schema = new Schema<Item>({ owner: Schema.Types.Mixed, tag: Schema.Types.Mixed, n: Number });
  schema.index({ owner: 1, n: 1 });
  schema.index({ tag: 1 });
  Items = db.conn.model<Item>('PlannerItem', schema);
  await Items.init();
  await Items.insertMany([
    { owner: 'ann', tag: 'red', n: 1 },
    { owner: 'ann', tag: ['blue', 'red'], n: 2 },
    { owner: 'bob', tag: 'blue', n: 3 },
    { owner: ['ann', 'bob'], n: 4 },
    { owner: 5, tag: true, n: 5 },
    { owner: 'ANN', tag: false, n: 6 },
  ]);
});

afterAll(async () => {
  await db.close();
});

const ns = (docs: { n: number }[]) => docs.map((d) => d.n).sort((a, b) => a - b);

describe('equality answered by an index', () => {
  it('a string equality matches scalar fields and array elements, case-sensitively', async () => {
    expect(ns(await Items.find({ owner: 'ann' }).lean())).toEqual([1, 2, 4]);
    expect(ns(await Items.find({ tag: 'red' }).lean())).toEqual([1, 2]);
  });

  it('a string equality with a further condition outside the index still applies that condition', async () => {
    expect(ns(await Items.find({ owner: 'ann', tag: 'red' }).lean())).toEqual([1, 2]);
    expect(ns(await Items.find({ owner: 'ann', n: { $gt: 1 } }).lean())).toEqual([2, 4]);
  });

  it('boolean and number equalities match across representations', async () => {
    expect(ns(await Items.find({ tag: true }).lean())).toEqual([5]);
    expect(ns(await Items.find({ tag: false }).lean())).toEqual([6]);
    expect(ns(await Items.find({ owner: 5.0 }).lean())).toEqual([5]);
  });

  it('sorts, skips and limits the indexed matches', async () => {
    const page = await Items.find({ owner: 'ann' }).sort({ n: -1 }).skip(1).limit(1).lean();
    expect(ns(page)).toEqual([2]);
  });
});

describe('countDocuments', () => {
  it('counts indexed, filtered and empty matches', async () => {
    expect(await Items.countDocuments({ owner: 'ann' })).toBe(3);
    expect(await Items.countDocuments({ owner: 'ann', n: { $lt: 2 } })).toBe(1);
    expect(await Items.countDocuments({ owner: 'nobody' })).toBe(0);
    expect(await Items.countDocuments({})).toBe(6);
  });

  it('an aggregate $group that counts gives the same shape as a full $group', async () => {
    const [row] = await Items.aggregate([{ $match: { owner: 'ann' } }, { $group: { _id: null, n: { $sum: 1 }, twice: { $sum: 2 } } }]);
    expect(row).toEqual({ _id: null, n: 3, twice: 6 });
    expect(await Items.aggregate([{ $match: { owner: 'zed' } }, { $group: { _id: 1, n: { $sum: 1 } } }])).toEqual([]);
  });
});

describe('countGroup', () => {
  it('answers only constant-_id groups whose accumulators are numeric $sum', () => {
    expect(countGroup({ $group: { _id: 1, n: { $sum: 1 } } }, 4)).toEqual([{ _id: 1, n: 4 }]);
    expect(countGroup({ $group: { _id: 1, n: { $sum: 1 } } }, 0)).toEqual([]);
    expect(countGroup({ $group: { _id: '$owner', n: { $sum: 1 } } }, 4)).toBeUndefined();
    expect(countGroup({ $group: { _id: null, total: { $sum: '$n' } } }, 4)).toBeUndefined();
    expect(countGroup({ $group: { _id: null, n: { $avg: 1 } } }, 4)).toBeUndefined();
    expect(countGroup({ $sort: { n: 1 } }, 4)).toBeUndefined();
  });
});

describe('sortByNumbers', () => {
  const docs = [
    { a: 2, b: 1, id: 'x' },
    { a: 1, b: 5, id: 'y' },
    { a: 2, b: 0, id: 'z' },
  ];

  it('sorts by several numeric keys in their directions', () => {
    expect(sortByNumbers(docs, { a: 1, b: -1 })?.map((d) => d.id)).toEqual(['y', 'x', 'z']);
    expect(sortByNumbers(docs, { a: -1, b: 1 })?.map((d) => d.id)).toEqual(['z', 'x', 'y']);
  });

  it('declines (leaving it to the general comparator) when a key is missing, not a number, dotted or not ±1', () => {
    expect(sortByNumbers([...docs, { b: 1, id: 'w' }], { a: 1 })).toBeUndefined();
    expect(sortByNumbers(docs, { id: 1 })).toBeUndefined();
    expect(sortByNumbers(docs, { 'a.b': 1 })).toBeUndefined();
    expect(sortByNumbers(docs, { a: { $meta: 'textScore' } })).toBeUndefined();
  });

  it('through mongoose: numeric sorts use it, and a key missing from some documents sorts them first', async () => {
    expect((await Items.find({}).sort({ n: -1 }).limit(2).lean()).map((d) => d.n)).toEqual([6, 5]);
    const byTag = await Items.find({}).sort({ tag: 1, n: 1 }).lean();
    expect(byTag[0].n).toBe(4);
    expect(byTag).toHaveLength(6);
  });
});

describe('index choice', () => {
  it('an equality on a unique field plus a shared field examines one document, whichever index was made first', async () => {
    const schema = new Schema({ owner: String, code: String, n: Number });
    schema.index({ owner: 1, n: 1 });
    schema.index({ code: 1 }, { unique: true });
    const Coded = db.conn.model('PlannerCoded', schema);
    await Coded.init();
    await Coded.insertMany(Array.from({ length: 50 }, (_, i) => ({ owner: 'ann', code: `c${i}`, n: i })));

    const found = await Coded.find({ owner: 'ann', code: 'c7' }).lean();
    const explained = (await Coded.find({ owner: 'ann', code: 'c7' }).explain('executionStats')) as unknown as {
      executionStats: { totalDocsExamined: number };
    };

    expect(found.map((d) => d.n)).toEqual([7]);
    expect(explained.executionStats.totalDocsExamined).toBe(1);
  });
});

describe('$and of plain conditions', () => {
  type Explained = { executionStats: { totalDocsExamined: number; executionStages: unknown }; queryPlanner: { winningPlan: unknown } };

  it('is bounded like the same conditions side by side: an _id in $and reads one document', async () => {
    const [one] = await Items.find({ n: 3 }).lean();
    const filter = { $and: [{ _id: one._id }] };
    const explained = (await Items.find(filter).explain('executionStats')) as unknown as Explained;

    expect(ns(await Items.find(filter).lean())).toEqual([3]);
    expect(JSON.stringify(explained.queryPlanner.winningPlan)).toContain('IXSCAN');
    expect(explained.executionStats.totalDocsExamined).toBe(1);
  });

  it('merges clauses on the same field with the top level and nested $and, and keeps every condition', async () => {
    const filter = { owner: 'ann', $and: [{ n: { $gt: 1 } }, { $and: [{ n: { $lt: 4 } }] }] };
    const explained = (await Items.find(filter).explain('executionStats')) as unknown as Explained;

    expect(ns(await Items.find(filter).lean())).toEqual([2]);
    expect(ns(await Items.find({ $and: [{ owner: 'ann' }, { owner: 'bob' }] }).lean())).toEqual([4]);
    expect(ns(await Items.find({ $and: [{ owner: 'ann' }, { tag: { $ne: 'red' } }] }).lean())).toEqual([4]);
    expect(JSON.stringify(explained.queryPlanner.winningPlan)).toContain('IXSCAN');
  });

  it('a $and holding another operator is still answered correctly', async () => {
    expect(ns(await Items.find({ $and: [{ owner: 'ann' }, { $or: [{ n: 1 }, { n: 4 }] }] }).lean())).toEqual([1, 4]);
  });
});

describe('[$match, $facet] of counts and sorted pages', () => {
  const run = (pipeline: object[]) => Items.aggregate(pipeline as never[]);
  // The same facet, spelled so that the planned rule does not apply (a leading $skip: 0): mingo runs it.
  const viaMingo = (page: object[]) => [{ $skip: 0 }, ...page];

  it.each([
    [{ owner: 'ann' }, [{ $sort: { n: 1 } }, { $limit: 2 }]],
    [{ owner: 'ann' }, [{ $sort: { n: -1 } }, { $skip: 1 }, { $limit: 5 }, { $project: { _id: 0, n: 1, owner: 1 } }]],
    [{ n: { $gte: 2 } }, [{ $sort: { owner: 1, n: -1 } }, { $skip: 2 }]],
    [{}, [{ $sort: { tag: 1, n: 1 } }, { $project: { _id: 0, tag: 1, n: 1 } }]],
  ])('matches what mingo gives for %j then %j', async (filter, page) => {
    const planned = await run([{ $match: filter }, { $facet: { total: [{ $count: 'n' }], page } }]);
    const generic = await run([{ $match: filter }, { $facet: { total: [{ $count: 'n' }], page: viaMingo(page) } }]);

    expect(planned).toEqual(generic);
    expect(planned).toHaveLength(1);
  });

  // (mingo's $count over no input gives [{n: 0}]; MongoDB's gives nothing, as here.)
  it('a count over nothing is an empty array, as $count gives', async () => {
    expect(await run([{ $match: { owner: 'nobody' } }, { $facet: { total: [{ $count: 'n' }], page: [{ $sort: { n: 1 } }, { $limit: 1 }] } }])).toEqual([{ total: [], page: [] }]);
  });

  it('walks the index for the page and reads no document for the count (the server\'s own counters)', async () => {
    if (!db.server) return; // a real MongoDB: nothing to look into
    const schema = new Schema({ owner: String, n: Number });
    schema.index({ owner: 1, n: 1 });
    const Paged = db.conn.model('PlannerFacetPaged', schema);
    await Paged.init();
    await Paged.insertMany(Array.from({ length: 200 }, (_, i) => ({ owner: i % 2 === 0 ? 'ann' : 'bob', n: i })));
    const before = db.server.stats.docsExamined;

    const result = await Paged.aggregate([{ $match: { owner: 'ann' } }, { $facet: { total: [{ $count: 'n' }], page: [{ $sort: { n: 1 } }, { $skip: 50 }, { $limit: 2 }, { $project: { _id: 0, n: 1 } }] } }]);

    expect(result).toEqual([{ total: [{ n: 100 }], page: [{ n: 100 }, { n: 102 }] }]);
    expect(db.server.stats.docsExamined - before).toBe(2);
  });

  it('a lone $facet whose facets bring their own $match (several lists in one command) matches what mingo gives', async () => {
    const facets = {
      t0: [{ $match: { owner: 'ann' } }, { $count: 'n' }],
      p0: [{ $match: { owner: 'ann' } }, { $sort: { n: -1 } }, { $skip: 1 }, { $limit: 3 }, { $project: { _id: 0, n: 1 } }],
      t1: [{ $match: { n: { $gte: 2 } } }, { $count: 'n' }],
      p1: [{ $match: { n: { $gte: 2 } } }, { $sort: { owner: 1, n: 1 } }, { $limit: 4 }],
    };
    const generic = Object.fromEntries(Object.entries(facets).map(([name, stages]) => [name, [{ $skip: 0 }, ...stages]]));

    const planned = await run([{ $facet: facets }]);

    expect(planned).toEqual(await run([{ $facet: generic }]));
    // (mingo counts nothing as [{n: 0}]; MongoDB, and the planned facet, as nothing.)
    expect(await run([{ $facet: { t: [{ $match: { owner: 'nobody' } }, { $count: 'n' }] } }])).toEqual([{ t: [] }]);
    // With an outer $match too, a facet's own narrows it further.
    const both = [{ $match: { n: { $lte: 4 } } }, { $facet: facets }];
    expect(await run(both)).toEqual(await run([{ $match: { n: { $lte: 4 } } }, { $facet: generic }]));
  });

  it("plans each facet's own $match with the indexes: no document read for the counts, only the pages'", async () => {
    if (!db.server) return; // a real MongoDB: nothing to look into
    const Paged = db.conn.models.PlannerFacetPaged ?? db.conn.model('PlannerFacetPaged', new Schema({ owner: String, n: Number }).index({ owner: 1, n: 1 }));
    await Paged.init();
    if ((await Paged.countDocuments()) === 0) await Paged.insertMany(Array.from({ length: 200 }, (_, i) => ({ owner: i % 2 === 0 ? 'ann' : 'bob', n: i })));
    const before = db.server.stats.docsExamined;

    const result = await Paged.aggregate([
      {
        $facet: {
          t0: [{ $match: { owner: 'ann' } }, { $count: 'n' }],
          p0: [{ $match: { owner: 'ann' } }, { $sort: { n: 1 } }, { $skip: 50 }, { $limit: 2 }, { $project: { _id: 0, n: 1 } }],
          t1: [{ $match: { owner: 'bob' } }, { $count: 'n' }],
          p1: [{ $match: { owner: 'bob' } }, { $sort: { n: -1 } }, { $limit: 1 }, { $project: { _id: 0, n: 1 } }],
        },
      },
    ]);

    expect(result).toEqual([{ t0: [{ n: 100 }], p0: [{ n: 100 }, { n: 102 }], t1: [{ n: 100 }], p1: [{ n: 199 }] }]);
    expect(db.server.stats.docsExamined - before).toBe(3);
  });

  it('shapes it does not plan still work (through mingo): $limit before $skip, no $sort, a bad $count name is refused', async () => {
    const limitFirst = await run([{ $match: { owner: 'ann' } }, { $facet: { page: [{ $sort: { n: 1 } }, { $limit: 2 }, { $skip: 1 }] } }]);
    expect((limitFirst[0] as { page: { n: number }[] }).page.map((d) => d.n)).toEqual([2]);
    await expect(run([{ $match: {} }, { $facet: { total: [{ $count: '$n' }] } }])).rejects.toThrow();
  });
});

describe('matcher', () => {
  it('tests string and boolean equalities directly, arrays matching by element', () => {
    const isAnnRed = matcher({ owner: 'ann', tag: { $eq: 'red' } });
    expect(isAnnRed({ owner: 'ann', tag: 'red' })).toBe(true);
    expect(isAnnRed({ owner: ['bob', 'ann'], tag: ['blue', 'red'] })).toBe(true);
    expect(isAnnRed({ owner: 'ann' })).toBe(false);
    expect(isAnnRed({ owner: [['ann']], tag: 'red' })).toBe(false);
    expect(matcher({ done: false })({ done: 0 })).toBe(false);
  });

  it('leaves other filters to mingo with the same results', () => {
    expect(matcher({ n: { $gt: 2 } })({ n: 3 })).toBe(true);
    expect(matcher({ 'a.b': 'x' })({ a: [{ b: 'y' }, { b: 'x' }] })).toBe(true);
    expect(matcher({ n: 5 })({ n: 5.0 })).toBe(true);
  });
});
