/**
 * Capped collections, as MongoDB 7.0 makes them: `create` with `capped: true` and `size`
 * (bytes, rounded up to a multiple of 256) and optionally `max` (documents). Every insert that
 * takes the collection over either bound removes the oldest documents (natural order) until it
 * is within both again, never the document just inserted, as part of the same write: the
 * removals are ordinary `delete` mutations (ctx.apply), so the journal replays them and a
 * restart sees the same documents. Updates and deletes are allowed (MongoDB 5.3+ lets an update
 * change a document's size); like MongoDB, only inserts trim.
 *
 * The bound costs O(removed) per insert: the collection keeps a running total of its documents'
 * BSON sizes (collection.ts), and the size of a stored document (never changed in place) is
 * computed once and remembered here.
 */
import { BSON, type Document } from 'bson';
import { SERIALIZE_OPTIONS } from './bson-options';
import { decimalAsNumber, isNumericWrapper } from './bson-numbers';
import type { Collection } from './collection';
import { CommandError } from './errors';
import type { Mutation } from './storage/persistence';

/** A capped collection's options as listCollections shows them. */
export interface CappedOptions {
  capped: true;
  /** Bytes, a multiple of 256. */
  size: number;
  /** Documents; absent: no limit. */
  max?: number;
}

/** MongoDB's largest `size`: 1 PB. */
const MAX_CAPPED_SIZE = 1125899906842624;
/** `max` must be below 2^31; zero or negative means "no limit", stored as 2^31 - 1. */
const MAX_CAPPED_DOCS = 2147483647;

/** The IDL type name MongoDB uses in a "wrong type" error. */
function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return 'object';
}

/** A number, or a numeric BSON wrapper's value; undefined for anything else. */
function numberOf(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (!isNumericWrapper(v)) return undefined;
  if (v._bsontype === 'Decimal128') return decimalAsNumber(v) ?? Number(v.toString());
  return Number(v.valueOf());
}

/** `create.capped` (IDL safeBool: a bool or a number, non-zero is true); null is absent. */
function cappedFlag(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v === 'boolean') return v;
  const n = numberOf(v);
  if (n === undefined) throw new CommandError('TypeMismatch', `BSON field 'create.capped' is the wrong type '${typeName(v)}', expected types '[bool, long, int, decimal, double']`);
  return n !== 0;
}

/** `create.size` / `create.max` (IDL safeInt64); null is absent. MongoDB's message has the stray quote too. */
function int64Field(field: 'size' | 'max', v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = numberOf(v);
  if (n === undefined) throw new CommandError('TypeMismatch', `BSON field 'create.${field}' is the wrong type '${typeName(v)}', expected types '[long, int, decimal, double']`);
  return Number.isNaN(n) ? 0 : Math.trunc(n);
}

/** MongoDB's IDL validator failure (51024). */
function outOfRange(field: string, rule: string, value: number): CommandError {
  return new CommandError('Location51024', `BSON field '${field}' value must be ${rule}, actual value '${value}'`);
}

/**
 * The capped options `create` asks for (undefined: not capped), checked in MongoDB's order: the
 * types and ranges of `capped`, `size` (1 to 1 PB) and `max` (below 2^31), then `size` required
 * with `capped`, then `capped` required with `size` or `max` (InvalidOptions, 72).
 */
export function parseCappedOptions(cmd: Document): CappedOptions | undefined {
  const capped = cappedFlag(cmd.capped);
  const size = int64Field('size', cmd.size);
  if (size !== undefined && size < 1) throw outOfRange('size', '>= 1', size);
  if (size !== undefined && size > MAX_CAPPED_SIZE) throw outOfRange('size', `<= ${MAX_CAPPED_SIZE}`, size);
  const max = int64Field('max', cmd.max);
  if (max !== undefined && max > MAX_CAPPED_DOCS) throw outOfRange('max', '< 2147483648', max);
  if (capped && size === undefined) throw new CommandError('InvalidOptions', "the 'size' field is required when 'capped' is true");
  if ((size !== undefined || max !== undefined) && !capped) {
    throw new CommandError('InvalidOptions', "the 'capped' field needs to be true when either the 'size' or 'max' fields are present");
  }
  if (!capped || size === undefined) return undefined;
  // CollectionOptions::fromCreateCommand: size rounded up to 256 bytes; max <= 0 means none.
  const out: CappedOptions = { capped: true, size: Math.ceil(size / 256) * 256 };
  if (max !== undefined) out.max = max <= 0 ? MAX_CAPPED_DOCS : max;
  return out;
}

/** BSON sizes of stored documents, computed once each (stored documents never change). */
const sizes = new WeakMap<Document, number>();

/** A stored document's BSON size in bytes, as MongoDB's dataSize counts it. */
export function storedSize(doc: Document): number {
  let n = sizes.get(doc);
  if (n === undefined) sizes.set(doc, (n = BSON.calculateObjectSize(doc, SERIALIZE_OPTIONS)));
  return n;
}

/** What trimming needs of the write path: how to apply a mutation (CommandContext). */
interface Applier {
  apply(m: Mutation): void;
}

/**
 * After `inserted` was stored in a capped collection: removes the oldest documents until the
 * collection is within its size and count bounds, never `inserted` itself (MongoDB's
 * _cappedDeleteAsNeeded). Each removal goes through `ctx.apply`, so it is journaled.
 */
export function trimCapped(ctx: Applier, coll: Collection, inserted: Document): void {
  while (coll.overCap()) {
    const oldest = coll.oldest();
    if (oldest === undefined || oldest === inserted) return;
    ctx.apply({ op: 'delete', db: coll.db, coll: coll.name, id: oldest._id });
  }
}
