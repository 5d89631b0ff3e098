/**
 * Collection options (`create`, `collMod`) and document validation, as MongoDB 7.0 does them.
 * Supported: `validator` with query operators and `$jsonSchema` (json-schema.ts), `validationLevel` (strict / moderate / off) and
 * `validationAction` (error / warn); a failing write gets DocumentValidationFailure (121)
 * "Document failed validation", and `bypassDocumentValidation: true` skips the check; capped
 * collections (`capped`, `size`, `max`: capped.ts). Options MongoDB has but this server does not
 * implement (views, time series, clustered collections...) are refused by name instead of being
 * ignored; fields MongoDB does not know are refused with its IDL error (40415).
 */
import type { Document } from 'bson';
import type { Collection } from './catalog';
import { parseCappedOptions, type CappedOptions } from './capped';
import { CommandError } from './errors';
import { compileFilter, type Predicate } from './filter';
import { findFieldName } from './input-errors';
import { compileJsonSchema, jsonSchemaDetails } from './json-schema';
import { bsonTypeAlias } from './mingo-bson';
import { formatValue, getPath, isPlainObject } from './values';

/** The options a collection keeps (stored with it, shown by listCollections). */
export interface CollectionOptions extends Partial<CappedOptions> {
  validator?: Document;
  validationLevel?: 'off' | 'strict' | 'moderate';
  validationAction?: 'error' | 'warn';
}

/** Fields any command may carry besides its own (not options of create, collMod or setParameter). */
export const GENERIC_ARGUMENTS = new Set(['lsid', '$db', '$clusterTime', '$readPreference', 'comment', 'writeConcern', 'maxTimeMS', 'apiVersion', 'apiStrict', 'apiDeprecationErrors', 'txnNumber', 'autocommit', 'startTransaction', 'readConcern']);

/** Options of `create` that MongoDB 7.0 has and this server does not implement. */
const CREATE_UNSUPPORTED = new Set(['autoIndexId', 'idIndex', 'storageEngine', 'indexOptionDefaults', 'viewOn', 'pipeline', 'timeseries', 'expireAfterSeconds', 'clusteredIndex', 'changeStreamPreAndPostImages', 'encryptedFields', 'temp', 'flags', 'recordPreImages']);
/** Options of `collMod` that MongoDB 7.0 has and this server does not implement. */
const COLLMOD_UNSUPPORTED = new Set(['index', 'viewOn', 'pipeline', 'expireAfterSeconds', 'changeStreamPreAndPostImages', 'timeseries', 'cappedSize', 'cappedMax', 'recordPreImages', 'dryRun', 'validateIndexes', 'prepareUnique', 'unique', 'hidden', 'keyPattern', 'name', 'timeseriesBucketsMayHaveMixedSchemaData']);
const CAPPED_FIELDS = new Set(['capped', 'size', 'max']);
const VALIDATION_OPTIONS = new Set(['validator', 'validationLevel', 'validationAction']);
const LEVELS = ['off', 'strict', 'moderate'];
const ACTIONS = ['error', 'warn'];

/** MongoDB's IDL name of a BSON value's type, for its "wrong type" errors. */
function bsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'double';
  return 'object';
}

/** Reads and checks `create`'s or `collMod`'s options (`command`: the command's name as MongoDB spells it in errors). */
function parseOptions(cmd: Document, command: 'create' | 'collMod', unsupported: Set<string>): CollectionOptions {
  const out: CollectionOptions = {};
  for (const [field, value] of Object.entries(cmd).slice(1)) {
    if (GENERIC_ARGUMENTS.has(field)) continue;
    // create's default collation is read by the create command itself (collation.ts).
    if (field === 'collation' && command === 'create') continue;
    // create's capped options are read by parseCappedOptions (capped.ts).
    if (command === 'create' && CAPPED_FIELDS.has(field)) continue;
    if (unsupported.has(field)) {
      // `temp: false` asks for nothing: MongoDB's default.
      if (value === false && field === 'temp') continue;
      throw new CommandError('InvalidOptions', `${command} option '${field}' is not supported by the embedded server (value ${formatValue(value)})`);
    }
    if (!VALIDATION_OPTIONS.has(field)) throw new CommandError('Location40415', `BSON field '${command}.${field}' is an unknown field.`);
    if (field === 'validator') {
      if (!isPlainObject(value)) throw new CommandError('TypeMismatch', `BSON field '${command}.validator' is the wrong type '${bsonTypeName(value)}', expected type 'object'`);
      out.validator = checkValidator(value);
    } else {
      const allowed = field === 'validationLevel' ? LEVELS : ACTIONS;
      if (typeof value !== 'string') throw new CommandError('TypeMismatch', `BSON field '${command}.${field}' is the wrong type '${bsonTypeName(value)}', expected type 'string'`);
      if (!allowed.includes(value)) throw new CommandError('BadValue', `Enumeration value '${value}' for field '${command}.${field}' is not a valid value.`);
      if (field === 'validationLevel') out.validationLevel = value as CollectionOptions['validationLevel'];
      else out.validationAction = value as CollectionOptions['validationAction'];
    }
  }
  return out;
}

/** Operators MongoDB does not allow in a validator. */
const NOT_IN_VALIDATOR = new Set(['$where', '$near', '$nearSphere', '$text', '$geoNear']);

/** Checks a validator: a query MongoDB accepts there, and nothing this server cannot evaluate. */
function checkValidator(validator: Document): Document {
  const refused = findFieldName(validator, (k) => NOT_IN_VALIDATOR.has(k));
  if (refused) throw new CommandError('BadValue', `${refused} is not allowed in collection validators`);
  // ExpressionFunction::parse refuses it there, whether or not JavaScript is enabled.
  if (findFieldName(validator, (k) => k === '$function')) throw new CommandError('Location4660800', '$function cannot be used inside a validator.');
  // A validator's schemas first: there `encrypt` is MongoDB's (refused as not implemented), not a query error.
  for (const schema of jsonSchemasOf(validator)) compileJsonSchema(schema, true);
  // Compiling refuses unknown operators with MongoDB's codes (input-errors.ts).
  compileFilter(validator);
  return validator;
}

/** The `$jsonSchema` arguments of a filter, at its top level or in its `$and` / `$or` / `$nor` clauses. */
function jsonSchemasOf(filter: Document): unknown[] {
  const out: unknown[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$jsonSchema') out.push(value);
    else if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(value)) {
      for (const clause of value) if (isPlainObject(clause)) out.push(...jsonSchemasOf(clause));
    }
  }
  return out;
}

/** The options `create` asks for, refused when MongoDB would refuse them or this server cannot honour them. */
export function createOptions(cmd: Document): CollectionOptions | undefined {
  const capped = parseCappedOptions(cmd);
  // Capped options first, where MongoDB's listCollections shows them.
  const options: CollectionOptions = { ...capped, ...parseOptions(cmd, 'create', CREATE_UNSUPPORTED) };
  return Object.keys(options).length > 0 ? options : undefined;
}

/** The collection's options after `collMod`: the current ones with the changes applied. */
export function collModOptions(cmd: Document, current: CollectionOptions | undefined): CollectionOptions {
  return { ...current, ...parseOptions(cmd, 'collMod', COLLMOD_UNSUPPORTED) };
}

/** Compiled validators, per options object (options are replaced, never changed, by collMod). */
const compiled = new WeakMap<Document, Predicate>();

function validatorTest(validator: Document): Predicate {
  let test = compiled.get(validator);
  if (!test) compiled.set(validator, (test = compileFilter(validator)));
  return test;
}

/**
 * Refuses storing `doc` (a new version of `previous`, or an insert) when the collection's
 * validator rejects it, as MongoDB: level `off` checks nothing, `moderate` skips updates of
 * documents that did not pass already, action `warn` lets the write through. Costs one property
 * read for collections without a validator.
 */
export function checkValidation(coll: Collection, doc: Document, previous: Document | undefined, bypass: boolean): void {
  const options = coll.options;
  if (!options?.validator || bypass) return;
  const level = options.validationLevel ?? 'strict';
  if (level === 'off' || options.validationAction === 'warn') return;
  const test = validatorTest(options.validator);
  if (test(doc)) return;
  if (level === 'moderate' && previous && !test(previous)) return;
  throw new CommandError('DocumentValidationFailure', 'Document failed validation', {
    errInfo: { failingDocumentId: doc._id, details: validationDetails(options.validator, doc) },
  });
}

/** MongoDB's `reason` for a failed clause, by its operator (doc_validation_error.cpp's wording). */
const REASONS: Record<string, string> = {
  $type: 'type did not match',
  $in: 'no matching value found in array',
  $nin: 'matching value found in array',
  $regex: 'regular expression did not match',
  $exists: 'path does not exist',
};

/**
 * `errInfo.details` (MongoDB 5.0+) for a document the validator refused: a validator of several
 * clauses (an implicit `$and`) lists the ones not satisfied, each explained by its operator, as
 * given, the reason and the value considered. A subset of MongoDB's explanation: `$or`, `$nor`,
 * `$expr` and the like are reported as a whole, without their inner clauses.
 */
function validationDetails(validator: Document, doc: Document): Document {
  const entries = Object.entries(validator);
  if (entries.length === 1) return clauseDetails(entries[0][0], entries[0][1], doc);
  return { operatorName: '$and', clausesNotSatisfied: notSatisfied(entries, doc, (field, cond) => clauseDetails(field, cond, doc)) };
}

/** The `{index, details}` of each entry (a clause of `$and`) that `doc` does not satisfy. */
function notSatisfied(entries: Array<[string, unknown]>, doc: Document, explain: (field: string, cond: unknown) => Document): Document[] {
  const out: Document[] = [];
  entries.forEach(([field, cond], index) => {
    if (!compileFilter({ [field]: cond })(doc)) out.push({ index, details: explain(field, cond) });
  });
  return out;
}

/** One top-level clause: a field's condition (several operators: an `$and` of them) or a top-level operator. */
function clauseDetails(field: string, cond: unknown, doc: Document): Document {
  if (field === '$jsonSchema') return jsonSchemaDetails(cond, doc);
  if (field.startsWith('$')) return { operatorName: field, specifiedAs: { [field]: cond }, reason: 'expression did not match' };
  const ops = isPlainObject(cond) ? Object.keys(cond).filter((k) => k.startsWith('$')) : [];
  if (ops.length === 0) return operatorDetails(field, '$eq', { [field]: cond }, doc);
  if (ops.length === 1) return operatorDetails(field, ops[0], { [field]: cond }, doc);
  const perOperator = ops.map((op): [string, unknown] => [field, { [op]: (cond as Document)[op] }]);
  return {
    operatorName: '$and',
    clausesNotSatisfied: notSatisfied(perOperator, doc, (f, c) => operatorDetails(f, Object.keys(c as Document)[0], { [f]: c }, doc)),
  };
}

function operatorDetails(field: string, operatorName: string, specifiedAs: Document, doc: Document): Document {
  const value = getPath(doc, field);
  if (value === undefined) return { operatorName, specifiedAs, reason: 'field was missing' };
  const out: Document = { operatorName, specifiedAs, reason: REASONS[operatorName] ?? 'comparison failed', consideredValue: value };
  if (operatorName === '$type') out.consideredType = bsonTypeAlias(value);
  return out;
}
