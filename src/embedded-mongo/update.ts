/**
 * Update documents: mingo's update operators, plus the gaps this server fills itself —
 * replacement documents, the upsert seed built from the filter, `$setOnInsert` applied only
 * when inserting, `$inc` / `$mul` with MongoDB's numeric types (update-numbers.ts; mingo only
 * does JS arithmetic), MongoDB's parse and type checks (update-check.ts), `$set` of an unchanged
 * `_id`, `$pull` with a query on the elements (`{$or: ...}`), and pipeline updates
 * (update-pipeline.ts).
 */
import { BSON, ObjectId, Timestamp, type Document } from 'bson';
import { Query } from './mingo-bson';
import { MingoError } from 'mingo/util';
import { updateOne, type Modifier } from 'mingo/updater';
import { CommandError, immutableId } from './errors';
import { QUERY_OPTIONS } from './mingo-options';
import { checkApplicable, checkOperatorUpdate } from './update-check';
import { addNumbers, describeId, numericUpdate } from './update-numbers';
import { applyPipeline, validatePipeline } from './update-pipeline';
import { plainPath, typedElementArithmetic, typedMinMax, type PathResolver } from './update-typed';
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

/** An update as a command carries it: operators, a replacement document, or a pipeline. */
export type UpdateSpec = Document | Document[];

/** True when `u` is an operator update (`{$set: ...}`), false for a replacement document. */
export function isOperatorUpdate(u: Document): boolean {
  const keys = Object.keys(u);
  return keys.length > 0 && keys[0].startsWith('$');
}

/**
 * Checks an update as MongoDB parses it, before any document is matched: a pipeline's stages,
 * an operator update's modifiers and paths (update-check.ts), and the depth of both forms.
 */
export function validateUpdate(u: unknown): asserts u is UpdateSpec {
  if (Array.isArray(u)) {
    if (exceedsDepth(u, MAX_INPUT_DEPTH)) throw tooDeep();
    validatePipeline(u);
    return;
  }
  if (!isPlainObject(u)) throw new CommandError('FailedToParse', 'Update argument must be either an object or an array');
  const keys = Object.keys(u);
  // As in MongoDB, the first field decides: an operator update, or a replacement document.
  const ops = isOperatorUpdate(u);
  if (exceedsDepth(u, ops ? MAX_INPUT_DEPTH : MAX_STORED_DEPTH)) throw tooDeep();
  // A dotted path creates one level per part.
  for (const k of keys) {
    const fields: unknown = u[k];
    if (ops && isPlainObject(fields) && Object.keys(fields).some((path) => path.split('.').length > MAX_INPUT_DEPTH)) throw tooDeep();
  }
  if (ops) return checkOperatorUpdate(u);
  const dollar = keys.find((k) => k.startsWith('$'));
  if (dollar !== undefined) {
    throw new CommandError(
      'DollarPrefixedFieldName',
      `The dollar ($) prefixed field '${dollar}' in '${dollar}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
    );
  }
  checkIdField(u._id);
}

/**
 * MongoDB refuses an `_id` holding a `$`-prefixed field name at any depth (DollarPrefixedFieldName,
 * 52), on insert and replacement alike; elsewhere such names are allowed since 5.0.
 */
export function checkIdField(id: unknown): void {
  const bad = dollarField(id, 0);
  if (bad !== undefined) throw new CommandError('DollarPrefixedFieldName', `_id fields may not contain '$'-prefixed fields: ${bad} is not valid for storage.`);
}

function dollarField(value: unknown, depth: number): string | undefined {
  if (depth > MAX_INPUT_DEPTH) return undefined;
  const children = Array.isArray(value) ? value : isPlainObject(value) ? Object.entries(value) : undefined;
  if (!children) return undefined;
  for (const child of children) {
    if (Array.isArray(value)) {
      const found = dollarField(child, depth + 1);
      if (found !== undefined) return found;
      continue;
    }
    const [key, nested] = child as [string, unknown];
    if (key.startsWith('$')) return key;
    const found = dollarField(nested, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The new version of `doc` after `u`. `filter` is the statement's query (needed for the
 * positional `$` operator); `inserting` turns on `$setOnInsert`; `variables` are a pipeline's
 * `let`/`c` values. `doc` is not modified.
 */
export function applyUpdate(doc: Document, u: UpdateSpec, filter: Document, inserting: boolean, arrayFilters?: Document[], variables?: Document): Document {
  if (Array.isArray(u)) return applyPipeline(doc, u, variables);
  if (!isOperatorUpdate(u)) return replaced(doc, u);
  const copy = deepCopy(doc);
  // The seed of an upsert need not satisfy the filter's operators, so match it with {}.
  const condition = inserting ? {} : filter;
  const resolve = (path: string): string[] => concretePaths(copy, path, condition, arrayFilters);
  const ops = asMongoErrors(() => applyDirectly(copy, u, inserting, resolve));
  if (Object.keys(ops).length === 0) return copy;
  const out = asMongoErrors(() => applyWithMingo(copy, ops, condition, arrayFilters));
  if (doc._id !== undefined && keyOf(out._id) !== keyOf(doc._id)) {
    throw immutableId();
  }
  return out;
}

/** `doc` replaced by the replacement document `u`, keeping its `_id`. */
function replaced(doc: Document, u: Document): Document {
  if (u._id !== undefined && doc._id !== undefined && keyOf(u._id) !== keyOf(doc._id)) {
    throw new CommandError('ImmutableField', "After applying the update, the (immutable) field '_id' was found to have been altered");
  }
  const { _id: _ignored, ...rest } = u;
  return { _id: doc._id ?? u._id, ...deepCopy(rest) };
}

/**
 * Checks the operator update `u` against `copy` (MongoDB's apply-time errors) and performs on
 * `copy` the parts mingo lacks or gets wrong; returns the operators left for mingo (empty ones
 * dropped). `$setOnInsert` becomes part of `$set` when inserting and is dropped otherwise.
 */
function applyDirectly(copy: Document, u: Document, inserting: boolean, resolve: PathResolver): Document {
  const ops: Document = { ...u };
  const setOnInsert: unknown = ops.$setOnInsert;
  delete ops.$setOnInsert;
  if (inserting && isPlainObject(setOnInsert)) ops.$set = { ...setOnInsert, ...(isPlainObject(ops.$set) ? ops.$set : {}) };
  checkApplicable(copy, ops);
  if (isPlainObject(ops.$set) && '_id' in ops.$set) ops.$set = setId(copy, ops.$set);
  refuseDollarPaths(ops, inserting);
  if (inserting && isPlainObject(ops.$set)) ops.$set = setDollarFields(copy, ops.$set);
  for (const op of ['$inc', '$mul'] as const) if (isPlainObject(ops[op])) ops[op] = typedArithmetic(copy, op, ops[op], resolve);
  for (const op of ['$min', '$max'] as const) if (isPlainObject(ops[op])) ops[op] = typedMinMax(copy, op, ops[op], resolve);
  if (isPlainObject(ops.$pull)) ops.$pull = pullMatching(copy, ops.$pull);
  if (isPlainObject(ops.$push)) createPushTargets(copy, ops.$push);
  if (isPlainObject(ops.$currentDate)) ops.$set = { ...(isPlainObject(ops.$set) ? ops.$set : {}), ...currentDates(ops.$currentDate) };
  delete ops.$currentDate;
  for (const k of Object.keys(ops)) {
    if (isPlainObject(ops[k]) && Object.keys(ops[k] as Document).length === 0) delete ops[k];
  }
  return ops;
}

/** `copy` after mingo's update operators `ops`. */
function applyWithMingo(copy: Document, ops: Document, condition: Document, arrayFilters: Document[] | undefined): Document {
  const docs = [copy];
  updateOne(docs, condition, forMingo(copy, ops, condition, arrayFilters) as Modifier<Document>, { arrayFilters, cloneMode: 'deep' }, QUERY_OPTIONS);
  return docs[0];
}

/** Runs `fn`, turning a refusal by mingo into MongoDB's error (mingoUpdateError). */
function asMongoErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw err instanceof MingoError ? mingoUpdateError(err) : err;
  }
}

/**
 * `$set` of `_id` (which mingo refuses): to the value it has is no change, as in MongoDB; on a
 * document without one (an upsert's seed) it sets it; any other value is ImmutableField (66).
 * Returns the rest of `$set`.
 */
function setId(doc: Document, set: Document): Document {
  const { _id: id, ...rest } = set;
  if (doc._id === undefined) doc._id = deepCopy(id);
  else if (keyOf(id) !== keyOf(doc._id)) throw immutableId();
  return rest;
}

/**
 * A refusal by mingo's updater as MongoDB words it: the positional operator without its array in
 * the query is BadValue (2), a change of `_id` ImmutableField (66); anything else mingo refuses
 * in an update is bad input too (BadValue with mingo's message), never an internal error.
 */
function mingoUpdateError(err: Error): CommandError {
  if (err.message.includes("for '.$' as part of the query document")) {
    return new CommandError('BadValue', 'The positional operator did not find the match needed from the query.');
  }
  if (err.message.includes("immutable field '_id'")) {
    return immutableId();
  }
  return new CommandError('BadValue', err.message);
}

/**
 * `$currentDate` as `$set`s: mingo writes a number for `{$type: 'timestamp'}`, MongoDB a BSON
 * Timestamp (seconds, and an increment); a boolean or `{$type: 'date'}` is the current Date.
 */
function currentDates(spec: Document): Document {
  const now = new Date();
  const set: Document = {};
  for (const [path, type] of Object.entries(spec)) {
    set[path] = isPlainObject(type) && type.$type === 'timestamp' ? new Timestamp({ t: Math.floor(now.getTime() / 1000), i: 1 }) : now;
  }
  return set;
}

/**
 * A `$push` with modifiers (`$each` with `$sort`/`$slice`/`$position`) onto a missing field:
 * mingo stores `$each` as it is, MongoDB applies the modifiers to it. Starting from an empty
 * array makes mingo apply them. Plain paths only (positional ones are mingo's as before).
 */
function createPushTargets(doc: Document, push: Document): void {
  for (const [path, spec] of Object.entries(push)) {
    if (path.includes('$') || !isPlainObject(spec) || !('$each' in spec)) continue;
    if (getPath(doc, path) === undefined) setPath(doc, path, []);
  }
}

/** Whether a path's first part is a `$`-prefixed field name (`$hotel`, `$hotel.x`). */
function dollarPath(path: string): boolean {
  return path.startsWith('$');
}

/**
 * MongoDB (5.0+) lets an operator update write a top-level `$`-prefixed field only into a document
 * an upsert inserts (validated as an insert); on an existing document it is DollarPrefixedFieldName (52).
 */
function refuseDollarPaths(ops: Document, inserting: boolean): void {
  for (const [op, fields] of Object.entries(ops)) {
    if (inserting && op === '$set') continue;
    const path = Object.keys(fields as Document).find(dollarPath);
    if (path !== undefined) {
      const field = path.split('.')[0];
      throw new CommandError(
        'DollarPrefixedFieldName',
        `The dollar ($) prefixed field '${field}' in '${path}' is not allowed in the context of an update's replacement document. Consider using an aggregation pipeline with $replaceWith.`,
      );
    }
  }
}

/** Writes an upsert's `$set` of top-level `$`-prefixed fields (which mingo refuses) directly; returns the rest. */
function setDollarFields(doc: Document, set: Document): Document {
  if (!Object.keys(set).some(dollarPath)) return set;
  const rest: Document = {};
  for (const [path, value] of Object.entries(set)) {
    if (dollarPath(path)) setPath(doc, path, deepCopy(value));
    else rest[path] = value;
  }
  return rest;
}

/**
 * Query operators that MongoDB's `$pull` applies to the element itself (path-accepting ones);
 * a condition starting with anything else (`$or`, `$and`, a field name) is a query on the
 * element as a document (pull_node.cpp's ObjectMatcher).
 */
const ELEMENT_OPERATORS = new Set(['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$type', '$size', '$all', '$mod', '$regex', '$options', '$not', '$elemMatch', '$bitsAllSet', '$bitsAllClear', '$bitsAnySet', '$bitsAnyClear']);

/**
 * Performs the `$pull`s mingo gets wrong directly on `doc` — a document condition holding an
 * operator (`{$or: [...]}`), which mingo applies to the element wrapped in another document —
 * removing the array elements that are documents matching it, as MongoDB does. Returns the
 * remaining `$pull`s for mingo. A positional path with such a condition is refused.
 */
function pullMatching(doc: Document, pull: Document): Document {
  const rest: Document = {};
  for (const [path, cond] of Object.entries(pull)) {
    if (!isPlainObject(cond) || !Object.keys(cond).some((k) => k.startsWith('$')) || ELEMENT_OPERATORS.has(Object.keys(cond)[0])) {
      rest[path] = cond;
      continue;
    }
    if (path.includes('$')) throw new CommandError('NotImplemented', `$pull with a document condition using ${Object.keys(cond).join(', ')} on a positional path ('${path}') is not supported by the embedded server`);
    const current = getPath(doc, path);
    if (!Array.isArray(current)) continue;
    const query = pullQuery(cond as Document);
    const kept = current.filter((el) => !(isPlainObject(el) && query.test(el)));
    if (kept.length !== current.length) setPath(doc, path, kept);
  }
  return rest;
}

/** `$pull` conditions compiled once per statement (the same object for every document it updates). */
const pullQueries = new WeakMap<Document, Query>();

function pullQuery(cond: Document): Query {
  let query = pullQueries.get(cond);
  if (!query) pullQueries.set(cond, (query = new Query(cond, QUERY_OPTIONS)));
  return query;
}

/** Whether a path part is a positional operator: `$`, `$[]` or `$[identifier]`. */
function isPositional(part: string): boolean {
  return part === '$' || (part.startsWith('$[') && part.endsWith(']'));
}

/** A value no client can send, set by the probe that finds the elements a positional part picks. */
const PROBE = '\u0000embedded-mongo positional probe';

/**
 * The update as mingo can apply it. mingo takes every path with a positional part (`arr.$.a`) as
 * its array (`arr`), and so reports siblings like `arr.$.a` and `arr.$.b` as a conflict; MongoDB
 * does not (real conflicts were refused by checkOperatorUpdate). Such siblings are rewritten to
 * the concrete elements the positional part picks in `doc` (found by letting mingo set a probe
 * value there), all chosen before anything changes, as in MongoDB. Any other update is unchanged.
 */
function forMingo(doc: Document, ops: Document, condition: Document, arrayFilters: Document[] | undefined): Document {
  const selectors = new Map<string, number>();
  for (const fields of Object.values(ops)) {
    for (const path of Object.keys(fields as Document)) {
      const parts = path.split('.');
      const p = parts.findIndex(isPositional);
      if (p < 0) continue;
      const selector = parts.slice(0, p).join('.');
      selectors.set(selector, (selectors.get(selector) ?? 0) + 1);
    }
  }
  if (![...selectors.values()].some((count) => count > 1)) return ops;
  const out: Document = {};
  for (const [op, fields] of Object.entries(ops)) {
    const rewritten: Document = {};
    for (const [path, value] of Object.entries(fields as Document)) {
      for (const concrete of concretePaths(doc, path, condition, arrayFilters)) rewritten[concrete] = value;
    }
    out[op] = rewritten;
  }
  return out;
}

/** The element paths a path with one positional part stands for in `doc` (itself if it has none). */
function concretePaths(doc: Document, path: string, condition: Document, arrayFilters: Document[] | undefined): string[] {
  const parts = path.split('.');
  const p = parts.findIndex(isPositional);
  if (p < 0) return [path];
  if (parts.slice(p + 1).some(isPositional)) {
    throw new CommandError('NotImplemented', `the update path '${path}' (several positional parts, next to a sibling path on the same array) is not supported by the embedded server`);
  }
  const prefix = parts.slice(0, p).join('.');
  const probe = [deepCopy(doc)];
  updateOne(probe, condition, { $set: { [parts.slice(0, p + 1).join('.')]: PROBE } } as Modifier<Document>, { arrayFilters, cloneMode: 'deep' }, QUERY_OPTIONS);
  const elements = getPath(probe[0], prefix);
  if (!Array.isArray(elements)) return [];
  const rest = parts.slice(p + 1);
  const paths: string[] = [];
  elements.forEach((element, i) => {
    if (element === PROBE) paths.push([prefix, String(i), ...rest].join('.'));
  });
  return paths;
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
 * paths through plain objects, and on array / positional paths when a wrapper is involved
 * (update-typed.ts); returns the rest for mingo, which reports the errors.
 */
function typedArithmetic(doc: Document, op: '$inc' | '$mul', fields: Document, resolve: PathResolver): Document {
  const rest: Document = {};
  for (const [path, amount] of Object.entries(fields)) {
    const plain = plainPath(doc, path);
    if (!plain && typedElementArithmetic(doc, op, path, amount, resolve)) continue;
    const current = plain ? getPath(doc, path) : null;
    const next = current === null ? undefined : numericUpdate(op, current, amount, () => describeId(doc._id));
    if (next === undefined || typeof next === 'number') rest[path] = amount;
    else setPath(doc, path, next);
  }
  return rest;
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
