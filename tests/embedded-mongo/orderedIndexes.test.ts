/**
 * Ordered indexes through the real driver: the app's paged list is answered by walking
 * `{owner, updatedAt, seq}` (no in-memory SORT, a page costs its own size whatever the skip),
 * ranges, both directions, ties, counts from the index, unique constraints, and MongoDB's order
 * of BSON types in index keys and sorts.
 */
import mongoose, { Schema } from 'mongoose';
import type { NoteDoc } from '../../src/models/Note';
import { describeEmbedded, openTestDb, type TestDb } from './helpers';

/** The app's note fields (src/models/Note.ts), on a schema of this test's own. */
type NoteRow = NoteDoc;

let db: TestDb;
let Note: mongoose.Model<NoteRow>;
const BIG = 3000;
const T0 = 1_700_000_000_000;

/** The big owner's notes; each pair shares an updatedAt, so ties are broken by seq. */
function bigNotes(): NoteRow[] {
  return Array.from({ length: BIG }, (_, i) => {
    const seq = i + 1;
    const updatedAt = T0 + Math.floor(i / 2) * 1000;
    return { id: String(seq), seq, owner: 'big', text: `note ${seq}`, createdAt: T0 + seq, updatedAt };
  });
}

interface Stage {
  stage: string;
  inputStage?: Stage;
  indexName?: string;
  direction?: string;
  keysExamined?: number;
  docsExamined?: number;
}

interface Explained {
  queryPlanner: { winningPlan: Stage };
  executionStats: { nReturned: number; totalKeysExamined: number; totalDocsExamined: number };
}

function stages(plan: Stage): Stage[] {
  const out: Stage[] = [];
  for (let s: Stage | undefined = plan; s; s = s.inputStage) out.push(s);
  return out;
}

beforeAll(async () => {
  db = await openTestDb('ordered');
  const schema = new Schema<NoteRow>(
    {
      id: { type: String, required: true, unique: true },
      seq: Number,
      owner: String,
      text: String,
      createdAt: Number,
      updatedAt: Number,
    },
    { versionKey: false },
  );
  // The app's indexes (src/models/Note.ts).
  schema.index({ owner: 1, createdAt: 1, seq: 1 });
  schema.index({ owner: 1, updatedAt: 1, seq: 1 });
  Note = db.conn.model<NoteRow>('OrderedNote', schema);
  await Note.init();
  // The big owner's notes interleaved with other owners', as in the app.
  const others = Array.from({ length: 600 }, (_, i) => ({ id: `o${i}`, seq: 10_000 + i, owner: `u${i % 20}`, text: 'x', createdAt: T0 + i, updatedAt: T0 + i }));
  const big = bigNotes();
  const rows: NoteRow[] = [];
  for (let i = 0; i < big.length; i++) {
    rows.push(big[i]);
    if (i % 5 === 0 && others.length > 0) rows.push(others.pop() as NoteRow);
  }
  await Note.insertMany(rows, { lean: true });
}, 60_000);

afterAll(async () => {
  await db.close();
});

/** The big owner's notes in the order the app's list asks for. */
function expectedOrder(field: 'updatedAt' | 'createdAt', dir: 1 | -1): string[] {
  return bigNotes()
    .sort((a, b) => (a[field] - b[field] || a.seq - b.seq) * dir)
    .map((n) => n.id);
}

async function page(field: 'updatedAt' | 'createdAt', dir: 1 | -1, skip: number, limit: number): Promise<string[]> {
  const docs = await Note.find({ owner: 'big' }, { _id: 0, id: 1 }).sort({ [field]: dir, seq: dir }).skip(skip).limit(limit).lean();
  return docs.map((d) => d.id);
}

describe('the app’s paged list', () => {
  test.each([
    ['updatedAt', -1],
    ['updatedAt', 1],
    ['createdAt', -1],
    ['createdAt', 1],
  ] as const)('pages sorted by %s %d walk the whole list in order, ties broken by seq, without overlap', async (field, dir) => {
    const expected = expectedOrder(field, dir);
    const seen: string[] = [];
    for (let skip = 0; skip < BIG; skip += 250) seen.push(...(await page(field, dir, skip, 250)));
    expect(seen).toEqual(expected);
    expect(await page(field, dir, BIG - 3, 10)).toEqual(expected.slice(BIG - 3));
    expect(await page(field, dir, BIG, 10)).toEqual([]);
  });

  test('a range on updatedAt with the owner, in both directions', async () => {
    const lo = T0 + 100_000;
    const hi = T0 + 200_000;
    const filter = { owner: 'big', updatedAt: { $gt: lo, $lte: hi } };
    const expected = bigNotes().filter((n) => n.updatedAt > lo && n.updatedAt <= hi).sort((a, b) => a.updatedAt - b.updatedAt || a.seq - b.seq).map((n) => n.id);
    const up = await Note.find(filter).sort({ updatedAt: 1, seq: 1 }).lean();
    const down = await Note.find(filter).sort({ updatedAt: -1, seq: -1 }).skip(3).limit(20).lean();
    expect(up.map((d) => d.id)).toEqual(expected);
    expect(down.map((d) => d.id)).toEqual([...expected].reverse().slice(3, 23));
    expect(await Note.countDocuments(filter)).toBe(expected.length);
    expect(await Note.countDocuments({ owner: 'big', updatedAt: { $gte: T0 + 1_000_000 } })).toBe(BIG - 2000);
  });

  test('$in on the owner with a sort on the owner first still comes from the index', async () => {
    const docs = await Note.find({ owner: { $in: ['u3', 'big', 'u1'] } }).sort({ owner: -1, updatedAt: -1, seq: -1 }).limit(5).lean();
    expect(docs.map((d) => d.owner)).toEqual(['u3', 'u3', 'u3', 'u3', 'u3']);
    const all = await Note.find({ owner: { $in: ['u3', 'u1'] } }).sort({ updatedAt: 1 }).lean();
    expect(all.map((d) => d.updatedAt)).toEqual([...all.map((d) => d.updatedAt)].sort((a, b) => a - b));
    expect(all.length).toBe(await Note.countDocuments({ owner: { $in: ['u1', 'u3'] } }));
  });
});

describeEmbedded('explain (embedded only: MongoDB examines the skipped keys)', () => {
  async function explainPage(skip: number): Promise<Explained> {
    return (await Note.find({ owner: 'big' }, { _id: 0, id: 1, text: 1 })
      .sort({ updatedAt: -1, seq: -1 })
      .skip(skip)
      .limit(10)
      .explain('executionStats')) as unknown as Explained;
  }

  test('the list walks {owner, updatedAt, seq} backwards: no in-memory SORT, a page examines only its own keys and documents', async () => {
    const first = await explainPage(0);
    const chain = stages(first.queryPlanner.winningPlan);
    expect(chain.map((s) => s.stage)).not.toContain('SORT');
    const ixscan = chain.find((s) => s.stage === 'IXSCAN');
    expect(ixscan).toMatchObject({ indexName: 'owner_1_updatedAt_1_seq_1', direction: 'backward' });
    expect(first.executionStats).toMatchObject({ nReturned: 10, totalKeysExamined: 10, totalDocsExamined: 10 });
  });

  test('keys and documents examined do not grow with skip', async () => {
    for (const skip of [0, 1000, BIG - 10, BIG - 5]) {
      const explained = await explainPage(skip);
      const returned = Math.min(10, BIG - skip);
      expect([skip, explained.executionStats]).toEqual([skip, expect.objectContaining({ nReturned: returned, totalKeysExamined: returned, totalDocsExamined: returned })]);
    }
  });

  test('countDocuments with an equality or a range on the index reads no document', async () => {
    const stats = db.server!.stats;
    const before = { ...stats };
    expect(await Note.countDocuments({ owner: 'big' })).toBe(BIG);
    expect(await Note.countDocuments({ owner: 'big', createdAt: { $lt: T0 + 11 } })).toBe(10);
    expect(stats.docsExamined - before.docsExamined).toBe(0);
    expect(stats.indexedQueries - before.indexedQueries).toBe(2);
  });

  test('a filter the index cannot fully answer walks it in order and stops at the page', async () => {
    const explained = (await Note.find({ owner: 'big', text: { $regex: '^note 1', $options: 'i' } })
      .sort({ updatedAt: 1, seq: 1 })
      .limit(5)
      .explain('executionStats')) as unknown as Explained;
    const chain = stages(explained.queryPlanner.winningPlan);
    expect(chain.map((s) => s.stage)).not.toContain('SORT');
    expect(chain.find((s) => s.stage === 'IXSCAN')?.indexName).toBe('owner_1_updatedAt_1_seq_1');
    // In updatedAt order the matches are notes 1, 10, 11, 12, 13: thirteen documents read for five.
    expect(explained.executionStats.nReturned).toBe(5);
    expect(explained.executionStats.totalDocsExamined).toBeLessThan(20);
  });

  test('a sort no index gives is done in memory and says so', async () => {
    const explained = (await Note.find({ owner: 'big' }).sort({ text: 1 }).limit(3).explain('executionStats')) as unknown as Explained;
    expect(stages(explained.queryPlanner.winningPlan).map((s) => s.stage)).toContain('SORT');
  });
});

describe('unique indexes on the ordered structure', () => {
  test('a duplicate id is E11000 on insert and on update; an update that keeps its id is fine', async () => {
    const dup = await Note.create({ id: '1', seq: 1, owner: 'x', text: 't', createdAt: 1, updatedAt: 1 }).catch((e: unknown) => e);
    expect(dup).toMatchObject({ code: 11000 });
    expect((dup as Error).message).toMatch(/E11000 duplicate key error collection: .* index: id_1 dup key: \{ id: "1" \}/);
    const moved = await Note.updateOne({ id: '2' }, { $set: { id: '3' } }).catch((e: unknown) => e);
    expect(moved).toMatchObject({ code: 11000 });
    expect((await Note.updateOne({ id: '2', owner: 'big' }, { $set: { id: '2', text: 'same id' } })).modifiedCount).toBe(1);
    expect((await Note.findOne({ id: '2' }).lean())?.text).toBe('same id');
    expect(await Note.countDocuments({ id: '3' })).toBe(1);
  });
});

describe('MongoDB’s order of BSON types', () => {
  const { Binary, Int32, Long, MaxKey, MinKey, ObjectId, Timestamp, Double, BSONRegExp } = mongoose.mongo.BSON;
  // MongoDB's comparison order: MinKey, null (and missing), numbers, strings, objects, arrays
  // (left out here: they make an index multikey), binary, ObjectId, booleans, dates,
  // timestamps, regular expressions, MaxKey. Strings compare by UTF-8 bytes.
  const ordered: Array<[string, unknown]> = [
    ['minkey', new MinKey()],
    ['null', null],
    ['nan', NaN],
    ['-inf', -Infinity],
    ['int -3', new Int32(-3)],
    ['long 2', Long.fromNumber(2)],
    ['double 2.5', new Double(2.5)],
    ['decimal-free 3', 3],
    ['long 2^60', Long.fromString('1152921504606846976')],
    ['inf', Infinity],
    ['string B', 'B'],
    ['string a', 'a'],
    ['string é', 'é'],
    ['string U+FFFF', '\uffff'],
    ['string emoji', '😀'],
    ['object', { a: 1 }],
    ['object bigger', { a: 2 }],
    ['binary short', new Binary(Buffer.from([9]))],
    ['binary long', new Binary(Buffer.from([1, 1]))],
    ['objectid low', new ObjectId('000000000000000000000001')],
    ['objectid high', new ObjectId('ff0000000000000000000000')],
    ['false', false],
    ['true', true],
    ['date early', new Date(0)],
    ['date late', new Date(1e12)],
    ['timestamp', new Timestamp({ t: 1, i: 1 })],
    ['regex', new BSONRegExp('a', '')],
    ['maxkey', new MaxKey()],
  ];
  let Typed: mongoose.mongo.Collection<{ _id: number; tag: string; v?: unknown; w?: unknown }>;
  const missingTag = 'missing';

  beforeAll(async () => {
    Typed = db.conn.db!.collection('typed');
    await Typed.createIndex({ v: 1 });
    // Inserted in a scrambled order so that natural order proves nothing.
    const rows = ordered.map(([tag, v], i) => ({ _id: i, tag, v, w: v }));
    const scrambled = rows.map((_, i) => rows[(i * 11) % rows.length]);
    await Typed.insertMany([...scrambled, { _id: 100, tag: missingTag }]);
  });

  test('an ascending and a descending index walk, and the same sort in memory, give the order', async () => {
    const expectedUp = ordered.map(([tag]) => tag);
    // Missing sorts with null; which of the two comes first is not specified.
    const withoutMissing = (tags: string[]) => tags.filter((t) => t !== missingTag);
    const up = (await Typed.find({}, { sort: { v: 1 } }).toArray()).map((d) => d.tag as string);
    const down = (await Typed.find({}, { sort: { v: -1 } }).toArray()).map((d) => d.tag as string);
    const inMemory = (await Typed.find({}, { sort: { w: 1 } }).toArray()).map((d) => d.tag as string);
    expect(withoutMissing(up)).toEqual(expectedUp);
    expect(withoutMissing(down)).toEqual([...expectedUp].reverse());
    expect(withoutMissing(inMemory)).toEqual(expectedUp);
    expect(up.indexOf(missingTag)).toBeLessThan(up.indexOf('nan'));
  });

  test('ranges stay within their type and numbers compare across int, long and double', async () => {
    const tags = async (filter: object) => (await Typed.find(filter, { sort: { v: 1 } }).toArray()).map((d) => d.tag as string);
    expect(await tags({ v: { $gte: 2, $lt: 3 } })).toEqual(['long 2', 'double 2.5']);
    expect(await tags({ v: { $gt: 3 } })).toEqual(['long 2^60', 'inf']);
    expect(await tags({ v: { $lt: -3 } })).toEqual(['-inf']);
    expect(await tags({ v: { $gte: 'a' } })).toEqual(['string a', 'string é', 'string U+FFFF', 'string emoji']);
    expect(await tags({ v: { $gt: new Date(0) } })).toEqual(['date late']);
    expect(await tags({ v: 2 })).toEqual(['long 2']);
    expect(await tags({ v: null })).toEqual(['null', missingTag]);
  });
});
