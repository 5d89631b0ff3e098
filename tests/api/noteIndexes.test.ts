/**
 * The notes' indexes are prefixed by the owner, the shard key (issue 17, docs/scaling.md): what
 * they are, what they enforce, that every query shape the API sends is planned with one of them,
 * and the migration of a database that still has the legacy `id_1` and `idem.key_1`
 * (src/models/legacyIndexes.ts), built first with the raw driver as an older version left them.
 */
import mongoose from 'mongoose';
import { planOf } from '../../bench/plan';
import { Note } from '../../src/models/Note';
import { dropLegacyNoteIndexes } from '../../src/models/legacyIndexes';
import { useTestDb } from '../helpers/db';

useTestDb();

const OWNER_INDEXES = ['_id_', 'owner_1_createdAt_1_seq_1', 'owner_1_id_1', 'owner_1_idem.key_1', 'owner_1_updatedAt_1_seq_1'];

function notes(): mongoose.mongo.Collection {
  const db = mongoose.connection.db;
  if (!db) throw new Error('not connected');
  return db.collection('notes');
}

async function indexNames(): Promise<string[]> {
  return (await notes().indexes()).map((index) => String(index.name)).sort();
}

function note(id: number, owner: string, idemKey?: string): Record<string, unknown> {
  const doc: Record<string, unknown> = { id: String(id), seq: id, owner, text: `note ${id}`, createdAt: id, updatedAt: id };
  if (idemKey) doc.idem = { key: `${owner}:${idemKey}`, hash: 'h', at: id };
  return doc;
}

/** The collection as a database from before issue 17 has it: the old unique indexes and some notes. */
async function legacyCollection(): Promise<void> {
  await notes()
    .drop()
    .catch(() => undefined);
  await notes().createIndex({ id: 1 }, { unique: true });
  await notes().createIndex({ 'idem.key': 1 }, { unique: true, sparse: true });
  await notes().createIndex({ owner: 1, createdAt: 1, seq: 1 });
  await notes().createIndex({ owner: 1, updatedAt: 1, seq: 1 });
  await notes().insertMany([note(1, 'a', 'k1'), note(2, 'a'), note(3, 'b', 'k1'), note(4, 'b')]);
}

describe('the indexes of notes', () => {
  beforeAll(async () => {
    await Note.createIndexes();
  });

  it('all start with the owner; {owner, id} is unique; {owner, idem.key} is unique over the notes that have a key', async () => {
    expect(await indexNames()).toEqual(OWNER_INDEXES);
    const byName = new Map((await notes().indexes()).map((index) => [index.name, index]));
    for (const [name, index] of byName) if (name !== '_id_') expect([name, Object.keys(index.key)[0]]).toEqual([name, 'owner']);
    expect(byName.get('owner_1_id_1')).toMatchObject({ key: { owner: 1, id: 1 }, unique: true });
    expect(byName.get('owner_1_idem.key_1')).toMatchObject({ key: { owner: 1, 'idem.key': 1 }, unique: true, partialFilterExpression: { 'idem.key': { $exists: true } } });
    expect(byName.get('owner_1_idem.key_1')?.sparse).toBeUndefined();
  });

  it('refuse a second note with the same owner and id, and a key used twice by one owner; notes without a key are not held by it', async () => {
    await notes().insertMany([note(101, 'u1', 'same'), note(102, 'u1'), note(103, 'u1'), note(104, 'u2', 'same')]);

    await expect(notes().insertOne(note(101, 'u1'))).rejects.toMatchObject({ code: 11000 });
    await expect(notes().insertOne(note(105, 'u1', 'same'))).rejects.toMatchObject({ code: 11000 });
    expect(await notes().countDocuments({ owner: { $in: ['u1', 'u2'] } })).toBe(4);
  });

  it.each([
    ['a note by id', { owner: 'u1', id: '101' }, 'owner_1_id_1'],
    ["a round's notes by id", { owner: 'u1', id: { $in: ['101', '102', '999'] } }, 'owner_1_id_1'],
    ['a note in the state a conditional write compares', { id: '101', owner: 'u1', text: 'note 101', createdAt: 101, updatedAt: 101 }, 'owner_1_id_1'],
    ['the note of an Idempotency-Key', { owner: 'u1', 'idem.key': 'u1:same' }, 'owner_1_idem.key_1'],
    ['the key freed when it expired', { owner: 'u1', 'idem.key': 'u1:same', 'idem.at': 101 }, 'owner_1_idem.key_1'],
  ])('plans %s with an owner-prefixed index', async (_what, filter, indexName) => {
    const plan = planOf((await notes().find(filter).limit(1).explain()) as Parameters<typeof planOf>[0]);
    expect(plan).toMatchObject({ stage: 'IXSCAN', indexName });
  });

  it("plans one owner's list (by updatedAt, by createdAt) and the notes of a deleted account with the owner's indexes", async () => {
    const planned = async (sort: Record<string, 1 | -1> | undefined) =>
      planOf((await notes().find({ owner: 'u1' }, { sort }).limit(10).explain()) as Parameters<typeof planOf>[0]);
    expect(await planned({ updatedAt: -1, seq: -1 })).toMatchObject({ stage: 'IXSCAN', indexName: 'owner_1_updatedAt_1_seq_1' });
    expect(await planned({ createdAt: 1, seq: 1 })).toMatchObject({ stage: 'IXSCAN', indexName: 'owner_1_createdAt_1_seq_1' });
    expect((await planned(undefined)).stage).toBe('IXSCAN');
  });
});

describe('the migration of a database with the legacy indexes', () => {
  it('builds the owner-prefixed indexes, drops exactly id_1 and idem.key_1, and keeps every note', async () => {
    await legacyCollection();
    expect(await indexNames()).toEqual(['_id_', 'id_1', 'idem.key_1', 'owner_1_createdAt_1_seq_1', 'owner_1_updatedAt_1_seq_1']);

    expect(await dropLegacyNoteIndexes()).toEqual(['id_1', 'idem.key_1']);

    expect(await indexNames()).toEqual(OWNER_INDEXES);
    expect(await notes().countDocuments({})).toBe(4);
  });

  it('is idempotent: run again, it drops nothing', async () => {
    await legacyCollection();
    await dropLegacyNoteIndexes();

    expect(await dropLegacyNoteIndexes()).toEqual([]);
    expect(await indexNames()).toEqual(OWNER_INDEXES);
  });

  it('several processes starting together: each legacy index is dropped once, none of them fails', async () => {
    await legacyCollection();

    const dropped = await Promise.all([dropLegacyNoteIndexes(), dropLegacyNoteIndexes(), dropLegacyNoteIndexes()]);

    expect(dropped.flat().sort()).toEqual(['id_1', 'idem.key_1']);
    expect(await indexNames()).toEqual(OWNER_INDEXES);
  });

  it('keeps any other index someone made, and a database without notes gets the new indexes', async () => {
    await legacyCollection();
    await notes().createIndex({ text: 1 }, { name: 'ops_text' });
    await dropLegacyNoteIndexes();
    expect(await indexNames()).toEqual([...OWNER_INDEXES, 'ops_text'].sort());

    await notes().drop();
    expect(await dropLegacyNoteIndexes()).toEqual([]);
    expect(await indexNames()).toEqual(OWNER_INDEXES);
  });
});
