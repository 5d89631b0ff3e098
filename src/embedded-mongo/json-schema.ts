/**
 * MongoDB's `$jsonSchema` (JSON Schema draft 4 with MongoDB's changes, as in 7.0), evaluated over
 * BSON values as this server holds them. A schema compiles once into a list of rules, one per
 * keyword; a document matches when every rule holds, and a validator's errInfo lists the rules
 * that do not (`schemaRulesNotSatisfied`).
 *
 * MongoDB's semantics, from its json_schema_parser.cpp: keywords that concern one type (minimum,
 * pattern, items, required...) hold for values of any other type; `bsonType` / `type` name the
 * types (JSON's `object` is an embedded document only, never a Date or ObjectId; `integer` is
 * refused); at the top level (the document itself) the scalar and array keywords always hold and
 * a type that is not `object` matches nothing. Unsupported keywords (`$ref`, `$schema`, `default`,
 * `definitions`, `format`, `id`) and unknown ones are refused with FailedToParse (9), malformed
 * arguments with MongoDB's codes and messages. `encrypt` / `encryptMetadata` are refused:
 * QueryFeatureNotAllowed (224) in queries as MongoDB, NotImplemented (238) in validators.
 * Property names containing `.` (which MongoDB reads as paths) are refused with NotImplemented.
 */
import type { Document } from 'bson';
import { CommandError } from './errors';
import { compileFilter } from './filter';
import { bsonTypeAlias, bsonTypeOf, hasBsonType, typeCodeOfAlias } from './mingo-bson';
import { compareValues, Rank, rankOf } from './bson-order';
import { formatValue, isPlainObject } from './values';

/** One keyword of a compiled schema: its test, and MongoDB's explanation of a failure. */
interface Rule {
  test: (v: unknown) => boolean;
  explain: (v: unknown) => Document;
}

/** Where a schema is compiled: for the document itself (top) or a value in it; in a validator or a query. */
interface Place {
  top: boolean;
  validator: boolean;
}

const UNSUPPORTED = new Set(['$ref', '$schema', 'default', 'definitions', 'format', 'id']);
const KNOWN = new Set([
  'additionalItems', 'additionalProperties', 'allOf', 'anyOf', 'bsonType', 'dependencies', 'description', 'encrypt', 'encryptMetadata', 'enum',
  'exclusiveMaximum', 'exclusiveMinimum', 'items', 'maxItems', 'maxLength', 'maxProperties', 'maximum', 'minItems', 'minLength', 'minProperties',
  'minimum', 'multipleOf', 'not', 'oneOf', 'pattern', 'patternProperties', 'properties', 'required', 'title', 'type', 'uniqueItems',
]);
/** JSON Schema's type names (the `type` keyword), as BSON type codes (0: any number). */
const JSON_TYPES: Readonly<Record<string, number>> = { array: 4, boolean: 8, null: 10, object: 3, string: 2, number: 0 };

const fail = (code: 'FailedToParse' | 'TypeMismatch' | 'BadValue', message: string): never => {
  throw new CommandError(code, message);
};

/**
 * The predicate of `{$jsonSchema: schema}` on a whole document, MongoDB's errors for a schema it
 * would not parse. `validator`: compiled for a collection validator (where `encrypt` is MongoDB's
 * but not this server's).
 */
export function compileJsonSchema(schema: unknown, validator = false): (doc: unknown) => boolean {
  const rules = topRules(schema, validator);
  return (doc) => allHold(rules, doc);
}

/** errInfo.details of a `$jsonSchema` validator that refused `doc` (MongoDB 5.0+'s shape, a subset of its explanations). */
export function jsonSchemaDetails(schema: unknown, doc: Document): Document {
  const rules = topRules(schema, true);
  return { operatorName: '$jsonSchema', schemaRulesNotSatisfied: explainAll(rules, doc) };
}

function topRules(schema: unknown, validator: boolean): Rule[] {
  if (!isPlainObject(schema)) fail('TypeMismatch', '$jsonSchema must be an object');
  return compileRules(schema as Document, { top: true, validator });
}

function allHold(rules: Rule[], v: unknown): boolean {
  for (let i = 0; i < rules.length; i++) if (!rules[i].test(v)) return false;
  return true;
}

function explainAll(rules: Rule[], v: unknown): Document[] {
  return rules.filter((r) => !r.test(v)).map((r) => r.explain(v));
}

/** A nested schema (in properties, items, allOf...): its rules, from the schema object MongoDB requires. */
function subschema(schema: Document, place: Place): Rule[] {
  return compileRules(schema, place);
}

/** The rules of one schema object, keywords checked in MongoDB's order (so the first error is its). */
function compileRules(schema: Document, place: Place): Rule[] {
  for (const key of Object.keys(schema)) {
    if (KNOWN.has(key)) continue;
    if (UNSUPPORTED.has(key)) fail('FailedToParse', `$jsonSchema keyword '${key}' is not currently supported`);
    fail('FailedToParse', `Unknown $jsonSchema keyword: ${key}`);
  }
  for (const key of ['description', 'title']) {
    if (schema[key] !== undefined && typeof schema[key] !== 'string') fail('TypeMismatch', `$jsonSchema keyword '${key}' must be of type string`);
  }
  if (schema.type !== undefined && schema.bsonType !== undefined) fail('FailedToParse', "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'");
  const typeKey = schema.type !== undefined ? 'type' : schema.bsonType !== undefined ? 'bsonType' : undefined;
  if (typeKey && schema.encrypt !== undefined) {
    fail('FailedToParse', `$jsonSchema keyword 'encrypt' cannot be used in conjunction with '${typeKey}', 'encrypt' implies type 'bsonType::BinData'`);
  }
  const rules: Rule[] = [];
  if (typeKey) rules.push(typeRule(typeKey, schema[typeKey], place));
  rules.push(...scalarRules(schema, place), ...arrayRules(schema, place));
  refuseEncrypt(schema, place);
  rules.push(...objectRules(schema, place), ...logicalRules(schema, place));
  return rules;
}

/** `type` (JSON names) or `bsonType` (MongoDB's aliases): the value's type is one of them. */
function typeRule(key: string, arg: unknown, place: Place): Rule {
  if (typeof arg !== 'string' && !Array.isArray(arg)) fail('TypeMismatch', `$jsonSchema keyword '${key}' must be either a string or an array of strings`);
  const names = Array.isArray(arg) ? arg : [arg];
  const seen = new Set<string>();
  for (const name of names) {
    if (typeof name !== 'string') fail('TypeMismatch', `$jsonSchema keyword '${key}' array elements must be strings`);
    if (name === 'integer') fail('FailedToParse', "$jsonSchema type 'integer' is not currently supported.");
    if (seen.has(name)) fail('FailedToParse', `$jsonSchema keyword '${key}' has duplicate value: ${name}`);
    seen.add(name);
  }
  const codes = new Set([...seen].map((name) => (key === 'type' ? JSON_TYPES[name] : typeCodeOfAlias(name)) ?? fail('BadValue', `Unknown type name alias: ${name}`)));
  if (codes.size === 0) fail('FailedToParse', `$jsonSchema keyword '${key}' must name at least one type`);
  const specifiedAs = { [key]: arg };
  const explain = (v: unknown): Document => ({ operatorName: key, specifiedAs, reason: 'type did not match', consideredValue: v, consideredType: bsonTypeAlias(v) });
  // The document itself is an object: a top-level type without `object` matches nothing.
  if (place.top) return codes.has(3) ? always() : { test: () => false, explain: () => ({ operatorName: key, specifiedAs, reason: 'expression always evaluates to false' }) };
  return { test: (v) => hasBsonType(v, codes), explain };
}

function always(): Rule {
  return { test: () => true, explain: () => ({}) };
}

/** A keyword that concerns values of one kind: it holds for any other value (and always at the top level). */
function restricted(applies: (v: unknown) => boolean, holds: (v: unknown) => boolean, explain: (v: unknown) => Document, place: Place): Rule {
  if (place.top) return always();
  return { test: (v) => !applies(v) || holds(v), explain };
}

const isNumber = (v: unknown): boolean => rankOf(v) === Rank.Number;
const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Document => bsonTypeOf(v) === 3;

/** pattern, maxLength, minLength, multipleOf, maximum, minimum. */
function scalarRules(schema: Document, place: Place): Rule[] {
  const rules: Rule[] = [];
  const detail = (key: string, reason: string, specifiedAs: Document = { [key]: schema[key] }) => (v: unknown) => ({ operatorName: key, specifiedAs, reason, consideredValue: v });
  if (schema.pattern !== undefined) {
    if (typeof schema.pattern !== 'string') fail('TypeMismatch', "$jsonSchema keyword 'pattern' must be a string");
    // The server's own `$regex` (errors for a bad pattern included); JSON Schema takes no flags.
    const matches = compileFilter({ v: { $regex: schema.pattern } });
    rules.push(restricted(isString, (v) => matches({ v }), detail('pattern', 'regular expression did not match'), place));
  }
  for (const key of ['maxLength', 'minLength']) {
    if (schema[key] === undefined) continue;
    const n = nonNegativeInteger(key, schema[key]);
    const holds = key === 'maxLength' ? (v: unknown) => codePoints(v as string) <= n : (v: unknown) => codePoints(v as string) >= n;
    rules.push(restricted(isString, holds, detail(key, 'specified string length was not satisfied'), place));
  }
  if (schema.multipleOf !== undefined) {
    const divisor = decimalOf(schema.multipleOf);
    if (!isNumber(schema.multipleOf) || !divisor) fail('TypeMismatch', "$jsonSchema keyword 'multipleOf' must be a number");
    if (divisor!.m <= 0n) fail('FailedToParse', "$jsonSchema keyword 'multipleOf' must have a positive value");
    rules.push(restricted(isNumber, (v) => isMultiple(v, divisor!), detail('multipleOf', 'considered value is not a multiple of the specified value'), place));
  }
  for (const [key, exclusiveKey] of [['maximum', 'exclusiveMaximum'], ['minimum', 'exclusiveMinimum']]) {
    const bound: unknown = schema[key];
    const exclusive: unknown = schema[exclusiveKey];
    if (bound === undefined) {
      if (exclusive !== undefined) fail('FailedToParse', `$jsonSchema keyword '${key}' must be a present if ${exclusiveKey} is present`);
      continue;
    }
    if (exclusive !== undefined && typeof exclusive !== 'boolean') fail('TypeMismatch', `$jsonSchema keyword '${exclusiveKey}' must be a boolean`);
    if (!isNumber(bound)) fail('TypeMismatch', `$jsonSchema keyword '${key}' must be a number`);
    const op = key === 'maximum' ? (exclusive ? '$lt' : '$lte') : exclusive ? '$gt' : '$gte';
    // The server's own comparison (NaN and mixed numeric types as MongoDB).
    const holds = compileFilter({ v: { [op]: bound } });
    const specifiedAs = exclusive ? { [key]: bound, [exclusiveKey]: true } : { [key]: bound };
    rules.push(restricted(isNumber, (v) => holds({ v }), detail(key, 'comparison failed', specifiedAs), place));
  }
  return rules;
}

/** A string's length in code points (MongoDB counts UTF-8 characters). */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff || i === 0 || s.charCodeAt(i - 1) < 0xd800 || s.charCodeAt(i - 1) > 0xdbff) n++;
  }
  return n;
}

/** MongoDB's parseIntegerElementToNonNegativeLong, with its messages. */
function nonNegativeInteger(key: string, arg: unknown): number {
  const shown = `${key}: ${formatValue(arg)}`;
  if (!isNumber(arg)) fail('FailedToParse', `Expected a number in: ${shown}`);
  const n = Number(String(arg));
  if (Number.isNaN(n)) fail('FailedToParse', `Expected an integer, but found NaN in: ${shown}`);
  if (!Number.isInteger(n)) fail('FailedToParse', `Expected an integer: ${shown}`);
  if (n < 0) fail('FailedToParse', `Expected a positive number in: ${shown}`);
  return n;
}

/** A finite number as an exact decimal `m × 10^e` (doubles rounded to 15 digits, as MongoDB's numberDecimal()). */
interface Decimal {
  m: bigint;
  e: number;
}

function decimalOf(v: unknown): Decimal | undefined {
  if (!isNumber(v)) return undefined;
  const type = bsonTypeOf(v);
  const text = type === 1 ? Number((v as { valueOf(): unknown }).valueOf()).toPrecision(15) : String(v);
  const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return undefined;
  const frac = m[3] ?? '';
  return { m: BigInt(m[1] + (m[2] + frac || '0')), e: Number(m[4] ?? 0) - frac.length };
}

/** multipleOf: the decimal remainder is zero (MongoDB's $_internalSchemaFmod); NaN and infinities never are. */
function isMultiple(v: unknown, d: Decimal): boolean {
  const x = decimalOf(v);
  if (!x) return false;
  const e = Math.min(x.e, d.e);
  const scale = (n: Decimal) => n.m * 10n ** BigInt(n.e - e);
  return scale(x) % scale(d) === 0n;
}

/** minItems, maxItems, uniqueItems, items, additionalItems. */
function arrayRules(schema: Document, place: Place): Rule[] {
  const rules: Rule[] = [];
  const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
  const detail = (key: string, reason: string) => (v: unknown) => ({ operatorName: key, specifiedAs: { [key]: schema[key] }, reason, consideredValue: v });
  for (const key of ['minItems', 'maxItems']) {
    if (schema[key] === undefined) continue;
    const n = nonNegativeInteger(key, schema[key]);
    const holds = key === 'minItems' ? (v: unknown) => (v as unknown[]).length >= n : (v: unknown) => (v as unknown[]).length <= n;
    rules.push(restricted(isArray, holds, detail(key, 'array did not match specified length'), place));
  }
  if (schema.uniqueItems !== undefined) {
    if (typeof schema.uniqueItems !== 'boolean') fail('TypeMismatch', "$jsonSchema keyword 'uniqueItems' must be a boolean");
    if (schema.uniqueItems) rules.push(restricted(isArray, (v) => !hasDuplicate(v as unknown[]), detail('uniqueItems', 'found a duplicate item'), place));
  }
  const nested = { top: false, validator: place.validator };
  let from: number | undefined;
  const items: unknown = schema.items;
  if (items !== undefined) {
    if (Array.isArray(items)) {
      const each = items.map((s) => (isPlainObject(s) ? subschema(s, nested) : fail('TypeMismatch', `$jsonSchema keyword 'items' requires that each element of the array is an object, but found a ${bsonTypeAlias(s)}`)));
      from = each.length;
      rules.push(restricted(isArray, (v) => each.every((r, i) => i >= (v as unknown[]).length || allHold(r, (v as unknown[])[i])), detail('items', 'At least one item did not match the sub-schema'), place));
    } else if (isPlainObject(items)) {
      const each = subschema(items, nested);
      rules.push(restricted(isArray, (v) => (v as unknown[]).every((el) => allHold(each, el)), detail('items', 'At least one item did not match the sub-schema'), place));
    } else {
      fail('TypeMismatch', `$jsonSchema keyword 'items' must be an array or an object, not ${bsonTypeAlias(items)}`);
    }
  }
  const additional: unknown = schema.additionalItems;
  if (additional !== undefined) {
    let rest: (v: unknown) => boolean;
    if (typeof additional === 'boolean') rest = () => additional;
    else if (isPlainObject(additional)) {
      const each = subschema(additional, nested);
      rest = (el) => allHold(each, el);
    } else return fail('TypeMismatch', `$jsonSchema keyword 'additionalItems' must be either an object or a boolean, but got a ${bsonTypeAlias(additional)}`);
    // Only after an array of `items`: the elements past them.
    if (from !== undefined) {
      const start = from;
      rules.push(restricted(isArray, (v) => (v as unknown[]).slice(start).every(rest), detail('additionalItems', 'At least one additional item did not match the sub-schema'), place));
    }
  }
  return rules;
}

/** A value with object fields in name order, for MongoDB's comparisons that ignore field order. */
function unordered(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unordered);
  if (!isPlainObject(v)) return v;
  const out: Document = {};
  for (const k of Object.keys(v).sort()) out[k] = unordered(v[k]);
  return out;
}

/** Equality as MongoDB's UnorderedFieldsBSONElementComparator (numbers by value, field order ignored). */
function sameValue(a: unknown, b: unknown): boolean {
  return compareValues(unordered(a), unordered(b)) === 0;
}

function hasDuplicate(values: unknown[]): boolean {
  const sorted = values.map(unordered).sort(compareValues);
  for (let i = 1; i < sorted.length; i++) if (compareValues(sorted[i - 1], sorted[i]) === 0) return true;
  return false;
}

function refuseEncrypt(schema: Document, place: Place): void {
  for (const key of ['encrypt', 'encryptMetadata']) {
    if (schema[key] === undefined) continue;
    if (!place.validator) throw new CommandError('QueryFeatureNotAllowed', 'Encryption-related validator keywords are not allowed in this context');
    throw new CommandError('NotImplemented', `$jsonSchema keyword '${key}' (client-side field level encryption) is not supported by the embedded server`);
  }
}

/** A property name that MongoDB would read as a path: refused rather than read differently. */
function checkPropertyName(key: string, name: string): void {
  if (name.includes('.')) throw new CommandError('NotImplemented', `$jsonSchema keyword '${key}' names '${name}', a dotted path: not supported by the embedded server`);
}

/** The value of a field, undefined when missing. */
function field(doc: Document, name: string): unknown {
  return Object.prototype.hasOwnProperty.call(doc, name) ? doc[name] : undefined;
}

/** required, properties, patternProperties, additionalProperties, minProperties, maxProperties, dependencies. */
function objectRules(schema: Document, place: Place): Rule[] {
  const rules: Rule[] = [];
  const nested = { top: false, validator: place.validator };
  const onObject = (holds: (v: Document) => boolean, explain: (v: Document) => Document): Rule =>
    place.top ? { test: (v) => holds(v as Document), explain: (v) => explain(v as Document) } : { test: (v) => !isObject(v) || holds(v), explain: (v) => explain(v as Document) };
  const required = requiredNames(schema.required);
  const properties: unknown = schema.properties;
  let named: Array<[string, Rule[]]> = [];
  if (properties !== undefined) {
    if (!isPlainObject(properties)) fail('TypeMismatch', "$jsonSchema keyword 'properties' must be an object");
    named = Object.entries(properties as Document).map(([name, s]): [string, Rule[]] => {
      if (!isPlainObject(s)) fail('TypeMismatch', `Nested schema for $jsonSchema property '${name}' must be an object`);
      checkPropertyName('properties', name);
      return [name, subschema(s as Document, nested)];
    });
    const failing = (v: Document) => named.filter(([name, r]) => field(v, name) !== undefined && !allHold(r, field(v, name)));
    rules.push(onObject((v) => failing(v).length === 0, (v) => ({
      operatorName: 'properties',
      propertiesNotSatisfied: failing(v).map(([name, r]) => ({ propertyName: name, details: explainAll(r, field(v, name)) })),
    })));
  }
  if (schema.patternProperties !== undefined || schema.additionalProperties !== undefined) rules.push(allowedProperties(schema, new Set(named.map(([n]) => n)), nested, onObject));
  if (required.length > 0) {
    const missing = (v: Document) => required.filter((name) => field(v, name) === undefined);
    rules.push(onObject((v) => missing(v).length === 0, (v) => ({ operatorName: 'required', specifiedAs: { required: schema.required }, missingProperties: missing(v) })));
  }
  for (const key of ['minProperties', 'maxProperties']) {
    if (schema[key] === undefined) continue;
    const n = nonNegativeInteger(key, schema[key]);
    const holds = key === 'minProperties' ? (v: Document) => Object.keys(v).length >= n : (v: Document) => Object.keys(v).length <= n;
    rules.push(onObject(holds, (v) => ({ operatorName: key, specifiedAs: { [key]: schema[key] }, reason: 'specified number of properties was not satisfied', numberOfProperties: Object.keys(v).length })));
  }
  if (schema.dependencies !== undefined) rules.push(dependencies(schema.dependencies, place, onObject));
  return rules;
}

/** `required`'s names, sorted (MongoDB reports missing ones in that order), checked as MongoDB. */
function requiredNames(arg: unknown): string[] {
  if (arg === undefined) return [];
  if (!Array.isArray(arg)) return fail('TypeMismatch', `$jsonSchema keyword 'required' must be an array, but found an element of type ${bsonTypeAlias(arg)}`);
  const names = new Set<string>();
  for (const name of arg) {
    if (typeof name !== 'string') fail('TypeMismatch', `$jsonSchema keyword 'required' must be an array of strings, but found an element of type: ${bsonTypeAlias(name)}`);
    if (names.has(name as string)) fail('FailedToParse', "$jsonSchema keyword 'required' array cannot contain duplicate values");
    checkPropertyName('required', name as string);
    names.add(name as string);
  }
  if (names.size === 0) fail('FailedToParse', "$jsonSchema keyword 'required' cannot be an empty array");
  return [...names].sort();
}

type OnObject = (holds: (v: Document) => boolean, explain: (v: Document) => Document) => Rule;

/**
 * patternProperties and additionalProperties: a field matched by patterns must satisfy each of
 * their schemas; a field neither in `properties` nor matched by a pattern must satisfy
 * additionalProperties (false: no such field).
 */
function allowedProperties(schema: Document, named: Set<string>, nested: Place, onObject: OnObject): Rule {
  const patterns: Array<[(name: string) => boolean, Rule[]]> = [];
  const pp: unknown = schema.patternProperties;
  if (pp !== undefined) {
    if (!isPlainObject(pp)) fail('TypeMismatch', "$jsonSchema keyword 'patternProperties' must be an object");
    for (const [pattern, s] of Object.entries(pp as Document)) {
      if (!isPlainObject(s)) fail('TypeMismatch', `$jsonSchema keyword 'patternProperties' has property '${pattern}' which is not an object`);
      const matches = compileFilter({ v: { $regex: pattern } });
      patterns.push([(name) => matches({ v: name }), subschema(s as Document, nested)]);
    }
  }
  const ap: unknown = schema.additionalProperties;
  let otherwise: (v: unknown) => boolean = () => true;
  if (typeof ap === 'boolean') otherwise = () => ap;
  else if (isPlainObject(ap)) {
    const rules = subschema(ap, nested);
    otherwise = (v) => allHold(rules, v);
  } else if (ap !== undefined) fail('TypeMismatch', "$jsonSchema keyword 'additionalProperties' must be an object or a boolean");
  const fieldHolds = (name: string, value: unknown): boolean => {
    let matched = named.has(name);
    for (const [test, rules] of patterns) {
      if (!test(name)) continue;
      matched = true;
      if (!allHold(rules, value)) return false;
    }
    return matched || otherwise(value);
  };
  const failing = (v: Document) => Object.keys(v).filter((name) => !fieldHolds(name, v[name]));
  const explain = (v: Document): Document =>
    ap === false ? { operatorName: 'additionalProperties', specifiedAs: { additionalProperties: false }, additionalProperties: failing(v) } : { operatorName: pp !== undefined ? 'patternProperties' : 'additionalProperties', reason: 'at least one property did not match its schema', properties: failing(v) };
  return onObject((v) => failing(v).length === 0, explain);
}

/** dependencies: when a field is present, other fields must be (array) or the object must match a schema. */
function dependencies(arg: unknown, place: Place, onObject: OnObject): Rule {
  if (!isPlainObject(arg)) return fail('TypeMismatch', "$jsonSchema keyword 'dependencies' must be an object");
  const checks: Array<[string, (v: Document) => boolean]> = [];
  for (const [name, dep] of Object.entries(arg)) {
    if (Array.isArray(dep)) {
      checkPropertyName('dependencies', name);
      checks.push([name, propertyDependency(name, dep)]);
    } else if (isPlainObject(dep)) {
      checkPropertyName('dependencies', name);
      const rules = subschema(dep, place);
      checks.push([name, (v) => allHold(rules, v)]);
    } else if (!(typeof dep === 'string' && (name === 'title' || name === 'description'))) {
      fail('TypeMismatch', `property '${name}' in $jsonSchema keyword 'dependencies' must be either an object or an array`);
    }
  }
  const failing = (v: Document) => checks.filter(([name, holds]) => field(v, name) !== undefined && !holds(v)).map(([name]) => name);
  return onObject((v) => failing(v).length === 0, (v) => ({ operatorName: 'dependencies', failingDependencies: failing(v).map((conditionalProperty) => ({ conditionalProperty })) }));
}

function propertyDependency(name: string, dep: unknown[]): (v: Document) => boolean {
  if (dep.length === 0) fail('FailedToParse', `property '${name}' in $jsonSchema keyword 'dependencies' cannot be an empty array`);
  const names = new Set<string>();
  for (const d of dep) {
    if (typeof d !== 'string') fail('TypeMismatch', `array '${name}' in $jsonSchema keyword 'dependencies' can only contain strings, but found element of type: ${bsonTypeAlias(d)}`);
    if (names.has(d as string)) fail('FailedToParse', `array '${name}' in $jsonSchema keyword 'dependencies' contains duplicate element: ${String(d)}`);
    checkPropertyName('dependencies', d as string);
    names.add(d as string);
  }
  return (v) => [...names].every((n) => field(v, n) !== undefined);
}

/** allOf, anyOf, oneOf, not, enum: subschemas apply to the same value (the document itself at the top). */
function logicalRules(schema: Document, place: Place): Rule[] {
  const rules: Rule[] = [];
  const generic = (key: string, reason: string) => () => ({ operatorName: key, specifiedAs: { [key]: schema[key] }, reason });
  for (const key of ['allOf', 'anyOf', 'oneOf']) {
    if (schema[key] === undefined) continue;
    const list = schemaList(key, schema[key], place);
    const count = (v: unknown) => list.filter((r) => allHold(r, v)).length;
    const test = key === 'allOf' ? (v: unknown) => list.every((r) => allHold(r, v)) : key === 'anyOf' ? (v: unknown) => list.some((r) => allHold(r, v)) : (v: unknown) => count(v) === 1;
    rules.push({ test, explain: generic(key, key === 'allOf' ? 'at least one of the sub-schemas did not match' : key === 'anyOf' ? 'no sub-schema matched' : 'the number of sub-schemas matched was not exactly one') });
  }
  if (schema.not !== undefined) {
    if (!isPlainObject(schema.not)) fail('TypeMismatch', `$jsonSchema keyword 'not' must be an object, but found an element of type ${bsonTypeAlias(schema.not)}`);
    const inner = subschema(schema.not as Document, place);
    rules.push({ test: (v) => !allHold(inner, v), explain: generic('not', 'child expression matched') });
  }
  if (schema.enum !== undefined) rules.push(enumRule(schema.enum, place));
  return rules;
}

function schemaList(key: string, arg: unknown, place: Place): Rule[][] {
  if (!Array.isArray(arg)) return fail('TypeMismatch', `$jsonSchema keyword '${key}' must be an array`);
  if (arg.length === 0) fail('BadValue', `$jsonSchema keyword '${key}' must be a non-empty array`);
  return arg.map((s) => (isPlainObject(s) ? subschema(s, place) : fail('TypeMismatch', `$jsonSchema keyword '${key}' must be an array of objects, but found an element of type ${bsonTypeAlias(s)}`)));
}

/** enum: the value equals one of the values (field order ignored); at the top, the document equals one of the objects. */
function enumRule(arg: unknown, place: Place): Rule {
  if (!Array.isArray(arg)) return fail('TypeMismatch', `$jsonSchema keyword 'enum' must be an array, but found an element of type ${bsonTypeAlias(arg)}`);
  if (arg.length === 0) fail('FailedToParse', "$jsonSchema keyword 'enum' cannot be an empty array");
  if (hasDuplicate(arg)) fail('FailedToParse', "$jsonSchema keyword 'enum' array cannot contain duplicate values.");
  const values = place.top ? arg.filter((v) => isObject(v)) : arg;
  return { test: (v) => values.some((e) => sameValue(v, e)), explain: (v) => ({ operatorName: 'enum', specifiedAs: { enum: arg }, reason: 'value was not found in enum', consideredValue: v }) };
}
