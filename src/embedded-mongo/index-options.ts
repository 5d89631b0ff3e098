/**
 * Index specifications as createIndexes receives them: validated the way MongoDB 7.0 validates
 * them (index_key_validate.cpp, index_catalog_impl.cpp `_isSpecOk`, create_indexes.cpp), turned
 * into an IndexSpec, and shown again by listIndexes. Nothing is dropped silently:
 *
 * - acted on: `key` (1 / -1), `name`, `unique`, `sparse`, `partialFilterExpression`
 *   (partial-index.ts), `expireAfterSeconds` (ttl.ts), `hidden` (planner skips it);
 *   `collation` is accepted here and handled by the collation code;
 * - accepted as MongoDB 4.2+ does without effect, kept and echoed: `v`, `background`,
 *   `dropDups`, `storageEngine`, and options that only mean something to text or geo indexes
 *   (`default_language`, `language_override`, `textIndexVersion`, `2dsphereIndexVersion`,
 *   `bits`, `min`, `max`, `coarsestIndexedLevel`, `finestIndexedLevel`), after MongoDB's type checks;
 * - refused because the embedded server cannot build them: key types `text`, `2d`, `2dsphere`,
 *   `hashed`, wildcard `$**`, and `prepareUnique`, `clustered`, `originalSpec` — CannotCreateIndex
 *   (67) naming the type or option;
 * - refused as MongoDB refuses them: unknown fields (InvalidIndexSpecificationOption, 197),
 *   `weights` without a text key (67), `wildcardProjection` without a wildcard key (BadValue 2),
 *   bad TTL values and compound TTL indexes (67), `_id` index options (197), wrong types (14).
 */
import type { Document } from 'bson';
import { isNumericWrapper } from './bson-numbers';
import { parseCollation } from './collation';
import { CommandError, type CodeName } from './errors';
import { validatePartialFilter } from './partial-index';
import type { IndexSpec } from './storage/persistence';
import { formatValue, isPlainObject, truthy } from './values';

/** Every field MongoDB 7.0 allows in an index specification (index_key_validate.h `allowedFieldNames`). */
const ALLOWED_FIELDS = new Set([
  'key', 'name', 'v', 'ns', '_id', 'unique', 'sparse', 'background', 'dropDups', 'hidden', 'collation',
  'partialFilterExpression', 'expireAfterSeconds', 'storageEngine', 'wildcardProjection', 'weights',
  'default_language', 'language_override', 'textIndexVersion', '2dsphereIndexVersion', 'bits', 'min', 'max',
  'coarsestIndexedLevel', 'finestIndexedLevel', 'prepareUnique', 'clustered', 'originalSpec',
  'columnstoreProjection', 'columnstoreCompressor',
]);
/** The only fields an `_id` index specification may have (allowedIdIndexFieldNames). */
const ID_INDEX_FIELDS = new Set(['key', 'name', 'v', 'ns', '_id', 'collation']);
/** Boolean-like options (a number or a boolean, as MongoDB checks them). */
const BOOL_FIELDS = ['unique', 'sparse', 'background', 'dropDups', 'prepareUnique'];
/** Options that must be strings / numbers when present; inert on an ordered index, kept and echoed. */
const STRING_FIELDS = ['default_language', 'language_override'];
const NUMBER_FIELDS = ['textIndexVersion', '2dsphereIndexVersion', 'bits', 'min', 'max', 'coarsestIndexedLevel', 'finestIndexedLevel'];
/** Accepted without effect, kept for listIndexes. */
const ECHOED_FIELDS = ['background', 'dropDups', 'storageEngine', ...STRING_FIELDS, ...NUMBER_FIELDS];
/** Index options MongoDB has that the embedded server does not implement. */
const UNSUPPORTED_OPTIONS = ['prepareUnique', 'clustered', 'originalSpec', 'columnstoreProjection', 'columnstoreCompressor'];
/** Index types (string key values) MongoDB has that the embedded server does not build. */
const UNSUPPORTED_TYPES = new Set(['text', '2d', '2dsphere', 'hashed', 'geoHaystack', 'columnstore']);

/** MongoDB's name for a value's BSON type, for TypeMismatch messages. */
function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'double';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'object') return isPlainObject(v) ? 'object' : ((v as { _bsontype?: string })._bsontype ?? 'object');
  return typeof v;
}

/** An error about the spec, with MongoDB's "Error in specification … :: caused by ::" context. */
function specError(code: CodeName, raw: Document, reason: string): CommandError {
  return new CommandError(code, `Error in specification ${formatValue(raw)} :: caused by :: ${reason}`);
}

/**
 * Validates one entry of createIndexes' `indexes` and returns its IndexSpec, or throws
 * MongoDB's error for it (see the module comment). The index's `collation` (else the
 * collection's default, `defaultCollation`) is checked by collation.ts and kept in full.
 */
export function parseIndexSpec(raw: unknown, defaultCollation?: Document): IndexSpec {
  if (!isPlainObject(raw)) throw new CommandError('TypeMismatch', `The field 'indexes' must be an array of objects, but one entry is ${typeName(raw)}`);
  checkTtl(raw);
  for (const field of Object.keys(raw)) {
    if (!ALLOWED_FIELDS.has(field)) {
      throw specError('InvalidIndexSpecificationOption', raw, `The field '${field}' is not valid for an index specification. Specification: ${formatValue(raw)}`);
    }
  }
  const key = parseKey(raw);
  const name = parseName(raw, key);
  checkTypes(raw);
  const spec: IndexSpec = { name, key };
  if (truthy(raw.unique)) spec.unique = true;
  if (truthy(raw.sparse)) spec.sparse = true;
  if (raw.hidden === true) spec.hidden = true;
  if (raw.expireAfterSeconds !== undefined) spec.expireAfterSeconds = Number(raw.expireAfterSeconds);
  if (raw.partialFilterExpression !== undefined) {
    if (spec.sparse) throw new CommandError('CannotCreateIndex', 'cannot mix "partialFilterExpression" and "sparse" options');
    validatePartialFilter(raw.partialFilterExpression);
    spec.partialFilterExpression = raw.partialFilterExpression as Document;
  }
  const collation = raw.collation === undefined ? defaultCollation : parseCollation(raw.collation)?.spec;
  if (collation !== undefined) spec.collation = collation;
  const options = echoedOptions(raw);
  if (options) spec.options = options;
  return spec;
}

/** The TTL checks createIndexes makes first (index_key_validate::validateIndexSpecTTL). */
function checkTtl(raw: Document): void {
  if (!('expireAfterSeconds' in raw)) return;
  const v: unknown = raw.expireAfterSeconds;
  const context = `. Index spec: ${formatValue(raw)} :: caused by :: `;
  let reason: string | undefined;
  const n = typeof v === 'number' ? v : isNumericWrapper(v) ? Number(v) : undefined;
  if (n === undefined) reason = `TTL index 'expireAfterSeconds' option must be numeric, but received a type of '${typeName(v)}'`;
  else if (Number.isNaN(n)) reason = "TTL index 'expireAfterSeconds' option must not be NaN";
  else if (Math.trunc(n) > 2147483647 || Math.trunc(n) < -2147483648) reason = "TTL index 'expireAfterSeconds' must be within the range of a 32-bit integer";
  else if (n < 0 && Math.trunc(n) < 0) reason = "TTL index 'expireAfterSeconds' option cannot be less than 0";
  if (reason) throw new CommandError('CannotCreateIndex', context + reason);
  if (isPlainObject(raw.key) && Object.keys(raw.key).length !== 1) {
    throw new CommandError('CannotCreateIndex', `TTL indexes are single-field indexes, compound indexes do not support TTL. Index spec: ${formatValue(raw)}`);
  }
}

/** The key pattern: ascending / descending fields only; other index types are refused by name. */
function parseKey(raw: Document): Record<string, 1 | -1> {
  const k: unknown = raw.key;
  if (k === undefined) throw specError('FailedToParse', raw, "The 'key' field is a required property of an index specification");
  if (!isPlainObject(k)) throw specError('TypeMismatch', raw, `The field 'key' must be an object, but got ${typeName(k)}`);
  const fields = Object.keys(k);
  if (fields.length === 0) throw new CommandError('CannotCreateIndex', 'Index keys cannot be empty.');
  const key: Record<string, 1 | -1> = {};
  for (const field of fields) {
    const dir: unknown = k[field];
    const bad = (reason: string) => new CommandError('CannotCreateIndex', `bad index key pattern ${formatValue(k)}: ${reason}`);
    if (typeof dir === 'string') {
      if (dir === '') throw new CommandError('CannotCreateIndex', 'Values in the index key pattern cannot be empty strings');
      if (UNSUPPORTED_TYPES.has(dir)) throw new CommandError('CannotCreateIndex', `index type '${dir}' (on '${field}') is not supported by the embedded server: only ascending (1) and descending (-1) indexes exist here`);
      throw bad(`Unknown index plugin '${dir}'`);
    }
    if (field === '$**' || field.endsWith('.$**')) throw new CommandError('CannotCreateIndex', `wildcard indexes ('${field}') are not supported by the embedded server`);
    if (typeof dir !== 'number') throw bad(`Values in v:2 index key pattern cannot be of type ${typeName(dir)}. Only numbers > 0, numbers < 0, and strings are allowed.`);
    if (Number.isNaN(dir)) throw bad('Values in the index key pattern cannot be NaN.');
    if (dir === 0) throw bad('Values in the index key pattern cannot be 0.');
    if (dir !== 1 && dir !== -1) throw new CommandError('CannotCreateIndex', `index key value ${dir} on '${field}' is not supported by the embedded server (only 1 / -1)`);
    if (field.split('.').some((p) => p === '')) throw bad('Index keys cannot contain an empty field.');
    if (field.split('.').some((p) => p.startsWith('$'))) throw bad("Index key contains an illegal field name: field name starts with '$'.");
    key[field] = dir;
  }
  return key;
}

/** The index name, required and checked as MongoDB does; `_id` key patterns get the `_id` index rules. */
function parseName(raw: Document, key: Record<string, 1 | -1>): string {
  const name: unknown = raw.name;
  if (name === undefined) throw specError('FailedToParse', raw, "The 'name' field is a required property of an index specification");
  if (typeof name !== 'string') throw specError('TypeMismatch', raw, `The field 'name' must be a string, but got ${typeName(name)}`);
  const isIdPattern = Object.keys(key).length === 1 && key._id === 1;
  if (isIdPattern) {
    for (const field of Object.keys(raw)) {
      if (!ID_INDEX_FIELDS.has(field)) {
        throw new CommandError('InvalidIndexSpecificationOption', `The field '${field}' is not valid for an _id index specification. Specification: ${formatValue(raw)}`);
      }
    }
  } else if (name === '_id_') {
    throw new CommandError('BadValue', `The index name '_id_' is reserved for the _id index, which must have key pattern {_id: 1}, found ${formatValue(key)}`);
  }
  if (name === '*') throw new CommandError('BadValue', "The index name '*' is not valid.");
  if (name === '') throw new CommandError('CannotCreateIndex', 'index name cannot be empty');
  if (name.includes('\0')) throw new CommandError('CannotCreateIndex', 'index name cannot contain NUL bytes');
  return name;
}

/** MongoDB's per-field type checks, and the options refused here by name. */
function checkTypes(raw: Document): void {
  const mismatch = (field: string, what: string) => specError('TypeMismatch', raw, `The field '${field}' must be ${what}, but got ${typeName(raw[field])}`);
  for (const field of BOOL_FIELDS) {
    const v: unknown = raw[field];
    if (v !== undefined && typeof v !== 'boolean' && typeof v !== 'number') {
      throw specError('TypeMismatch', raw, `The field '${field} has value ${field}: ${formatValue(v)}, which is not convertible to bool`);
    }
  }
  if (raw.hidden !== undefined && typeof raw.hidden !== 'boolean') throw mismatch('hidden', 'a bool');
  if (raw.v !== undefined) {
    if (typeof raw.v !== 'number') throw mismatch('v', 'a number');
    if (raw.v !== 1 && raw.v !== 2) throw new CommandError('CannotCreateIndex', `Invalid index specification ${formatValue(raw)}; cannot create an index with v=${raw.v}`);
  }
  if (raw.collation !== undefined && !isPlainObject(raw.collation)) throw mismatch('collation', 'an object');
  for (const field of STRING_FIELDS) if (raw[field] !== undefined && typeof raw[field] !== 'string') throw mismatch(field, 'a string');
  for (const field of NUMBER_FIELDS) if (raw[field] !== undefined && typeof raw[field] !== 'number') throw mismatch(field, 'a number');
  if (raw.weights !== undefined) {
    throw new CommandError('CannotCreateIndex', `Invalid index specification ${formatValue(raw)}; the field 'weights' can only be specified with text indexes`);
  }
  if (raw.wildcardProjection !== undefined) throw specError('BadValue', raw, "The field 'wildcardProjection' is only allowed in 'wildcard' indexes");
  if (raw.storageEngine !== undefined) {
    if (!isPlainObject(raw.storageEngine)) throw new CommandError('CannotCreateIndex', '"storageEngine" options must be a document if present');
    if (Object.keys(raw.storageEngine).length === 0) throw new CommandError('CannotCreateIndex', 'Empty "storageEngine" options are invalid. Please remove the field or include valid options.');
  }
  for (const field of UNSUPPORTED_OPTIONS) {
    if (raw[field] !== undefined && (field !== 'prepareUnique' || truthy(raw[field]))) {
      throw new CommandError('CannotCreateIndex', `the index option '${field}' is not supported by the embedded server`);
    }
  }
}

/** The accepted-without-effect options, as given (undefined when there are none). */
function echoedOptions(raw: Document): Document | undefined {
  let out: Document | undefined;
  for (const field of ECHOED_FIELDS) {
    if (raw[field] !== undefined) (out ??= {})[field] = raw[field];
  }
  if (raw.v === 1) (out ??= {}).v = 1;
  return out;
}

/** An index as listIndexes shows it: what was asked for, with `v` (2 unless 1 was asked for). */
export function indexInfo(spec: IndexSpec): Document {
  const { v, ...echoed } = spec.options ?? {};
  const out: Document = { v: v ?? 2, key: spec.key, name: spec.name };
  if (spec.unique) out.unique = true;
  if (spec.sparse) out.sparse = true;
  if (spec.hidden) out.hidden = true;
  if (spec.partialFilterExpression) out.partialFilterExpression = spec.partialFilterExpression;
  if (spec.expireAfterSeconds !== undefined) out.expireAfterSeconds = spec.expireAfterSeconds;
  if (spec.collation) out.collation = spec.collation;
  return Object.assign(out, echoed);
}

/** Whether two specs describe the same index (same key, options and partial filter): a repeated createIndexes is then a no-op. */
export function sameIndexOptions(a: IndexSpec, b: IndexSpec): boolean {
  return (
    JSON.stringify(a.key) === JSON.stringify(b.key) &&
    !!a.unique === !!b.unique &&
    !!a.sparse === !!b.sparse &&
    !!a.hidden === !!b.hidden &&
    ttlOf(a) === ttlOf(b) &&
    samePartialFilter(a, b) &&
    JSON.stringify(a.collation) === JSON.stringify(b.collation)
  );
}

/** A spec's expireAfterSeconds as a plain number (stored values may come back as BSON number wrappers). */
function ttlOf(spec: IndexSpec): number | undefined {
  return spec.expireAfterSeconds === undefined ? undefined : Number(spec.expireAfterSeconds);
}

/**
 * Whether two specs have the same partial filter (or none): MongoDB treats a key pattern with
 * another partial filter as another index, which may exist beside it under another name.
 */
export function samePartialFilter(a: IndexSpec, b: IndexSpec): boolean {
  return formatValue(a.partialFilterExpression) === formatValue(b.partialFilterExpression);
}
