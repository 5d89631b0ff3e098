/**
 * The write path shared by insert, update, delete and findAndModify: every stored document
 * passes the unique checks here before `ctx.apply` changes the catalog.
 */
import type { Document } from 'bson';
import { ID_INDEX, type Collection } from '../catalog';
import { CommandError } from '../errors';
import { formatValue, keyOf } from '../values';
import type { CommandContext } from './context';

/** MongoDB's E11000 error for a key value in an index. */
export function duplicateKeyError(coll: Collection, indexName: string, keyPattern: Document, keyValue: Document): CommandError {
  return new CommandError(
    'DuplicateKey',
    `E11000 duplicate key error collection: ${coll.db}.${coll.name} index: ${indexName} dup key: ${formatValue(keyValue)}`,
    { keyPattern, keyValue },
  );
}

/** Validates and stores a new document; throws DuplicateKey if its `_id` or a unique key is taken. */
export function insertDoc(ctx: CommandContext, coll: Collection, doc: Document): void {
  if (Array.isArray(doc._id) || doc._id instanceof RegExp) {
    throw new CommandError('BadValue', `can't use an array or regex for _id`);
  }
  if (coll.docs.has(keyOf(doc._id))) throw duplicateKeyError(coll, ID_INDEX.name, { _id: 1 }, { _id: doc._id });
  storeDoc(ctx, coll, doc);
}

/** Stores a new version of a document (same `_id`) after the unique-index checks. */
export function storeDoc(ctx: CommandContext, coll: Collection, doc: Document): void {
  const violation = coll.uniqueViolation(doc);
  if (violation) throw duplicateKeyError(coll, violation.spec.name, violation.spec.key, violation.keyValue);
  ctx.apply({ op: 'put', db: coll.db, coll: coll.name, doc });
}

/** Removes a stored document. */
export function deleteDoc(ctx: CommandContext, coll: Collection, doc: Document): void {
  ctx.apply({ op: 'delete', db: coll.db, coll: coll.name, id: doc._id });
}

/** One entry of a reply's `writeErrors`. */
export function writeError(index: number, err: unknown): Document {
  if (err instanceof CommandError) return { index, code: err.code, codeName: err.codeName, errmsg: err.message, ...err.extra };
  return { index, code: 1, codeName: 'InternalError', errmsg: err instanceof Error ? err.message : String(err) };
}
