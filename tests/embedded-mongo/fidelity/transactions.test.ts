/**
 * Transactions on a standalone server, as MongoDB 7.0 answers them: any command of a
 * transaction (it carries `txnNumber`, `startTransaction`, `autocommit: false`) is refused with
 * IllegalOperation (20) "Transaction numbers are only allowed on a replica set member or mongos",
 * and nothing the transaction tried to write is stored. Retryable writes are unaffected: to a
 * standalone the driver sends no `txnNumber`.
 */
import { MongoServerError } from 'mongodb';
import { Schema } from 'mongoose';
import { openTestDb, type TestDb } from '../helpers';

let db: TestDb;

beforeAll(async () => {
  db = await openTestDb('txn');
});

afterAll(async () => {
  await db.close();
});

/**
 * Expects MongoDB's standalone refusal of a transaction. For a write the driver rethrows the
 * server's IllegalOperation as "This MongoDB deployment does not support retryable writes..." and
 * keeps the server's own error as `originalError` (the same happens against MongoDB).
 */
async function expectRefused(p: Promise<unknown>): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MongoServerError);
  const server = ((err as { originalError?: unknown }).originalError ?? err) as MongoServerError;
  expect(server).toMatchObject({ code: 20, codeName: 'IllegalOperation' });
  expect(server.message).toBe('Transaction numbers are only allowed on a replica set member or mongos');
}

describe('MongoDB standalone: transactions are refused with IllegalOperation (20) and write nothing', () => {
  it('mongoose conn.transaction(): the insert inside is refused, the collection stays empty', async () => {
    const Item = db.conn.model('TxItem', new Schema({ n: Number }));
    await Item.createCollection();
    await expectRefused(db.conn.transaction(async (session) => {
      await Item.create([{ n: 1 }], { session });
    }));
    expect(await Item.countDocuments()).toBe(0);
  });

  it('mongoose session.withTransaction(): an update inside is refused and the document is unchanged', async () => {
    const Item = db.conn.model('TxItem2', new Schema({ n: Number }));
    const doc = await Item.create({ n: 1 });
    const session = await db.conn.startSession();
    try {
      await expectRefused(session.withTransaction(async () => {
        await Item.updateOne({ _id: doc._id }, { $inc: { n: 1 } }, { session });
      }));
    } finally {
      await session.endSession();
    }
    expect((await Item.findById(doc._id).lean())?.n).toBe(1);
  });

  it('raw driver withTransaction(): refused with code 20, nothing inserted', async () => {
    const coll = db.conn.db!.collection('tx_raw');
    await coll.insertOne({ before: true });
    const session = db.conn.getClient().startSession();
    try {
      await expectRefused(session.withTransaction(async () => {
        await coll.insertOne({ inside: true }, { session });
        await coll.deleteMany({}, { session });
      }));
    } finally {
      await session.endSession();
    }
    expect(await coll.find({}, { projection: { _id: 0 } }).toArray()).toEqual([{ before: true }]);
  });

  it('raw driver startTransaction + a read: also refused (any command with txnNumber)', async () => {
    const coll = db.conn.db!.collection('tx_raw_read');
    const session = db.conn.getClient().startSession();
    try {
      session.startTransaction();
      await expectRefused(coll.findOne({}, { session }));
      await session.abortTransaction();
    } finally {
      await session.endSession();
    }
  });

  it('a raw command with txnNumber is refused before it runs: nothing written', async () => {
    const admin = db.conn.db!;
    const session = db.conn.getClient().startSession();
    try {
      // The lsid is the one of a real session, as MongoDB checks it.
      await expectRefused(admin.command({ insert: 'tx_cmd', documents: [{ a: 1 }], txnNumber: 1, lsid: session.id }));
    } finally {
      await session.endSession();
    }
    expect(await admin.collection('tx_cmd').countDocuments()).toBe(0);
  });

  it('the hello reply names no replica set (standalone), so retryable writes carry no txnNumber and succeed', async () => {
    const hello = await db.conn.db!.admin().command({ hello: 1 });
    expect(hello.setName).toBeUndefined();
    expect(hello.isWritablePrimary).toBe(true);
    const coll = db.conn.db!.collection('tx_retry');
    // retryWrites defaults to true in the driver.
    await coll.insertOne({ a: 1 });
    await coll.updateOne({ a: 1 }, { $set: { b: 2 } });
    expect(await coll.findOne({ a: 1 }, { projection: { _id: 0 } })).toEqual({ a: 1, b: 2 });
  });
});
