/**
 * maxTimeMS through the real driver: a command that runs past its limit fails with MongoDB's
 * MaxTimeMSExpired (code 50) — a sort over 100,000 documents, an aggregation, a count, a
 * getMore, a delete (which then deletes nothing) — and the same commands without a limit succeed.
 */
import type { Collection, Db } from 'mongodb';
import { MongoServerError } from 'mongodb';
import { openTestDb, type TestDb } from './helpers';

const N = 100_000;

let db: TestDb;
let raw: Db;
let Big: Collection<{ _id: number; n: number; s: string }>;

beforeAll(async () => {
  db = await openTestDb('maxtime');
  raw = db.conn.db as unknown as Db;
  Big = raw.collection('big');
  // Pseudo-random numbers, so that sorting them is real work.
  let x = 12345;
  const docs = Array.from({ length: N }, (_, i) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return { _id: i, n: x, s: `item ${x}` };
  });
  await Big.insertMany(docs, { ordered: false });
}, 60_000);

afterAll(async () => {
  await db.close();
});

async function failure(p: Promise<unknown>): Promise<MongoServerError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof MongoServerError) return err;
    throw err;
  }
  throw new Error('expected the command to fail');
}

function expectTimedOut(err: MongoServerError): void {
  expect(err).toMatchObject({ code: 50, codeName: 'MaxTimeMSExpired' });
  expect(err.message).toBe('operation exceeded time limit');
}

describe('maxTimeMS', () => {
  test('a sort over 100,000 documents fails with MaxTimeMSExpired at 1 ms and succeeds without a limit', async () => {
    expectTimedOut(await failure(Big.find({}).sort({ n: 1 }).limit(3).maxTimeMS(1).toArray()));
    const sorted = await Big.find({}).sort({ n: 1 }).limit(3).toArray();
    expect(sorted).toHaveLength(3);
    expect(sorted[0].n).toBeLessThanOrEqual(sorted[1].n);
    // A generous limit is not a failure.
    expect(await Big.find({}).sort({ n: -1 }).limit(1).maxTimeMS(60_000).toArray()).toHaveLength(1);
  });

  test('an aggregation that sorts and groups everything, and a count through a regex, stop at the limit', async () => {
    const pipeline = [{ $sort: { s: 1 } }, { $group: { _id: { $mod: ['$n', 7] }, c: { $sum: 1 } } }];
    expectTimedOut(await failure(Big.aggregate(pipeline, { maxTimeMS: 1 }).toArray()));
    expect(await Big.aggregate(pipeline).toArray()).toHaveLength(7);
    expectTimedOut(await failure(Big.countDocuments({ s: { $regex: '7$' } }, { maxTimeMS: 1 })));
    expect(await Big.countDocuments({ s: { $regex: '7$' } })).toBeGreaterThan(0);
    expectTimedOut(await failure(raw.command({ distinct: 'big', key: 'n', query: { s: /3/ }, maxTimeMS: 1 })));
  });

  test('a delete that runs out of time while finding its documents deletes none of them', async () => {
    expectTimedOut(await failure(Big.deleteMany({ s: { $regex: '1$' } }, { maxTimeMS: 1 })));
    expect(await Big.countDocuments({})).toBe(N);
  });

  test('a getMore honours its own maxTimeMS, and the cursor is gone after it ran out', async () => {
    const first = await raw.command({ find: 'big', filter: {}, batchSize: 1 });
    const id = first.cursor.id;
    expectTimedOut(await failure(raw.command({ getMore: id, collection: 'big', batchSize: N, maxTimeMS: 1 })));
    expect(await failure(raw.command({ getMore: id, collection: 'big', batchSize: 10 }))).toMatchObject({ code: 43 });
    // Without a limit the rest comes back.
    const again = await raw.command({ find: 'big', filter: {}, batchSize: 1 });
    const rest = await raw.command({ getMore: again.cursor.id, collection: 'big', batchSize: N });
    expect(rest.cursor.nextBatch).toHaveLength(N - 1);
  });

  test('maxTimeMS must be a non-negative 32-bit integer; 0 means no limit', async () => {
    expect(await failure(raw.command({ find: 'big', filter: {}, limit: 1, maxTimeMS: -1 }))).toMatchObject({ code: 2 });
    expect(await failure(raw.command({ find: 'big', filter: {}, limit: 1, maxTimeMS: 'soon' }))).toMatchObject({ code: 2 });
    expect(await failure(raw.command({ find: 'big', filter: {}, limit: 1, maxTimeMS: 2 ** 31 }))).toMatchObject({ code: 2 });
    const ok = await raw.command({ find: 'big', filter: {}, sort: { n: 1 }, limit: 1, maxTimeMS: 0 });
    expect(ok.cursor.firstBatch).toHaveLength(1);
  });
});
