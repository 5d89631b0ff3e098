/**
 * Collection options at `create`, as MongoDB 7.0: document validators with query operators
 * (DocumentValidationFailure 121 "Document failed validation", errInfo.failingDocumentId),
 * validationLevel strict/moderate/off, validationAction error/warn, bypassDocumentValidation,
 * and unknown fields refused with the IDL error 40415. Options the embedded server does not
 * implement (clustered collections, views...) are refused by name (embedded-only tests);
 * capped collections (capped.test.ts) and `$jsonSchema` validators (jsonSchema.test.ts) are
 * implemented.
 */
import { MongoClient, type Collection, type Document } from 'mongodb';
import { Schema } from 'mongoose';
import { startEmbeddedServer } from '../../../src/embedded-mongo';
import { makeTempDir, removeDir } from '../../helpers/tmp';
import { describeEmbedded, freshCollection, openTestDb, type TestDb } from '../helpers';
import { serverError } from './expectError';

let db: TestDb;

beforeAll(async () => {
  db = await openTestDb('colopts');
});

afterAll(async () => {
  await db.close();
});

const fresh = (name: string, options: Document): Promise<Collection<Document>> => freshCollection(db, name, options);

describe('MongoDB document validation (validator with query operators)', () => {
  const validator = { qty: { $type: 'number', $gte: 0 }, status: { $in: ['A', 'B'] } };

  it('mongoose: Model.create of an invalid document fails with 121 and stores nothing; a valid one is stored', async () => {
    await fresh('items', { validator });
    const Item = db.conn.model('Item', new Schema({ qty: Number, status: String }), 'items');
    const err = await serverError(Item.create({ qty: -1, status: 'A' }));
    expect(err).toMatchObject({ code: 121, codeName: 'DocumentValidationFailure' });
    expect(err.message).toBe('Document failed validation');
    await Item.create({ qty: 2, status: 'B' });
    expect(await Item.countDocuments()).toBe(1);
  });

  it('raw driver: insert, update and findOneAndUpdate are checked; errInfo names the failing _id', async () => {
    const coll = await fresh('raw_items', { validator });
    const err = await serverError(coll.insertOne({ _id: 'bad' as never, qty: 'x', status: 'A' }));
    expect(err.code).toBe(121);
    expect((err.errInfo as Document).failingDocumentId).toBe('bad');
    await coll.insertOne({ _id: 'ok' as never, qty: 1, status: 'A' });
    expect((await serverError(coll.updateOne({ _id: 'ok' as never }, { $set: { status: 'Z' } }))).code).toBe(121);
    expect((await serverError(coll.findOneAndUpdate({ _id: 'ok' as never }, { $inc: { qty: -5 } }))).code).toBe(121);
    expect(await coll.findOne({ _id: 'ok' as never })).toEqual({ _id: 'ok', qty: 1, status: 'A' });
  });

  it('MongoDB 5.0+: errInfo.details explains the failed clause (operatorName, specifiedAs, reason, consideredValue)', async () => {
    const coll = await fresh('details_items', { validator });
    const one = await serverError(coll.insertOne({ _id: 'd1' as never, qty: 'x', status: 'A' }));
    expect((one.errInfo as Document).details).toMatchObject({
      operatorName: '$and',
      clausesNotSatisfied: [
        {
          index: 0,
          details: {
            operatorName: '$and',
            // A string is neither a number nor comparable with 0 (type bracketing): both fail.
            clausesNotSatisfied: [
              { index: 0, details: { operatorName: '$type', specifiedAs: { qty: { $type: 'number' } }, reason: 'type did not match', consideredValue: 'x', consideredType: 'string' } },
              { index: 1, details: { operatorName: '$gte', specifiedAs: { qty: { $gte: 0 } }, reason: 'comparison failed', consideredValue: 'x' } },
            ],
          },
        },
      ],
    });
    const typed = await coll.db.createCollection('typed_items', { validator: { x: { $type: 'string' } } });
    const err = await serverError(typed.insertOne({ _id: 'd2' as never, x: 1 }));
    expect((err.errInfo as Document).details).toEqual({
      operatorName: '$type',
      specifiedAs: { x: { $type: 'string' } },
      reason: 'type did not match',
      consideredValue: 1,
      consideredType: 'int',
    });
    const missing = await serverError(typed.insertOne({ _id: 'd3' as never }));
    expect((missing.errInfo as Document).details).toEqual({ operatorName: '$type', specifiedAs: { x: { $type: 'string' } }, reason: 'field was missing' });
  });

  it('bypassDocumentValidation: true skips the validator', async () => {
    const coll = await fresh('bypass_items', { validator });
    await coll.insertOne({ qty: -1, status: 'A' }, { bypassDocumentValidation: true });
    await coll.updateOne({ qty: -1 }, { $set: { status: 'Q' } }, { bypassDocumentValidation: true });
    expect(await coll.countDocuments({ status: 'Q' })).toBe(1);
  });

  it("validationLevel 'moderate': updates of documents that already fail are not checked; inserts are", async () => {
    const coll = await fresh('moderate_items', { validator, validationLevel: 'moderate' });
    await coll.insertOne({ _id: 'old' as never, qty: -1, status: 'A' }, { bypassDocumentValidation: true });
    await coll.updateOne({ _id: 'old' as never }, { $set: { status: 'Z' } });
    expect((await coll.findOne({ _id: 'old' as never }))?.status).toBe('Z');
    await coll.insertOne({ _id: 'good' as never, qty: 1, status: 'A' });
    expect((await serverError(coll.updateOne({ _id: 'good' as never }, { $set: { qty: -3 } }))).code).toBe(121);
    expect((await serverError(coll.insertOne({ qty: -1, status: 'A' }))).code).toBe(121);
  });

  it("validationLevel 'off' and validationAction 'warn' let invalid documents through", async () => {
    const off = await fresh('off_items', { validator, validationLevel: 'off' });
    await off.insertOne({ qty: -1 });
    const warn = await fresh('warn_items', { validator, validationAction: 'warn' });
    await warn.insertOne({ qty: -1 });
    expect(await off.countDocuments()).toBe(1);
    expect(await warn.countDocuments()).toBe(1);
  });

  it('listCollections shows the options', async () => {
    await fresh('listed_items', { validator, validationLevel: 'moderate', validationAction: 'error' });
    const [info] = await db.conn.db!.listCollections({ name: 'listed_items' }).toArray();
    expect((info as Document).options).toMatchObject({ validator, validationLevel: 'moderate', validationAction: 'error' });
  });
});

describe('MongoDB create: invalid options', () => {
  it("an unknown field: 40415 \"BSON field 'create.foo' is an unknown field.\"", async () => {
    const err = await serverError(db.conn.db!.command({ create: 'unknown_opt', foo: 1 }));
    expect(err.code).toBe(40415);
    expect(err.message).toBe("BSON field 'create.foo' is an unknown field.");
  });

  it('an invalid validationAction: BadValue (2); an unknown operator in the validator: BadValue (2)', async () => {
    const bad = await serverError(db.conn.db!.command({ create: 'bad_action', validator: { a: 1 }, validationAction: 'shout' }));
    expect(bad.code).toBe(2);
    const op = await serverError(db.conn.db!.command({ create: 'bad_op', validator: { a: { $foo: 1 } } }));
    expect(op.code).toBe(2);
    expect(await db.conn.db!.listCollections({ name: { $in: ['bad_action', 'bad_op'] } }).toArray()).toEqual([]);
  });
});

describeEmbedded('embedded server: create options it does not implement are refused by name', () => {
  it.each([
    ['clusteredIndex', { clusteredIndex: { key: { _id: 1 }, unique: true } }],
    ['viewOn', { viewOn: 'x', pipeline: [] }],
    ['timeseries', { timeseries: { timeField: 't' } }],
  ])('%s', async (name, options) => {
    const err = await serverError(db.conn.db!.command({ create: `refused_${name.replace('$', '')}`, ...options }));
    expect([72, 238]).toContain(err.code);
    expect(err.message).toContain(name);
  });

  it('through mongoose: a capped schema never creates an uncapped collection (capped collections are implemented since issue 16)', async () => {
    const Log = db.conn.model('CappedLog', new Schema({ m: String }, { capped: { size: 1024, max: 10 }, autoCreate: false }));
    await Log.createCollection();
    expect(await Log.collection.isCapped()).toBe(true);
  });
});

describeEmbedded('embedded server: collection options are kept with the data', () => {
  it.each([
    ['through the journal', 64 * 1024 * 1024],
    ['through a snapshot', 1],
  ])('a validator set by create and changed by collMod survives a restart (%s)', async (_label, journalMaxBytes) => {
    const dir = makeTempDir();
    try {
      const first = await startEmbeddedServer({ dataDir: dir, journalMaxBytes });
      const c1 = await new MongoClient(first.uri).connect();
      await c1.db('app').createCollection('kept', { validator: { n: { $gte: 0 } } });
      await c1.db('app').command({ collMod: 'kept', validator: { n: { $gte: 10 } }, validationLevel: 'moderate' });
      await c1.db('app').collection('kept').insertOne({ n: 10 });
      await c1.close();
      await first.close();
      const second = await startEmbeddedServer({ dataDir: dir, journalMaxBytes });
      const c2 = await new MongoClient(second.uri).connect();
      try {
        const [info] = await c2.db('app').listCollections({ name: 'kept' }).toArray();
        expect((info as Document).options).toEqual({ validator: { n: { $gte: 10 } }, validationLevel: 'moderate' });
        expect((await serverError(c2.db('app').collection('kept').insertOne({ n: 5 }))).code).toBe(121);
      } finally {
        await c2.close();
        await second.close();
      }
    } finally {
      removeDir(dir);
    }
  });
});
