/**
 * MongoDB's order of BSON values (the order of index keys and of `sort`): first by type —
 * MinKey < null and missing < numbers < strings and symbols < objects < arrays < binary data <
 * ObjectId < booleans < dates < timestamps < regular expressions < code < MaxKey — then by value:
 * numbers numerically across int, long and double (NaN before every other number), strings by
 * their UTF-8 bytes, objects field by field (type, then name, then value), binary data by length,
 * subtype, then bytes.
 *
 * A Decimal128 is compared exactly (as a rational, against any numeric type); the planner still
 * treats such keys as "uncertain" (see `isCertain`) and leaves indexes holding them to the matcher.
 */
import { ObjectId, type Decimal128, type Document } from 'bson';
import { compareNumericExact, decimalAsNumber, isInexactDecimal } from './bson-numbers';

/** Type ranks, in MongoDB's order. */
export const Rank = {
  MinKey: 1,
  Null: 2,
  Number: 3,
  String: 4,
  Object: 5,
  Array: 6,
  Binary: 7,
  ObjectId: 8,
  Boolean: 9,
  Date: 10,
  Timestamp: 11,
  RegExp: 12,
  Code: 13,
  MaxKey: 15,
  /** A value this module does not know (a class it was not written for): ordered last, by its string form. */
  Unknown: 99,
} as const;

/**
 * A bound just before (`edge` -1) or just after (+1) every value of one type rank: the ends of a
 * range such as "every string greater than 'a'" (MongoDB's type bracketing).
 */
export class TypeBound {
  constructor(
    readonly rank: number,
    readonly edge: -1 | 1,
  ) {}
}

/** Before every value. */
export const MIN_BOUND = new TypeBound(0, -1);
/** After every value. */
export const MAX_BOUND = new TypeBound(100, 1);

interface BsonLike {
  _bsontype?: string;
}

/** The type rank of a value. */
export function rankOf(v: unknown): number {
  switch (typeof v) {
    case 'string':
      return Rank.String;
    case 'number':
    case 'bigint':
      return Rank.Number;
    case 'boolean':
      return Rank.Boolean;
    case 'undefined':
      return Rank.Null;
    case 'object':
      break;
    default:
      return Rank.Unknown;
  }
  if (v === null) return Rank.Null;
  if (Array.isArray(v)) return Rank.Array;
  if (v instanceof Date) return Rank.Date;
  if (v instanceof RegExp) return Rank.RegExp;
  if (v instanceof TypeBound) return v.rank;
  switch ((v as BsonLike)._bsontype) {
    case 'ObjectId':
      return Rank.ObjectId;
    case 'Long':
    case 'Double':
    case 'Int32':
    case 'Decimal128':
      return Rank.Number;
    case 'BSONSymbol':
      return Rank.String;
    case 'Binary':
      return Rank.Binary;
    case 'Timestamp':
      return Rank.Timestamp;
    case 'BSONRegExp':
      return Rank.RegExp;
    case 'Code':
      return Rank.Code;
    case 'MinKey':
      return Rank.MinKey;
    case 'MaxKey':
      return Rank.MaxKey;
    case undefined: {
      const proto: unknown = Object.getPrototypeOf(v);
      return proto === Object.prototype || proto === null ? Rank.Object : Rank.Unknown;
    }
    default:
      return Rank.Unknown;
  }
}

/** Compares two values in MongoDB's order: negative, zero or positive. */
export function compareValues(a: unknown, b: unknown): number {
  // The common cases first, without classifying.
  if (typeof a === 'string') {
    if (typeof b === 'string') return compareStrings(a, b);
  } else if (typeof a === 'number') {
    if (typeof b === 'number') return compareNumbers(a, b);
  } else if (a instanceof ObjectId && b instanceof ObjectId) {
    return compareObjectIds(a as unknown as ObjectIdLike, b as unknown as ObjectIdLike);
  }
  return compareRanked(a, b, compareStrings);
}

/** How two strings compare: by code point (compareStrings) or under a collation (collation.ts). */
export type StringOrder = (a: string, b: string) => number;

/**
 * `compareValues` with strings — also inside objects and arrays, not field names — ordered by
 * `strings`: MongoDB's order under a collation.
 */
export function compareValuesWith(a: unknown, b: unknown, strings: StringOrder): number {
  if (typeof a === 'string' && typeof b === 'string') return strings(a, b);
  return compareRanked(a, b, strings);
}

function compareRanked(a: unknown, b: unknown, strings: StringOrder): number {
  const ra = rankOf(a);
  const rb = rankOf(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (a instanceof TypeBound || b instanceof TypeBound) {
    const ea = a instanceof TypeBound ? a.edge : 0;
    const eb = b instanceof TypeBound ? b.edge : 0;
    return ea - eb;
  }
  return compareSameRank(ra, a, b, strings);
}

function compareSameRank(rank: number, a: unknown, b: unknown, strings: StringOrder = compareStrings): number {
  switch (rank) {
    case Rank.Null:
    case Rank.MinKey:
    case Rank.MaxKey:
      return 0;
    case Rank.Number:
      if (isInexactDecimal(a) || isInexactDecimal(b)) return compareNumericExact(a, b);
      return compareNumeric(numericOf(a), numericOf(b));
    case Rank.String:
      return strings(stringOf(a), stringOf(b));
    case Rank.Object:
      return compareDocuments(a as Document, b as Document, strings);
    case Rank.Array:
      return compareArrays(a as unknown[], b as unknown[], strings);
    case Rank.Binary:
      return compareBinary(a as BinaryLike, b as BinaryLike);
    case Rank.ObjectId:
      return compareObjectIds(a as ObjectIdLike, b as ObjectIdLike);
    case Rank.Boolean:
      return (a ? 1 : 0) - (b ? 1 : 0);
    case Rank.Date:
      return compareNumbers((a as Date).getTime(), (b as Date).getTime());
    case Rank.Timestamp: {
      const ta = a as TimestampLike;
      const tb = b as TimestampLike;
      return compareNumbers(ta.t, tb.t) || compareNumbers(ta.i, tb.i);
    }
    case Rank.RegExp: {
      const [pa, fa] = regexParts(a);
      const [pb, fb] = regexParts(b);
      return compareStrings(pa, pb) || compareStrings(fa, fb);
    }
    case Rank.Code:
      return compareStrings(String((a as { code: unknown }).code), String((b as { code: unknown }).code));
    default:
      return compareStrings(String(a), String(b));
  }
}

/** Numbers with NaN first (equal to itself), -0 equal to 0. */
export function compareNumbers(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  return an === bn ? 0 : an ? -1 : 1;
}

/** A number, or a bigint for a Long beyond 2^53, so mixed comparisons stay exact. */
function numericOf(v: unknown): number | bigint {
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  const bson = v as BsonLike & { toNumber?: () => number; toBigInt?: () => bigint; value?: unknown; toString(): string };
  switch (bson._bsontype) {
    case 'Long': {
      const n = bson.toNumber!();
      return Number.isSafeInteger(n) ? n : bson.toBigInt!();
    }
    case 'Double':
    case 'Int32':
      return Number(bson.value);
    default:
      // Decimal128 equal to a double (compareSameRank compares the others exactly).
      return decimalAsNumber(v as Decimal128) ?? Number(bson.toString());
  }
}

function compareNumeric(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'number' && typeof b === 'number') return compareNumbers(a, b);
  if (typeof a === 'number' && Number.isNaN(a)) return typeof b === 'number' && Number.isNaN(b) ? 0 : -1;
  if (typeof b === 'number' && Number.isNaN(b)) return 1;
  // Mixed number/bigint comparison is exact in JavaScript.
  return a < b ? -1 : a > b ? 1 : 0;
}

function stringOf(v: unknown): string {
  return typeof v === 'string' ? v : String((v as { value: unknown }).value);
}

/**
 * Strings by UTF-8 bytes, which is code point order. UTF-16 code units give the same order except
 * that a surrogate (U+D800–DFFF, half of a code point above U+FFFF) must sort after U+E000–FFFF.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) {
      if (ca >= 0xd800 && cb >= 0xd800) return fixSurrogate(ca) - fixSurrogate(cb);
      return ca - cb;
    }
  }
  return a.length - b.length;
}

function fixSurrogate(c: number): number {
  // Surrogates move above U+FFFF; U+E000–FFFF move down into their place.
  return c >= 0xd800 && c <= 0xdfff ? c + 0x2000 : c - 0x800;
}

function compareDocuments(a: Document, b: Document, strings: StringOrder): number {
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const va: unknown = a[ka[i]];
    const vb: unknown = b[kb[i]];
    const ra = rankOf(va);
    const rb = rankOf(vb);
    if (ra !== rb) return ra < rb ? -1 : 1;
    const byName = compareStrings(ka[i], kb[i]);
    if (byName !== 0) return byName;
    const byValue = compareSameRank(ra, va, vb, strings);
    if (byValue !== 0) return byValue;
  }
  return ka.length - kb.length;
}

function compareArrays(a: unknown[], b: unknown[], strings: StringOrder): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = strings === compareStrings ? compareValues(a[i], b[i]) : compareValuesWith(a[i], b[i], strings);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

interface BinaryLike {
  buffer: Uint8Array;
  position: number;
  sub_type: number;
}

function compareBinary(a: BinaryLike, b: BinaryLike): number {
  if (a.position !== b.position) return a.position - b.position;
  if (a.sub_type !== b.sub_type) return a.sub_type - b.sub_type;
  return Buffer.compare(a.buffer.subarray(0, a.position), b.buffer.subarray(0, b.position));
}

interface ObjectIdLike {
  id: Uint8Array;
  /** bson 7 keeps the 12 bytes as four 24-bit integers; compared directly when present. */
  i0?: number;
  i1?: number;
  i2?: number;
  i3?: number;
}

function compareObjectIds(a: ObjectIdLike, b: ObjectIdLike): number {
  if (typeof a.i0 === 'number' && typeof b.i0 === 'number') {
    return a.i0 - b.i0 || (a.i1 as number) - (b.i1 as number) || (a.i2 as number) - (b.i2 as number) || (a.i3 as number) - (b.i3 as number);
  }
  return Buffer.compare(a.id, b.id);
}

interface TimestampLike {
  t: number;
  i: number;
}

function regexParts(v: unknown): [string, string] {
  if (v instanceof RegExp) return [v.source, v.flags];
  const r = v as { pattern: string; options: string };
  return [r.pattern, r.options];
}

/**
 * Whether this module orders `v` exactly as MongoDB does. False for Decimal128 (compared through
 * a double) and unknown classes, also inside objects and arrays.
 */
export function isCertain(v: unknown): boolean {
  const rank = rankOf(v);
  if (rank === Rank.Unknown) return false;
  if (rank === Rank.Number) return (v as BsonLike)._bsontype !== 'Decimal128';
  if (rank === Rank.Object) return Object.values(v as Document).every(isCertain);
  if (rank === Rank.Array) return (v as unknown[]).every(isCertain);
  return true;
}
