/**
 * The write path shared by insert, update, delete and findAndModify: every stored document
 * passes the size, depth and unique checks here before `ctx.apply` changes the catalog.
 */
import { BSON, type Document } from 'bson';
import { SERIALIZE_OPTIONS } from '../bson-options';
import { ID_INDEX, type Collection } from '../catalog';
import { CommandError, errorFields } from '../errors';
import { checkValidation } from '../collection-options';
import { trimCapped } from '../capped';
import { checkIdField } from '../update';
import { exceedsDepth, formatValue, MAX_STORED_DEPTH } from '../values';
import type { CommandContext } from './context';

/** MongoDB's limit on a stored document (BSONObjMaxUserSize): 16 MiB. */
export const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
/** The most any BSON object may have on the wire (BSONObjMaxInternalSize): 16 MiB + 16 KiB. */
export const MAX_INTERNAL_BYTES = MAX_DOCUMENT_BYTES + 16 * 1024;

/** How a document came to be stored, which decides MongoDB's error for it. */
export type StoreKind = 'insert' | 'update' | 'upsert';

/**
 * Refuses a document MongoDB would not store, with MongoDB's error: deeper than 100 levels
 * (Overflow, 15), or larger than 16 MiB — an insert gets BadValue "object to insert too large"
 * (2), an update's result 17419, an upsert's 17420. The depth is measured first, without
 * recursion, so the size computation (which recurses) only ever sees bounded documents.
 */
export function checkStorable(doc: Document, kind: StoreKind): void {
  if (exceedsDepth(doc)) {
    throw new CommandError(
      'Overflow',
      kind === 'insert' ? `cannot insert document because it exceeds ${MAX_STORED_DEPTH} levels of nesting` : `Document exceeds maximum nesting depth of ${MAX_STORED_DEPTH}`,
    );
  }
  const size = BSON.calculateObjectSize(doc, SERIALIZE_OPTIONS);
  if (size <= MAX_DOCUMENT_BYTES) return;
  if (kind === 'insert') throw new CommandError('BadValue', `object to insert too large. size in bytes: ${size}, max size: ${MAX_DOCUMENT_BYTES}`);
  if (kind === 'upsert') throw new CommandError('Location17420', `Document to upsert is larger than ${MAX_DOCUMENT_BYTES}`);
  throw new CommandError('Location17419', `Resulting document after update is larger than ${MAX_DOCUMENT_BYTES}`);
}

/**
 * For an insert: a document over 16 MiB + 16 KiB is one MongoDB cannot even receive. Its wire
 * layer refuses the whole command with BSONObjectTooLarge (10334) before any document is
 * written, and so does this check, run before the insert touches anything.
 */
export function checkReceivable(docs: Document[], command: string, collection: string): void {
  for (const doc of docs) {
    if (exceedsDepth(doc)) continue; // refused per document with Overflow
    const size = BSON.calculateObjectSize(doc, SERIALIZE_OPTIONS);
    if (size > MAX_INTERNAL_BYTES) {
      throw new CommandError(
        'BSONObjectTooLarge',
        `BSONObj size: ${size} (0x${size.toString(16).toUpperCase()}) is invalid. Size must be between 0 and ${MAX_INTERNAL_BYTES}(16MB) First element: ${command}: ${JSON.stringify(collection)}`,
      );
    }
  }
}

/** MongoDB's E11000 error for a key value in an index. */
export function duplicateKeyError(coll: Collection, indexName: string, keyPattern: Document, keyValue: Document): CommandError {
  return new CommandError(
    'DuplicateKey',
    `E11000 duplicate key error collection: ${coll.db}.${coll.name} index: ${indexName} dup key: ${formatValue(keyValue)}`,
    { keyPattern, keyValue },
  );
}

/**
 * Validates and stores a new document; throws DuplicateKey if its `_id` or a unique key is taken.
 * In a capped collection the oldest documents then make room (capped.ts).
 */
export function insertDoc(ctx: CommandContext, coll: Collection, doc: Document, kind: 'insert' | 'upsert' = 'insert'): void {
  checkStorable(doc, kind);
  if (Array.isArray(doc._id) || doc._id instanceof RegExp) {
    throw new CommandError('BadValue', `can't use an array or regex for _id`);
  }
  checkIdField(doc._id);
  if (coll.byId(doc._id) !== undefined) throw duplicateKeyError(coll, ID_INDEX.name, { _id: 1 }, { _id: doc._id });
  storeChecked(ctx, coll, doc);
  // A capped collection drops its oldest documents in the same write (capped.ts).
  if (coll.capped) trimCapped(ctx, coll, doc);
}

/**
 * Stores a new version `doc` of the stored document `previous` (same `_id`) after the size and
 * depth checks (`checked`: already done by the caller) and the unique-index checks.
 */
export function storeDoc(ctx: CommandContext, coll: Collection, doc: Document, previous: Document, checked = false): void {
  if (!checked) checkStorable(doc, 'update');
  storeChecked(ctx, coll, doc, previous);
}

function storeChecked(ctx: CommandContext, coll: Collection, doc: Document, previous?: Document): void {
  checkValidation(coll, doc, previous, ctx.bypassDocumentValidation);
  const violation = coll.uniqueViolation(doc, previous);
  if (violation) throw duplicateKeyError(coll, violation.spec.name, violation.spec.key, violation.keyValue);
  ctx.apply({ op: 'put', db: coll.db, coll: coll.name, doc });
}

/** Removes a stored document. */
export function deleteDoc(ctx: CommandContext, coll: Collection, doc: Document): void {
  ctx.apply({ op: 'delete', db: coll.db, coll: coll.name, id: doc._id });
}

/** One entry of a reply's `writeErrors`. */
export function writeError(index: number, err: unknown): Document {
  const { errmsg, code, codeName, ...extra } = errorFields(err);
  return { index, code, codeName, errmsg, ...extra };
}
