/**
 * Update documents: mingo's update operators, plus the gaps this server fills itself —
 * replacement documents, the upsert seed built from the filter, `$setOnInsert` applied only
 * when inserting, and `$inc` / `$mul` with MongoDB's numeric types (update-numbers.ts; mingo
 * only does JS arithmetic).
 */
import { BSON, ObjectId, type Document } from 'bson';
import { updateOne, type Modifier } from 'mingo/updater';
import { CommandError } from './errors';
import { QUERY_OPTIONS } from './mingo-options';
import { addNumbers, describeId, numericUpdate } from './update-numbers';
import { deepCopy, exceedsDepth, getPath, isPlainObject, keyOf, MAX_STORED_DEPTH, setPath } from './values';

/**
 * Operator updates and filters nest a few levels around the values they store (`{$push: {a:
 * {$each: [...]}}}`), so they may be this much deeper than a storable document. Anything deeper
 * could only produce a document MongoDB refuses anyway, and is refused before it is copied or
 * handed to mingo, both of which recurse.
 */
const MAX_INPUT_DEPTH = MAX_STORED_DEPTH + 10;

function tooDeep(): CommandError {
  return new CommandError('Overflow', `Document exceeds maximum nesting depth of ${MAX_STORED_DEPTH}`);
}

/** True when `u` is an operator update (`{$set: ...}`), false for a replacement document. */
export function isOperatorUpdate(u: Document): boolean {
  const keys = Object.keys(u);
  return keys.length > 0 && keys[0].startsWith('$');
}

/** Rejects update forms this server does not support (pipelines, mixed documents). */
export function validateUpdate(u: unknown): asserts u is Document {
  if (Array.isArray(u)) throw new CommandError('NotImplemented', 'update pipelines are not supported by the embedded server');
  if (!isPlainObject(u)) throw new CommandError('FailedToParse', 'update must be an object');
  const keys = Object.keys(u);
  const ops = keys.filter((k) => k.startsWith('$')).length;
  if (ops > 0 && ops < keys.length) throw new CommandError('FailedToParse', 'update mixes operators and fields');
  if (exceedsDepth(u, ops > 0 ? MAX_INPUT_DEPTH : MAX_STORED_DEPTH)) throw tooDeep();
  // A dotted path creates one level per part.
  for (const k of keys) {
    const fields: unknown = u[k];
    if (ops > 0 && isPlainObject(fields) && Object.keys(fields).some((path) => path.split('.').length > MAX_INPUT_DEPTH)) throw tooDeep();
  }
}

/**
 * The new version of `doc` after `u`. `filter` is the statement's query (needed for the
 * positional `$` operator); `inserting` turns on `$setOnInsert`. `doc` is not modified.
 */
export function applyUpdate(doc: Document, u: Document, filter: Document, inserting: boolean, arrayFilters?: Document[]): Document {
  if (!isOperatorUpdate(u)) {
    if (u._id !== undefined && doc._id !== undefined && keyOf(u._id) !== keyOf(doc._id)) {
      throw new CommandError('ImmutableField', "After applying the update, the (immutable) field '_id' was found to have been altered");
    }
    const { _id: _ignored, ...rest } = u;
    return { _id: doc._id ?? u._id, ...deepCopy(rest) };
  }
  const ops: Document = { ...u };
  const setOnInsert: unknown = ops.$setOnInsert;
  delete ops.$setOnInsert;
  if (inserting && isPlainObject(setOnInsert)) ops.$set = { ...setOnInsert, ...(isPlainObject(ops.$set) ? ops.$set : {}) };
  const copy = deepCopy(doc);
  for (const op of ['$inc', '$mul'] as const) if (isPlainObject(ops[op])) ops[op] = typedArithmetic(copy, op, ops[op]);
  for (const k of Object.keys(ops)) {
    if (isPlainObject(ops[k]) && Object.keys(ops[k] as Document).length === 0) delete ops[k];
  }
  if (Object.keys(ops).length > 0) {
    const docs = [copy];
    // The seed of an upsert need not satisfy the filter's operators, so match it with {}.
    updateOne(docs, inserting ? {} : filter, ops as Modifier<Document>, { arrayFilters, cloneMode: 'deep' }, QUERY_OPTIONS);
    const out = docs[0];
    if (doc._id !== undefined && keyOf(out._id) !== keyOf(doc._id)) {
      throw new CommandError('ImmutableField', "Performing an update on the path '_id' would modify the immutable field '_id'");
    }
    return out;
  }
  return copy;
}

/** Operators the direct path handles. */
const SIMPLE_OPERATORS = new Set(['$set', '$unset', '$inc', '$setOnInsert']);

/**
 * The common update without mingo: `$set`, `$unset` and `$inc` (of plain numbers) on top-level
 * fields other than `_id`, on an existing document. Returns the new version — a shallow copy
 * that shares unchanged values with `doc` (stored documents are never changed in place) — and
 * whether anything changed; undefined for any other update, which `applyUpdate` handles.
 */
export function applySimpleUpdate(doc: Document, u: Document): { doc: Document; changed: boolean } | undefined {
  // An empty update document is a replacement by nothing.
  if (Object.keys(u).length === 0) return undefined;
  const seen = new Set<string>();
  for (const op of Object.keys(u)) {
    if (!SIMPLE_OPERATORS.has(op)) return undefined;
    const fields: unknown = u[op];
    if (!isPlainObject(fields)) return undefined;
    if (op === '$setOnInsert') continue;
    for (const [path, value] of Object.entries(fields)) {
      // Dotted paths, positional operators, _id and one path under two operators go the long way.
      if (path === '_id' || path.includes('.') || path.startsWith('$') || path === '' || seen.has(path)) return undefined;
      seen.add(path);
      if (op === '$inc') {
        const current: unknown = doc[path];
        if (typeof value !== 'number' || (current !== undefined && typeof current !== 'number')) return undefined;
      }
    }
  }
  const out: Document = { ...doc };
  let changed = false;
  for (const op of Object.keys(u)) {
    const fields = u[op] as Document;
    if (op === '$set') {
      for (const [path, value] of Object.entries(fields)) {
        if (!(path in doc) || !sameValue(doc[path], value)) changed = true;
        out[path] = value;
      }
    } else if (op === '$unset') {
      for (const path of Object.keys(fields)) {
        if (path in out) changed = true;
        delete out[path];
      }
    } else if (op === '$inc') {
      for (const [path, amount] of Object.entries(fields)) {
        const current = doc[path] as number | undefined;
        const next = addNumbers(current, amount as number);
        if (current === undefined || !Object.is(current, next)) changed = true;
        out[path] = next;
      }
    }
  }
  return { doc: out, changed };
}

/** Whether two values are the same BSON value (same type and content), as a byte comparison would say. */
function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return typeof a === typeof b && Object.is(a, b);
  const opts = { ignoreUndefined: true, checkKeys: false };
  return Buffer.from(BSON.serialize({ v: a }, opts)).equals(BSON.serialize({ v: b }, opts));
}

/**
 * Performs directly on `doc` the `$inc`s / `$mul`s whose result JS arithmetic would type wrongly
 * (a wrapper operand, an int overflowing into a long, a double result that looks integral), on
 * paths through plain objects; returns the rest for mingo, which reports the errors.
 */
function typedArithmetic(doc: Document, op: '$inc' | '$mul', fields: Document): Document {
  const rest: Document = {};
  for (const [path, amount] of Object.entries(fields)) {
    const current = plainPath(doc, path) ? getPath(doc, path) : null;
    const next = current === null ? undefined : numericUpdate(op, current, amount, () => describeId(doc._id));
    if (next === undefined || typeof next === 'number') rest[path] = amount;
    else setPath(doc, path, next);
  }
  return rest;
}

/** Whether `path` goes through plain objects only (or stops at a missing field): no arrays, no positional parts. */
function plainPath(doc: Document, path: string): boolean {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === undefined) return true;
    if (!isPlainObject(cur) || part === '' || part.startsWith('$')) return false;
    cur = cur[part];
  }
  return true;
}

/**
 * The document an upsert starts from: the filter's equality conditions (top level, `$eq`, and
 * inside a top-level `$and`), including `_id`, which mingo's `$set` would refuse to write.
 */
export function upsertSeed(filter: Document): Document {
  if (exceedsDepth(filter, MAX_INPUT_DEPTH) || Object.keys(filter).some((path) => path.split('.').length > MAX_INPUT_DEPTH)) throw tooDeep();
  const seed: Document = {};
  addEqualities(filter, seed);
  return seed;
}

function addEqualities(filter: Document, seed: Document): void {
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(cond)) {
      for (const part of cond) if (isPlainObject(part)) addEqualities(part, seed);
      continue;
    }
    if (key.startsWith('$') || cond instanceof RegExp) continue;
    if (isPlainObject(cond) && Object.keys(cond).some((k) => k.startsWith('$'))) {
      if ('$eq' in cond) setPath(seed, key, deepCopy(cond.$eq));
      continue;
    }
    setPath(seed, key, deepCopy(cond));
  }
}

/** A copy of `doc` with `_id` first, generating an ObjectId when it has none. */
export function withId(doc: Document): Document {
  const { _id, ...rest } = doc;
  return { _id: _id === undefined ? new ObjectId() : _id, ...rest };
}
