/**
 * TTL indexes (`expireAfterSeconds`) behave as in MongoDB 7.0, through mongoose and the raw
 * driver: a background pass (MongoDB's TTL monitor, every `ttlMonitorSleepSecs`, 60 s by default)
 * deletes documents whose indexed field is a date (or an array holding one: the earliest counts)
 * older than now − expireAfterSeconds; other values never expire; compound and `_id` TTL indexes
 * and bad values are refused with MongoDB's codes; listIndexes shows the option.
 *
 * The tests shorten the period instead of waiting 60 s: the embedded server through its
 * `ttlMonitorSleepSecs` option, a real MongoDB through `setParameter` (restored afterwards).
 */
import mongoose, { Schema } from 'mongoose';
import { startEmbeddedServer } from '../../../src/embedded-mongo';
import { usingRealMongo } from '../../helpers/mongoTarget';
import { makeTempDir, removeDir } from '../../helpers/tmp';
import { describeEmbedded, openTestDb, type TestDb, rawCollection } from '../helpers';
import { codeOf } from './expectError';

jest.setTimeout(30_000);

let db: TestDb;

beforeAll(async () => {
  db = await openTestDb('ttl', { ttlMonitorSleepSecs: 0.1 });
  if (usingRealMongo) await db.conn.getClient().db('admin').command({ setParameter: 1, ttlMonitorSleepSecs: 1 });
});

afterAll(async () => {
  if (usingRealMongo) await db.conn.getClient().db('admin').command({ setParameter: 1, ttlMonitorSleepSecs: 60 });
  await db.close();
});

const raw = (name: string) => rawCollection(db, name);

/** Polls until `check` holds (the monitor runs in the background), failing after `ms`. */
async function eventually(check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const HOUR = 3600_000;

describe('TTL index through mongoose (MongoDB: the TTL monitor deletes expired dates in the background)', () => {
  interface Session {
    label: string;
    at?: unknown;
  }
  let Session: mongoose.Model<Session>;

  beforeAll(async () => {
    const schema = new Schema<Session>({ label: String, at: Schema.Types.Mixed }, { autoIndex: false });
    schema.index({ at: 1 }, { expireAfterSeconds: 60 });
    Session = db.conn.model<Session>('TtlSession', schema);
    await Session.syncIndexes();
  });

  test('expired dates and arrays whose earliest date expired go; future dates, strings, numbers and missing stay', async () => {
    const now = Date.now();
    await Session.create([
      { label: 'old', at: new Date(now - HOUR) },
      { label: 'array-with-old', at: [new Date(now + HOUR), new Date(now - HOUR)] },
      { label: 'fresh', at: new Date(now + HOUR) },
      { label: 'string', at: '2000-01-01' },
      { label: 'number', at: 0 },
      { label: 'missing' },
    ]);
    await eventually(async () => (await Session.countDocuments({ label: { $in: ['old', 'array-with-old'] } })) === 0);
    expect((await Session.find({}, { label: 1 }).lean()).map((d) => d.label).sort()).toEqual(['fresh', 'missing', 'number', 'string']);
  });

  test('listIndexes shows expireAfterSeconds and syncIndexes finds nothing to change', async () => {
    expect((await Session.listIndexes()).find((i) => i.name === 'at_1')).toMatchObject({ key: { at: 1 }, expireAfterSeconds: 60 });
    expect(await Session.syncIndexes()).toEqual([]);
  });
});

describe('a schema with a partial unique index and a TTL index, end to end through mongoose (autoIndex, ensureIndexes, syncIndexes)', () => {
  interface Invite {
    code: string;
    used: boolean;
    expiresAt: Date;
  }

  test('autoIndex builds both with their options; both behave; ensureIndexes and syncIndexes change nothing', async () => {
    const schema = new Schema<Invite>({ code: String, used: Boolean, expiresAt: { type: Date, expires: 0 } });
    schema.index({ code: 1 }, { unique: true, partialFilterExpression: { used: false } });
    const Invite = db.conn.model<Invite>('E2eInvite', schema);
    await Invite.init();

    const byName = Object.fromEntries((await Invite.listIndexes()).map((i) => [i.name as string, i]));
    expect(byName.expiresAt_1).toMatchObject({ key: { expiresAt: 1 }, expireAfterSeconds: 0 });
    expect(byName.code_1).toMatchObject({ key: { code: 1 }, unique: true, partialFilterExpression: { used: false } });

    const later = new Date(Date.now() + HOUR);
    await Invite.create([{ code: 'A', used: true, expiresAt: later }, { code: 'A', used: true, expiresAt: later }, { code: 'A', used: false, expiresAt: later }]);
    expect((await codeOf(Invite.create({ code: 'A', used: false, expiresAt: later }))).code).toBe(11000);
    await Invite.create({ code: 'B', used: false, expiresAt: new Date(Date.now() - 1000) });
    await eventually(async () => (await Invite.countDocuments({ code: 'B' })) === 0);
    expect(await Invite.countDocuments({ code: 'A' })).toBe(3);

    await Invite.ensureIndexes();
    expect(await Invite.syncIndexes()).toEqual([]);
    expect((await Invite.listIndexes()).map((i) => i.name as string).sort()).toEqual(['_id_', 'code_1', 'expiresAt_1']);
  });
});

describe('TTL index through the raw driver', () => {
  test('expireAfterSeconds: 0 expires a document at its date; a partial TTL index only expires matching documents', async () => {
    const c = db.conn.db!.collection<{ _id: number; kind: string; expiresAt: Date }>('ttl_raw');
    await c.createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0, partialFilterExpression: { kind: 'temp' } });
    const past = new Date(Date.now() - 1000);
    await c.insertMany([
      { _id: 1, kind: 'temp', expiresAt: past },
      { _id: 2, kind: 'keep', expiresAt: past },
      { _id: 3, kind: 'temp', expiresAt: new Date(Date.now() + HOUR) },
    ]);
    await eventually(async () => (await c.countDocuments({ _id: 1 })) === 0);
    expect((await c.find({}).sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual([2, 3]);
  });

  test('a compound TTL index is refused (CannotCreateIndex 67)', async () => {
    const err = await codeOf(raw('ttl_bad').createIndex({ a: 1, b: 1 }, { expireAfterSeconds: 10 }));
    expect(err.code).toBe(67);
    expect(err.message).toContain('TTL indexes are single-field indexes, compound indexes do not support TTL');
  });

  test('a TTL option on the _id index is refused (InvalidIndexSpecificationOption 197)', async () => {
    const err = await codeOf(raw('ttl_bad').createIndex({ _id: 1 }, { expireAfterSeconds: 10 }));
    expect(err.code).toBe(197);
    expect(err.message).toContain("The field 'expireAfterSeconds' is not valid for an _id index specification");
  });

  test.each([
    ['negative', -1, "cannot be less than 0"],
    ['a string', 'soon', 'must be numeric'],
    ['beyond 32 bits', 2 ** 40, 'within the range of a 32-bit integer'],
  ])('expireAfterSeconds %s is refused with 67', async (_label, value, text) => {
    const err = await codeOf(raw('ttl_bad').createIndex({ at: 1 }, { expireAfterSeconds: value as number }));
    expect(err.code).toBe(67);
    expect(err.message).toContain(text);
  });

  test('the same index with another expireAfterSeconds is IndexOptionsConflict (85)', async () => {
    const c = raw('ttl_conflict');
    await c.createIndex({ at: 1 }, { expireAfterSeconds: 10 });
    expect((await codeOf(c.createIndex({ at: 1 }, { expireAfterSeconds: 20 }))).code).toBe(85);
  });
});

describeEmbedded('TTL deletes are durable writes (embedded storage)', () => {
  test('an expired document stays deleted after a restart (the delete was journaled)', async () => {
    const dir = makeTempDir('tn-ttl-');
    try {
      const first = await startEmbeddedServer({ dataDir: dir, ttlMonitorSleepSecs: 0.1 });
      const c1 = await mongoose.createConnection(first.uri, { dbName: 't' }).asPromise();
      const coll1 = c1.collection('tokens');
      await coll1.createIndex({ at: 1 }, { expireAfterSeconds: 1 });
      await coll1.insertMany([{ n: 1, at: new Date(Date.now() - HOUR) }, { n: 2, at: new Date(Date.now() + HOUR) }]);
      await eventually(async () => (await coll1.countDocuments({ n: 1 })) === 0);
      await c1.close();
      await first.close();

      // Restarted with MongoDB's 60 s period: nothing runs before the check, so only the journal speaks.
      const second = await startEmbeddedServer({ dataDir: dir });
      const c2 = await mongoose.createConnection(second.uri, { dbName: 't' }).asPromise();
      expect((await c2.collection('tokens').find({}).toArray()).map((d) => d.n as number)).toEqual([2]);
      await c2.close();
      await second.close();
    } finally {
      removeDir(dir);
    }
  });

  test('many expired documents are deleted in bounded batches while the server keeps answering', async () => {
    const server = await startEmbeddedServer({ ttlMonitorSleepSecs: 0.1 });
    try {
      const conn = await mongoose.createConnection(server.uri, { dbName: 'b' }).asPromise();
      const coll = conn.collection('many');
      await coll.createIndex({ at: 1 }, { expireAfterSeconds: 0 });
      const past = new Date(Date.now() - HOUR);
      await coll.insertMany(Array.from({ length: 2500 }, (_, i) => ({ i, at: past })));
      await coll.insertOne({ i: -1, at: 'never' });
      await eventually(async () => (await coll.countDocuments({})) === 1);
      expect((await coll.findOne({}))?.i).toBe(-1);
      await conn.close();
    } finally {
      await server.close();
    }
  });
});
