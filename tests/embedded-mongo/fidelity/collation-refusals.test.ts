/**
 * Collation options the embedded server cannot honour with V8's Intl.Collator are refused with
 * NotImplemented (238) naming the option, never ignored; so are aggregation stages that would
 * compare strings without the collation. Embedded-only: MongoDB itself supports these. Also: the
 * journal keeps collations across a restart.
 */
import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import { startEmbeddedServer } from '../../../src/embedded-mongo';
import { JournalPersistence } from '../../../src/embedded-mongo/storage/journal';
import { makeTempDir, removeDir } from '../../helpers/tmp';
import { describeEmbedded, openTestDb, type TestDb } from '../helpers';

let db: TestDb;
let raw: mongoose.mongo.Collection;

beforeAll(async () => {
  db = await openTestDb('collation_refusals');
  raw = db.conn.db!.collection('words');
  await raw.insertMany([{ w: 'a' }, { w: 'A' }]);
});

afterAll(async () => {
  await db.close();
});

async function notImplemented(p: Promise<unknown>, what: RegExp): Promise<void> {
  const err = (await p.then(
    () => undefined,
    (e: unknown) => e,
  )) as mongoose.mongo.MongoServerError;
  expect(err).toBeInstanceOf(mongoose.mongo.MongoServerError);
  expect(err.code).toBe(238);
  expect(err.message).toMatch(what);
}

describeEmbedded('collation options without an Intl equivalent are refused', () => {
  test.each([
    [{ locale: 'en', alternate: 'shifted' }, /alternate 'shifted'/],
    [{ locale: 'en', strength: 4 }, /strength 4/],
    [{ locale: 'en', strength: 5 }, /strength 5/],
    [{ locale: 'en', backwards: true }, /backwards/],
    [{ locale: 'en', normalization: true }, /normalization/],
    [{ locale: 'en', strength: 2, caseLevel: true }, /caseLevel with strength 2/],
  ])('%j', async (collation, what) => {
    await notImplemented(raw.find({ w: 'a' }, { collation: collation as mongoose.mongo.CollationOptions }).toArray(), what);
  });

  test('a pipeline grouping by a field under a collation is refused', async () => {
    await notImplemented(raw.aggregate([{ $group: { _id: '$w', n: { $sum: 1 } } }], { collation: { locale: 'en', strength: 2 } }).toArray(), /\$group/);
  });

  test('an expression comparison under a collation is refused', async () => {
    await notImplemented(raw.aggregate([{ $project: { same: { $eq: ['$w', 'a'] } } }], { collation: { locale: 'en', strength: 2 } }).toArray(), /\$eq in \$project/);
    await notImplemented(raw.find({ $expr: { $eq: ['$w', 'a'] } }, { collation: { locale: 'en', strength: 2 } }).toArray(), /\$expr/);
  });

  test('the same pipeline without a collation runs', async () => {
    const out = await raw.aggregate([{ $group: { _id: '$w', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray();
    expect(out).toEqual([
      { _id: 'A', n: 1 },
      { _id: 'a', n: 1 },
    ]);
  });
});

describeEmbedded('collations are kept by the journal', () => {
  test("a collection's default collation and an index's collation survive a restart", async () => {
    const dir = makeTempDir();
    try {
      const open = async () => {
        const server = await startEmbeddedServer({ persistence: new JournalPersistence({ dir, log: () => undefined }) });
        const client = await new MongoClient(server.uri).connect();
        return { server, client, db: client.db('app') };
      };
      const first = await open();
      await first.db.createCollection('ci', { collation: { locale: 'en', strength: 2 } });
      await first.db.collection('plain').createIndex({ h: 1 }, { unique: true, collation: { locale: 'en', strength: 1 } });
      await first.db.collection('ci').insertOne({ w: 'Ping' });
      await first.db.collection('plain').insertOne({ h: 'élan' });
      await first.client.close();
      await first.server.close();

      const second = await open();
      expect(await second.db.collection('ci').countDocuments({ w: 'PING' })).toBe(1);
      const err = await second.db
        .collection('plain')
        .insertOne({ h: 'ELAN' })
        .then(
          () => undefined,
          (e: unknown) => e as mongoose.mongo.MongoServerError,
        );
      expect(err?.code).toBe(11000);
      await second.client.close();
      await second.server.close();
    } finally {
      removeDir(dir);
    }
  });
});
