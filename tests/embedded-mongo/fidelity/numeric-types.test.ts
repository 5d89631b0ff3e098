/**
 * BSON numeric types (int32, int64, double, decimal128) through the embedded server, as MongoDB
 * keeps them: a value comes back with the type it was stored with (through the wire, updates,
 * find and aggregate, the journal and snapshots), numbers compare by value across types (in
 * filters, sorts and unique indexes), `$type` tells them apart, and `$inc` / `$mul` follow
 * MongoDB's arithmetic type rules. Through the raw driver (read with `promoteValues: false`, so
 * the driver keeps the wire types) and through mongoose's Int32 / Double / BigInt / Decimal128
 * schema types.
 */
import * as fs from 'node:fs';
import mongoose from 'mongoose';
import { Decimal128, Double, Int32, Long, type Collection, type Document } from 'mongodb';
import { startEmbeddedServer } from '../../../src/embedded-mongo';
import { usingRealMongo } from '../../helpers/mongoTarget';
import { makeTempDir, removeDir } from '../../helpers/tmp';
import { openTestDb, type TestDb } from '../helpers';

/** The BSON type name of a value read with `promoteValues: false`. */
function typeName(v: unknown): string {
  if (typeof v === 'number') return 'js-number';
  return (v as { _bsontype?: string })._bsontype ?? typeof v;
}

/** Each field's BSON type name and value text, for one document read without promotion. */
function typesOf(doc: Document | null, fields: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) out[f] = `${typeName(doc?.[f])}:${String(doc?.[f])}`;
  return out;
}

const RAW = { promoteValues: false } as const;
const FIELDS = ['i', 'l', 'd', 'f', 'm', 'big'];

/** One document with every numeric type, including the values a JS number would lose. */
function sample(id: number): AnyDoc {
  return {
    _id: id,
    i: new Int32(2),
    l: Long.fromNumber(5),
    d: new Double(2),
    f: new Double(2.5),
    m: Decimal128.fromString('2.0'),
    big: Long.fromString('9007199254740993'),
  };
}

const EXPECTED = {
  i: 'Int32:2',
  l: 'Long:5',
  d: 'Double:2',
  f: 'Double:2.5',
  m: 'Decimal128:2.0',
  big: 'Long:9007199254740993',
};

let db: TestDb;
/** Documents with any `_id` (numbers and strings here) and any fields. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the fields hold every BSON type on purpose
type AnyDoc = { _id?: number | string; [field: string]: any };
let coll: Collection<AnyDoc>;

beforeAll(async () => {
  db = await openTestDb('numeric_types');
});
afterAll(async () => {
  await db.close();
});
beforeEach(async () => {
  coll = db.conn.db!.collection<AnyDoc>(`nums_${Math.random().toString(36).slice(2)}`);
});

describe('numeric types round-trip (MongoDB keeps int32, int64, double and decimal128 apart)', () => {
  test('raw driver: insert then find and aggregate return every value with its stored type', async () => {
    await coll.insertOne(sample(1));
    expect(typesOf(await coll.findOne({ _id: 1 }, RAW), FIELDS)).toEqual(EXPECTED);
    const [viaAggregate] = await coll.aggregate([{ $match: { _id: 1 } }, { $project: { i: 1, l: 1, d: 1, f: 1, m: 1, big: 1 } }], RAW).toArray();
    expect(typesOf(viaAggregate, FIELDS)).toEqual(EXPECTED);
    // The default (promoting) read gives what the driver makes of each wire type.
    const promoted = await coll.findOne({ _id: 1 });
    expect(promoted).toMatchObject({ i: 2, l: 5, d: 2, f: 2.5 });
  });

  test('updates that do not touch a field keep its type ($set directly and through the general path)', async () => {
    await coll.insertOne(sample(2));
    await coll.updateOne({ _id: 2 }, { $set: { other: 'x' } });
    expect(typesOf(await coll.findOne({ _id: 2 }, RAW), FIELDS)).toEqual(EXPECTED);
    await coll.updateOne({ _id: 2 }, { $push: { list: 1 } as Document, $set: { 'nested.a': 1 } });
    expect(typesOf(await coll.findOne({ _id: 2 }, RAW), FIELDS)).toEqual(EXPECTED);
    await coll.findOneAndUpdate({ _id: 2 }, { $set: { l2: Long.fromNumber(7), d2: new Double(3) } });
    expect(typesOf(await coll.findOne({ _id: 2 }, RAW), ['l2', 'd2'])).toEqual({ l2: 'Long:7', d2: 'Double:3' });
  });

  test('$type tells the types apart: int, long, double, decimal, number, and their numeric codes', async () => {
    await coll.insertOne(sample(3));
    const matches = async (filter: Document) => (await coll.countDocuments({ _id: 3, ...filter })) === 1;
    expect(await matches({ i: { $type: 'int' } })).toBe(true);
    expect(await matches({ i: { $type: 'double' } })).toBe(false);
    expect(await matches({ l: { $type: 'long' } })).toBe(true);
    expect(await matches({ l: { $type: 'int' } })).toBe(false);
    expect(await matches({ d: { $type: 'double' } })).toBe(true);
    expect(await matches({ d: { $type: 'int' } })).toBe(false);
    expect(await matches({ m: { $type: 'decimal' } })).toBe(true);
    expect(await matches({ big: { $type: 18 } })).toBe(true);
    expect(await matches({ d: { $type: 1 } })).toBe(true);
    expect(await matches({ i: { $type: 16 } })).toBe(true);
    for (const f of FIELDS) expect(await matches({ [f]: { $type: 'number' } })).toBe(true);
  });

  test('numbers are equal and ordered by value across types in filters and sorts', async () => {
    await coll.insertMany([
      { _id: 'int', v: 2 },
      { _id: 'long', v: Long.fromNumber(2) },
      { _id: 'double', v: new Double(2) },
      { _id: 'decimal', v: Decimal128.fromString('2.00') },
      { _id: 'small', v: new Double(1.5) },
      { _id: 'large', v: Long.fromNumber(3) },
    ]);
    const ids = async (filter: Document) => (await coll.find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id as string);
    const twos = ['decimal', 'double', 'int', 'long'];
    expect(await ids({ v: 2 })).toEqual(twos);
    expect(await ids({ v: Long.fromNumber(2) })).toEqual(twos);
    expect(await ids({ v: new Double(2) })).toEqual(twos);
    expect(await ids({ v: Decimal128.fromString('2') })).toEqual(twos);
    expect(await ids({ v: { $in: [Long.fromNumber(3), 1.5] } })).toEqual(['large', 'small']);
    expect(await ids({ v: { $gt: Long.fromNumber(2) } })).toEqual(['large']);
    expect(await ids({ v: { $lt: new Double(2) } })).toEqual(['small']);
    expect(await ids({ v: { $gte: Decimal128.fromString('2'), $lt: 3 } })).toEqual(twos);
    const sorted = await coll.find({}, RAW).sort({ v: -1, _id: 1 }).toArray();
    expect(sorted.map((d) => d._id as string)).toEqual(['large', 'decimal', 'double', 'int', 'long', 'small']);
  });

  test('a decimal and a double compare exactly by value: Decimal128("0.1") is below the double 0.1, Decimal128("0.5") equals 0.5', async () => {
    await coll.insertMany([
      { _id: 'd01', v: Decimal128.fromString('0.1') },
      { _id: 'd05', v: Decimal128.fromString('0.50') },
      { _id: 'f01', v: 0.1 },
    ]);
    const ids = async (filter: Document) => (await coll.find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id as string);
    expect(await ids({ v: 0.1 })).toEqual(['f01']);
    expect(await ids({ v: { $in: [0.1] } })).toEqual(['f01']);
    expect(await ids({ v: Decimal128.fromString('0.1') })).toEqual(['d01']);
    expect(await ids({ v: { $lt: 0.1 } })).toEqual(['d01']);
    expect(await ids({ v: 0.5 })).toEqual(['d05']);
    expect((await coll.find().sort({ v: 1 }).toArray()).map((d) => d._id as string)).toEqual(['d01', 'f01', 'd05']);
  });

  test('a unique index treats 2, Long(2), Double(2) and Decimal128(2.0) as the same key', async () => {
    await coll.createIndex({ k: 1 }, { unique: true });
    await coll.insertOne({ k: 2 });
    for (const dup of [Long.fromNumber(2), new Double(2), Decimal128.fromString('2.0')]) {
      await expect(coll.insertOne({ k: dup })).rejects.toMatchObject({ code: 11000 });
    }
    await coll.insertOne({ k: new Double(2.5) });
    expect(await coll.countDocuments()).toBe(2);
  });
});

describe('$inc and $mul follow MongoDB arithmetic type rules', () => {
  /** Applies `update` to a document holding `v`, and returns the stored result as "type:value". */
  async function after(v: unknown, update: Document): Promise<string> {
    const id = Math.random();
    await coll.insertOne(v === undefined ? { _id: id } : { _id: id, v });
    await coll.updateOne({ _id: id }, update);
    const doc = await coll.findOne({ _id: id }, RAW);
    return `${typeName(doc?.v)}:${String(doc?.v)}`;
  }

  test('int + int stays int, and becomes long when it overflows int32', async () => {
    expect(await after(2, { $inc: { v: 3 } })).toBe('Int32:5');
    expect(await after(2147483647, { $inc: { v: 1 } })).toBe('Long:2147483648');
    expect(await after(-2147483648, { $inc: { v: -1 } })).toBe('Long:-2147483649');
    expect(await after(65536, { $mul: { v: 65536 } })).toBe('Long:4294967296');
  });

  test('a double operand gives a double, also when the result is integral', async () => {
    expect(await after(2, { $inc: { v: 0.5 } })).toBe('Double:2.5');
    expect(await after(2.5, { $inc: { v: 0.5 } })).toBe('Double:3');
    expect(await after(new Double(2), { $inc: { v: 1 } })).toBe('Double:3');
    expect(await after(3, { $mul: { v: new Double(2) } })).toBe('Double:6');
  });

  test('long with int or long stays long; decimal wins over every other type', async () => {
    expect(await after(Long.fromNumber(5), { $inc: { v: 1 } })).toBe('Long:6');
    expect(await after(1, { $inc: { v: Long.fromNumber(5) } })).toBe('Long:6');
    expect(await after(Long.fromString('9007199254740993'), { $inc: { v: 1 } })).toBe('Long:9007199254740994');
    expect(await after(Long.fromNumber(5), { $mul: { v: 3 } })).toBe('Long:15');
    expect(await after(Decimal128.fromString('1.5'), { $inc: { v: 1 } })).toBe('Decimal128:2.5');
    expect(await after(2, { $mul: { v: Decimal128.fromString('1.5') } })).toBe('Decimal128:3.0');
  });

  test('a missing field: $inc stores the increment as given, $mul stores zero of its type', async () => {
    expect(await after(undefined, { $inc: { v: Long.fromNumber(4) } })).toBe('Long:4');
    expect(await after(undefined, { $inc: { v: new Double(4) } })).toBe('Double:4');
    expect(await after(undefined, { $mul: { v: Long.fromNumber(4) } })).toBe('Long:0');
    expect(await after(undefined, { $mul: { v: 4 } })).toBe('Int32:0');
  });

  test('a long that would overflow int64 fails the update with BadValue, leaving the document', async () => {
    await coll.insertOne({ _id: 1, v: Long.MAX_VALUE });
    await expect(coll.updateOne({ _id: 1 }, { $inc: { v: 1 } })).rejects.toMatchObject({
      code: 2,
      message: expect.stringContaining('Failed to apply $inc operations to current value ((NumberLong)9223372036854775807) for document {_id: 1}') as unknown,
    });
    expect(String((await coll.findOne({ _id: 1 }, RAW))?.v)).toBe('9223372036854775807');
  });
});

describe('mongoose numeric schema types', () => {
  test('Int32, Double, BigInt and Decimal128 paths are stored with their BSON types and read back', async () => {
    const schema = new mongoose.Schema({ i: mongoose.Schema.Types.Int32, d: mongoose.Schema.Types.Double, big: BigInt, m: mongoose.Schema.Types.Decimal128 });
    const Model = db.conn.model(`NumTypes${Math.random().toString(36).slice(2)}`, schema);
    const created = await Model.create({ i: 7, d: 2, big: 9007199254740993n, m: '2.50' });
    const raw = await Model.collection.findOne({ _id: created._id }, RAW);
    expect(typesOf(raw, ['i', 'd', 'big', 'm'])).toEqual({ i: 'Int32:7', d: 'Double:2', big: 'Long:9007199254740993', m: 'Decimal128:2.50' });
    const found = await Model.findById(created._id).orFail();
    expect(found.big).toBe(9007199254740993n);
    expect(found.m?.toString()).toBe('2.50');
    await Model.updateOne({ _id: created._id }, { $inc: { d: 1, big: 1n } });
    const raw2 = await Model.collection.findOne({ _id: created._id }, RAW);
    expect(typesOf(raw2, ['i', 'd', 'big'])).toEqual({ i: 'Int32:7', d: 'Double:3', big: 'Long:9007199254740994' });
    expect(await Model.countDocuments({ big: { $gt: 9007199254740993n } })).toBe(1);
  });
});

(usingRealMongo ? describe.skip : describe)('numeric types survive a restart (journal and snapshot)', () => {
  test('a server on disk gives back the stored types after replaying its journal, and after a snapshot', async () => {
    const dir = makeTempDir('tn-num-types-');
    const read = async () => {
      const server = await startEmbeddedServer({ dataDir: dir, journalMaxBytes: 4096 });
      const conn = await mongoose.createConnection(server.uri, { dbName: 'nums' }).asPromise();
      try {
        return { server, conn, coll: conn.db!.collection<AnyDoc>('t') };
      } catch (err) {
        await conn.close();
        await server.close();
        throw err;
      }
    };
    try {
      const first = await read();
      await first.coll.insertOne(sample(1));
      await first.coll.updateOne({ _id: 1 }, { $inc: { l: 1 }, $set: { x: 'y' } });
      await first.conn.close();
      await first.server.close();
      const second = await read();
      expect(typesOf(await second.coll.findOne({ _id: 1 }, RAW), FIELDS)).toEqual({ ...EXPECTED, l: 'Long:6' });
      // Enough writes to pass journalMaxBytes: the state is then read back from a snapshot.
      for (let n = 2; n < 40; n++) await second.coll.insertOne({ ...sample(n), pad: 'p'.repeat(200) });
      await second.conn.close();
      await second.server.close();
      expect(fs.readdirSync(dir).some((f) => f.startsWith('snapshot-'))).toBe(true);
      const third = await read();
      expect(typesOf(await third.coll.findOne({ _id: 1 }, RAW), FIELDS)).toEqual({ ...EXPECTED, l: 'Long:6' });
      expect(typesOf(await third.coll.findOne({ _id: 39 }, RAW), FIELDS)).toEqual(EXPECTED);
      await third.conn.close();
      await third.server.close();
    } finally {
      removeDir(dir);
    }
  });
});

describe('aggregation over numeric types (MongoDB: $sum / $group / $sort by value across types)', () => {
  test('$group sums every numeric type, $sort orders across them and passes types through', async () => {
    await coll.insertMany([
      { _id: 1, g: 'a', v: Long.fromNumber(5) },
      { _id: 2, g: 'a', v: new Double(2) },
      { _id: 3, g: 'a', v: 1 },
      { _id: 4, g: 'b', v: new Double(0.5) },
    ]);
    const sums = await coll.aggregate([{ $group: { _id: '$g', total: { $sum: '$v' } } }, { $sort: { _id: 1 } }]).toArray();
    expect(sums).toEqual([
      { _id: 'a', total: 8 },
      { _id: 'b', total: 0.5 },
    ]);
    const sorted = await coll.aggregate([{ $match: { g: 'a' } }, { $sort: { v: 1 } }], RAW).toArray();
    expect(sorted.map((d) => `${String(d._id)}:${typeName(d.v)}`)).toEqual(['3:Int32', '2:Double', '1:Long']);
  });
});
