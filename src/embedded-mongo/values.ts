/** Helpers over BSON values: canonical keys for maps, deep copies, dotted-path reads. */
import { Binary, Decimal128, Double, Int32, Long, ObjectId, Timestamp, type Document } from 'bson';
import { canonicalDecimal, decimalAsNumber } from './bson-numbers';

/**
 * A string that is equal for two values exactly when MongoDB's equality treats them as equal
 * (for the types this server stores): numbers of any width compare by value, strings by code
 * units, ObjectIds by bytes, Dates by milliseconds, null and missing alike, objects field by
 * field in order. Used as the key of the `_id` map and of index maps.
 */
export function keyOf(value: unknown): string {
  if (value === null || value === undefined) return 'z';
  switch (typeof value) {
    case 'string':
      return 's' + value;
    case 'number':
      return 'n' + (Object.is(value, -0) ? 0 : value);
    case 'boolean':
      return value ? 'bt' : 'bf';
    case 'bigint':
      return 'n' + value.toString();
  }
  if (value instanceof ObjectId) return 'o' + value.toHexString();
  if (value instanceof Date) return 'd' + value.getTime();
  if (value instanceof Long) {
    // Same key as the equal JS number when it is representable, so 5 and Long(5) collide.
    const n = value.toNumber();
    return Number.isSafeInteger(n) ? 'n' + n : 'n' + value.toString();
  }
  // Every numeric type keys by value: 2, Long(2), Double(2) and Decimal128('2.0') are one key.
  if (value instanceof Double || value instanceof Int32) return keyOf(value.value);
  if (value instanceof Binary) return 'x' + value.sub_type + ':' + Buffer.from(value.buffer.subarray(0, value.position)).toString('base64');
  if (value instanceof Decimal128) {
    const n = decimalAsNumber(value);
    return n === undefined ? 'm' + canonicalDecimal(value) : keyOf(n);
  }
  if (value instanceof Timestamp) return 't' + value.toString();
  if (value instanceof RegExp) return 'r' + value.source + '/' + value.flags;
  // JSON-quote the parts of composites so that separators inside strings cannot collide.
  if (Array.isArray(value)) return 'a' + JSON.stringify(value.map(keyOf));
  if (isPlainObject(value)) return 'p' + JSON.stringify(Object.keys(value).map((k) => [k, keyOf(value[k])]));
  return 'u' + String(value);
}

/** BSON truthiness of a boolean-like option or operand (`$exists: 1` is true; false, 0, null, missing are not). */
export function truthy(v: unknown): boolean {
  return !(v === false || v === 0 || v === null || v === undefined);
}

/** True for `{...}` objects (not arrays, not BSON or Date instances). */
export function isPlainObject(value: unknown): value is Document {
  if (value === null || typeof value !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Copies plain objects, arrays and Dates; shares the BSON value classes (ObjectId, Long,
 * Binary...), which nothing in this server mutates.
 */
export function deepCopy<T>(value: T): T {
  if (Array.isArray(value)) return value.map(deepCopy) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  if (isPlainObject(value)) {
    const out: Document = {};
    for (const k of Object.keys(value)) out[k] = deepCopy(value[k]);
    return out as T;
  }
  return value;
}

/**
 * The values a dotted path reaches, descending into arrays like MongoDB's index keys do.
 * A path that reaches nothing yields `[undefined]` (missing is indexed as null).
 */
export function valuesAtPath(doc: Document, path: string): unknown[] {
  const out: unknown[] = [];
  collect(doc, path.split('.'), 0, out);
  return out.length === 0 ? [undefined] : out;
}

function collect(value: unknown, parts: string[], i: number, out: unknown[]): void {
  if (i === parts.length) {
    if (Array.isArray(value)) {
      // An array is indexed by each element (multikey); an empty one as undefined.
      if (value.length === 0) out.push(undefined);
      else for (const v of value) out.push(v);
    } else {
      out.push(value);
    }
    return;
  }
  if (Array.isArray(value)) {
    const idx = /^\d+$/.test(parts[i]) ? Number(parts[i]) : -1;
    if (idx >= 0) collect(value[idx], parts, i + 1, out);
    else for (const el of value) collect(el, parts, i, out);
    return;
  }
  if (isPlainObject(value)) collect(value[parts[i]], parts, i + 1, out);
}

/** Reads a dotted path through nested objects only (no array traversal). */
export function getPath(doc: Document, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (isPlainObject(cur)) cur = cur[part];
    else if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
    else return undefined;
  }
  return cur;
}

/** Sets a dotted path, creating plain objects on the way. */
export function setPath(doc: Document, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: Document = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const next: unknown = cur[parts[i]];
    if (isPlainObject(next)) cur = next;
    else cur = cur[parts[i]] = {};
  }
  cur[parts[parts.length - 1]] = value;
}

/** Renders a value the way MongoDB's error messages do (`"v"`, `ObjectId('…')`, `null`). */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof ObjectId) return `ObjectId('${value.toHexString()}')`;
  if (value instanceof Date) return `new Date(${value.getTime()})`;
  if (Array.isArray(value)) return '[ ' + value.map(formatValue).join(', ') + ' ]';
  if (isPlainObject(value)) {
    return '{ ' + Object.keys(value).map((k) => `${k}: ${formatValue(value[k])}`).join(', ') + ' }';
  }
  return String(value);
}

/** MongoDB's limit on the nesting of a stored document (BSONDepth::getMaxDepthForUserStorage). */
export const MAX_STORED_DEPTH = 100;

/**
 * Whether `doc` nests deeper than `max` levels, counted as MongoDB does: the document itself is
 * level 1, each non-empty object or array inside adds one, empty ones do not count. Iterative,
 * so a document far deeper than the call stack is measured without overflowing it, and it stops
 * as soon as the limit is passed.
 */
export function exceedsDepth(doc: unknown, max: number = MAX_STORED_DEPTH): boolean {
  const stack: Array<{ values: unknown[]; i: number }> = [{ values: childrenOf(doc), i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    if (top.i >= top.values.length) {
      stack.pop();
      continue;
    }
    const children = childrenOf(top.values[top.i++]);
    if (children.length === 0) continue;
    if (stack.length >= max) return true;
    stack.push({ values: children, i: 0 });
  }
  return false;
}

/** The values inside a plain object or array; none for anything else (BSON values are leaves). */
function childrenOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isPlainObject(value)) return Object.values(value);
  return [];
}
