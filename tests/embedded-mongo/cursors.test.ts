import mongoose, { Schema } from 'mongoose';
import { describeEmbedded, openTestDb, type TestDb } from './helpers';

interface Row {
  n: number;
}

let db: TestDb;
let Row: mongoose.Model<Row>;

beforeAll(async () => {
  db = await openTestDb('cursors');
  Row = db.conn.model<Row>('Row', new Schema<Row>({ n: Number }));
  await Row.insertMany(Array.from({ length: 250 }, (_, n) => ({ n })));
});

afterAll(async () => {
  await db.close();
});

describe('cursors', () => {
  test('a cursor with batchSize 20 walks all 250 documents in order through getMore', async () => {
    const seen: number[] = [];
    for await (const doc of Row.find().sort({ n: 1 }).batchSize(20).lean().cursor()) seen.push(doc.n);
    expect(seen).toEqual(Array.from({ length: 250 }, (_, n) => n));
  });

  test('a find without batchSize returns more than the default first batch of 101', async () => {
    expect(await Row.find().lean()).toHaveLength(250);
  });

  test('closing a cursor early kills it on the server; a later getMore on it fails', async () => {
    const cursor = Row.collection.find({}, { batchSize: 10 });
    const first = await cursor.next();
    expect(first).not.toBeNull();
    const id = cursor.id;
    expect(id).toBeInstanceOf(mongoose.mongo.Long);
    await cursor.close();
    const err = await db.conn.db!
      .command({ getMore: id!, collection: Row.collection.collectionName, batchSize: 10 })
      .catch((e: unknown) => e);
    expect((err as mongoose.mongo.MongoServerError).code).toBe(43);
  });

  test('killCursors reports the ids it killed', async () => {
    // promoteLongs: false shows the id as the int64 it is on the wire.
    const reply = await db.conn.db!.command({ find: Row.collection.collectionName, batchSize: 5 }, { promoteLongs: false });
    const id = reply.cursor.id as mongoose.mongo.Long;
    expect(id.isZero()).toBe(false);
    const killed = await db.conn.db!.command({ killCursors: Row.collection.collectionName, cursors: [id] });
    expect(killed.cursorsKilled).toHaveLength(1);
    expect(String(killed.cursorsKilled[0])).toBe(id.toString());
  });
});

describe('commands', () => {
  test('an unknown command fails with code 59 and the server keeps answering', async () => {
    const err = await db.conn.db!.command({ frobnicate: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(mongoose.mongo.MongoServerError);
    expect((err as mongoose.mongo.MongoServerError).code).toBe(59);
    expect((err as mongoose.mongo.MongoServerError).codeName).toBe('CommandNotFound');
    expect(await db.conn.db!.command({ ping: 1 })).toMatchObject({ ok: 1 });
    expect(await Row.countDocuments({ n: { $lt: 10 } })).toBe(10);
  });

  test('buildInfo reports a 7.x version', async () => {
    const info = await db.conn.db!.admin().buildInfo();
    expect(info.versionArray[0]).toBeGreaterThanOrEqual(7);
  });

  test('create of an existing collection fails with 48; listIndexes of a missing one with 26', async () => {
    await db.conn.createCollection('made');
    const again = await db.conn.db!.command({ create: 'made' }).catch((e: unknown) => e);
    expect((again as mongoose.mongo.MongoServerError).code).toBe(48);
    const missing = await db.conn.db!.command({ listIndexes: 'nothing-here' }).catch((e: unknown) => e);
    expect((missing as mongoose.mongo.MongoServerError).code).toBe(26);
    const names = (await db.conn.db!.listCollections().toArray()).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['made', Row.collection.collectionName]));
    expect(await db.conn.db!.dropCollection('made')).toBe(true);
  });
});

describeEmbedded('errors inside commands (embedded only)', () => {
  test('an update operator mingo rejects becomes an error reply, not a crash', async () => {
    const err = await Row.collection.updateOne({ n: 1 }, { $frob: { n: 1 } } as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(mongoose.mongo.MongoServerError);
    expect(await Row.countDocuments()).toBe(250);
  });

  test('$where is refused: the server never runs client JavaScript', async () => {
    const err = await Row.collection.find({ $where: 'this.n > 1' }).toArray().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(mongoose.mongo.MongoServerError);
  });
});
