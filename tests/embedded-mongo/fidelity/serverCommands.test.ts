/**
 * Server-level commands mongoose and tools call, as MongoDB 7.0 standalone answers them:
 * serverStatus (a truthful subset: version, uptime, connections, real opcounters, memory),
 * setParameter (admin only; an unknown parameter is InvalidOptions 72), collMod (validation
 * options; unknown fields refused with the IDL error 40415, a missing collection with 26).
 */
import type { Document } from 'mongodb';
import { Schema } from 'mongoose';
import { describeEmbedded, openTestDb, type TestDb } from '../helpers';
import { serverError } from './expectError';

let db: TestDb;

beforeAll(async () => {
  db = await openTestDb('srvcmd');
});

afterAll(async () => {
  await db.close();
});

describe('MongoDB serverStatus', () => {
  it('reports host, version, process, uptime, connections, opcounters and mem (driver admin().serverStatus())', async () => {
    const status = await db.conn.db!.admin().serverStatus();
    expect(typeof status.host).toBe('string');
    expect(status.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(status.process).toMatch(/^mongod/);
    expect(Number(status.pid)).toBeGreaterThan(0);
    expect(status.uptime).toBeGreaterThanOrEqual(0);
    expect(Number(status.uptimeMillis)).toBeGreaterThanOrEqual(0);
    expect(status.localTime).toBeInstanceOf(Date);
    expect(status.connections.current).toBeGreaterThanOrEqual(1);
    expect(status.connections.totalCreated).toBeGreaterThanOrEqual(status.connections.current);
    expect(status.connections.available).toBeGreaterThan(0);
    expect(status.mem.bits).toBe(64);
    expect(status.mem.resident).toBeGreaterThan(0);
    expect(status.ok).toBe(1);
  });

  it('counts operations for real: inserts per document, queries per find (through mongoose)', async () => {
    const Counted = db.conn.model('Counted', new Schema({ n: Number }));
    const before = (await db.conn.db!.admin().serverStatus()).opcounters as Document;
    await Counted.insertMany([{ n: 1 }, { n: 2 }, { n: 3 }]);
    await Counted.find({ n: 1 }).exec();
    await Counted.updateOne({ n: 1 }, { $set: { n: 4 } });
    await Counted.deleteOne({ n: 2 });
    const after = (await db.conn.db!.admin().serverStatus()).opcounters as Document;
    // >= : on a shared real server other clients may count too.
    expect(Number(after.insert) - Number(before.insert)).toBeGreaterThanOrEqual(3);
    expect(Number(after.query) - Number(before.query)).toBeGreaterThanOrEqual(1);
    expect(Number(after.update) - Number(before.update)).toBeGreaterThanOrEqual(1);
    expect(Number(after.delete) - Number(before.delete)).toBeGreaterThanOrEqual(1);
    expect(Number(after.command) - Number(before.command)).toBeGreaterThanOrEqual(1);
  });
});

describe('MongoDB setParameter', () => {
  it('only on the admin database: Unauthorized (13) "setParameter may only be run against the admin database."', async () => {
    const err = await serverError(db.conn.db!.command({ setParameter: 1, logLevel: 0 }));
    expect(err).toMatchObject({ code: 13, codeName: 'Unauthorized' });
    expect(err.message).toBe('setParameter may only be run against the admin database.');
  });

  it('an unrecognized parameter: InvalidOptions (72) naming it', async () => {
    const err = await serverError(db.conn.db!.admin().command({ setParameter: 1, noSuchParameterTn: 1 }));
    expect(err).toMatchObject({ code: 72, codeName: 'InvalidOptions' });
    expect(err.message).toMatch(/^attempted to set unrecognized parameter \[noSuchParameterTn\], use help:true to see options/);
  });

  it('ttlMonitorSleepSecs: set (the reply holds the previous value as `was`) and read back with getParameter', async () => {
    const admin = db.conn.db!.admin();
    const before = (await admin.command({ getParameter: 1, ttlMonitorSleepSecs: 1 })).ttlMonitorSleepSecs as number;
    try {
      const reply = await admin.command({ setParameter: 1, ttlMonitorSleepSecs: 7 });
      expect(reply.was).toBe(before);
      expect((await admin.command({ getParameter: 1, ttlMonitorSleepSecs: 1 })).ttlMonitorSleepSecs).toBe(7);
    } finally {
      await admin.command({ setParameter: 1, ttlMonitorSleepSecs: before });
    }
  });
});

describeEmbedded('setParameter refuses a bad ttlMonitorSleepSecs, setting nothing', () => {
  it('zero, a fraction or a string: BadValue (2)', async () => {
    const admin = db.conn.db!.admin();
    for (const bad of [0, 1.5, 'x']) expect((await serverError(admin.command({ setParameter: 1, ttlMonitorSleepSecs: bad }))).code).toBe(2);
    expect((await admin.command({ getParameter: 1, ttlMonitorSleepSecs: 1 })).ttlMonitorSleepSecs).toBe(60);
  });
});

describe('MongoDB collMod', () => {
  it('a missing collection: NamespaceNotFound (26)', async () => {
    const err = await serverError(db.conn.db!.command({ collMod: 'no_such_coll', validationLevel: 'moderate' }));
    expect(err.code).toBe(26);
  });

  it("an unknown field: 40415 \"BSON field 'collMod.foo' is an unknown field.\"", async () => {
    await db.conn.db!.createCollection('cm_unknown');
    const err = await serverError(db.conn.db!.command({ collMod: 'cm_unknown', foo: 1 }));
    expect(err.code).toBe(40415);
    expect(err.message).toBe("BSON field 'collMod.foo' is an unknown field.");
  });

  it('an invalid validationLevel: BadValue (2)', async () => {
    await db.conn.db!.createCollection('cm_level');
    const err = await serverError(db.conn.db!.command({ collMod: 'cm_level', validationLevel: 'sometimes' }));
    expect(err.code).toBe(2);
    expect(err.message).toMatch(/^Enumeration value 'sometimes' for field '(collMod\.)?validationLevel' is not a valid value\.$/);
  });

  it('sets a validator that later writes must pass; listCollections shows it', async () => {
    const coll = await db.conn.db!.createCollection('cm_valid');
    await coll.insertOne({ n: -5 });
    await db.conn.db!.command({ collMod: 'cm_valid', validator: { n: { $gte: 0 } } });
    const [info] = await db.conn.db!.listCollections({ name: 'cm_valid' }).toArray();
    expect((info as Document).options.validator).toEqual({ n: { $gte: 0 } });
    const err = await serverError(coll.insertOne({ n: -1 }));
    expect(err.code).toBe(121);
    await coll.insertOne({ n: 1 });
    expect(await coll.countDocuments()).toBe(2);
  });
});

describeEmbedded('embedded server: collMod options it does not implement are refused by name', () => {
  it('index changes (hidden, expireAfterSeconds): InvalidOptions (72) naming `index`', async () => {
    await db.conn.db!.createCollection('cm_index');
    const err = await serverError(db.conn.db!.command({ collMod: 'cm_index', index: { name: 'x_1', hidden: true } }));
    expect(err).toMatchObject({ code: 72, codeName: 'InvalidOptions' });
    expect(err.message).toMatch(/'index'/);
  });
});
