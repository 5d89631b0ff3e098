/**
 * The migration of the notes' indexes to the sharding-ready ones (issue 17). Databases created
 * before had `id_1` (`{id: 1}`, unique) and `idem.key_1` (`{'idem.key': 1}`, unique, sparse);
 * every index of notes now starts with the owner (models/Note.ts), and a sharded cluster refuses
 * to shard a collection with a unique index the shard key does not prefix. So at start-up, once
 * the owner-prefixed indexes exist, exactly those two names are dropped if present.
 *
 * Safe to run any number of times and in several processes at once: building an index that
 * exists is a no-op, an index is dropped only once its replacement is there (`{owner, id}` and
 * `{owner, idem.key}` unique), and an index another process dropped first (IndexNotFound) counts
 * as gone. After the drop the database guards ids per owner only: that ids are unique across
 * owners is the id allocator's guarantee (models/idBlocks.ts: never an id twice). Nothing
 * else is touched: other indexes, whoever made them, stay.
 */
import mongoose from 'mongoose';
import { logger } from '../logger';
import { Note } from './Note';

/** Each legacy index of notes, and the owner-prefixed index that replaces it. */
export const LEGACY_NOTE_INDEXES: Readonly<Record<string, string>> = {
  id_1: 'owner_1_id_1',
  'idem.key_1': 'owner_1_idem.key_1',
};

/** The server's code for dropping an index that does not exist. */
const INDEX_NOT_FOUND = 27;

/** Whether `err` says the index was already gone (another process dropped it first). */
function alreadyGone(err: unknown): boolean {
  return err instanceof mongoose.mongo.MongoServerError && err.code === INDEX_NOT_FOUND;
}

/**
 * Builds the notes' indexes (models/Note.ts) and then drops the legacy ones that are present
 * and replaced; returns the names this call dropped (logged each).
 */
export async function dropLegacyNoteIndexes(): Promise<string[]> {
  await Note.createIndexes();
  const present = new Set((await Note.collection.indexes()).map((index) => index.name));
  const dropped: string[] = [];
  for (const [legacy, replacement] of Object.entries(LEGACY_NOTE_INDEXES)) {
    if (!present.has(legacy)) continue;
    if (!present.has(replacement)) {
      logger.warn(`notes: kept the legacy index ${legacy}: its replacement ${replacement} is missing`);
      continue;
    }
    try {
      await Note.collection.dropIndex(legacy);
    } catch (err) {
      if (alreadyGone(err)) continue;
      throw err;
    }
    dropped.push(legacy);
    logger.info(`notes: dropped the legacy index ${legacy}, replaced by ${replacement} (owner first: the shard key, docs/scaling.md)`);
  }
  return dropped;
}
