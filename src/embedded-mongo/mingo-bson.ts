/**
 * mingo, taught BSON. mingo compares JavaScript values: `Long(2)` is not `2` to it, `Binary`
 * values compare by their base64 text (ignoring the subtype), and its `$type` knows JS types, not
 * BSON's. This module replaces the query operators whose meaning depends on BSON values with ones
 * built on this server's own order (`compareValues` / `keyOf`), and exports mingo's `Query` and
 * `Aggregator` bound to a context holding them, for every place that runs mingo.
 *
 * Replaced, each as MongoDB 7.0 defines it:
 * - `$eq $ne $in $nin $gt $gte $lt $lte`: numbers equal and ordered across int, long, double and
 *   decimal; ranges stay within one type (type bracketing) and never match NaN unless both sides
 *   are NaN and the bound is inclusive; Binary by length, then subtype, then bytes.
 * - `$type`: BSON type names, numeric codes (also given as doubles or longs), `'number'`, and
 *   arrays of them; an array field matches `'array'` and any type one of its elements has.
 * - `$all`: also against a single non-array value (`{x: {$all: [5]}}` matches `x: 5`).
 * - `$bitsAllSet $bitsAllClear $bitsAnySet $bitsAnyClear`: numeric bitmasks, bit-position
 *   arrays and BinData masks, tested against integral numbers (as two's complement int64) and
 *   BinData values (little-endian bytes); other values never match.
 * - `$expr`: evaluated on a view of the document with numeric wrappers as JS numbers
 *   (expression-numbers.ts), so `{$expr: {$gt: ['$a', 3]}}` matches a stored `Long(5)`; its `$$NOW`
 *   is the command's (command-clock.ts, when the options carry it). Truthiness as MongoDB's.
 * mingo's own operators stay for everything else; its expression operators (`$add`, `$group`
 * accumulators…) still see the wrapper classes as objects (see bson-options.ts).
 */
import { Binary, type Document } from 'bson';
import { Aggregator as CoreAggregator } from 'mingo/aggregator';
import { Context, evalExpr } from 'mingo/core';
import * as accumulatorOperators from 'mingo/operators/accumulator';
import * as expressionOperators from 'mingo/operators/expression';
import * as pipelineOperators from 'mingo/operators/pipeline';
import * as projectionOperators from 'mingo/operators/projection';
import * as queryOperators from 'mingo/operators/query';
import * as windowOperators from 'mingo/operators/window';
import { Query as CoreQuery } from 'mingo/query';
import type { Options, QueryOperator } from 'mingo/types';
import { flatten, resolve } from 'mingo/util';
import { isInt32Number, isNumericWrapper } from './bson-numbers';
import { expressionView, fieldRefs } from './expression-numbers';
import { isComputeOptions } from './command-clock';
import { compareValues, Rank, rankOf } from './bson-order';
import { CommandError } from './errors';
import { isPlainObject, keyOf } from './values';

type Predicate = (lhs: unknown, rhs: unknown, depth: number) => boolean;

interface Tagged {
  _bsontype?: string;
}

/** A query operator testing `predicate` on the value the selector resolves to (mingo's own shape). */
function operator(predicate: Predicate, parse?: (arg: unknown, op: string) => unknown, name = ''): QueryOperator {
  return ((selector: string, value: unknown) => {
    const depth = selector.split('.').length - 1;
    const rhs = parse ? parse(value, name) : value;
    return (obj: Document) => predicate(resolve(obj, selector, { unwrapArray: true }), rhs, depth);
  }) as unknown as QueryOperator;
}

/** MongoDB's equality of two single values (numbers across types, null = missing). */
function bsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return a !== a && b !== b;
  return rankOf(a) === rankOf(b) && compareValues(a, b) === 0;
}

/** The values a condition is tested against: the value itself, and for an array its elements. */
function candidates(a: unknown, depth: number): unknown[] {
  if (!Array.isArray(a)) return [a];
  return [a, ...a, ...(depth > 0 ? flatten(a, depth) : [])];
}

function $eq(a: unknown, b: unknown, depth: number): boolean {
  if (bsonEquals(a, b)) return true;
  if (!Array.isArray(a)) return false;
  return a.some((v) => bsonEquals(v, b)) || (depth > 0 && flatten(a, depth).some((v) => bsonEquals(v, b)));
}

/** `$in`'s argument: the equality keys and the regular expressions. */
interface InSet {
  keys: Set<string>;
  regexes: RegExp[];
}

function parseIn(arg: unknown, op: string): InSet {
  if (!Array.isArray(arg)) throw new CommandError('BadValue', `${op} needs an array`);
  const keys = new Set<string>();
  const regexes: RegExp[] = [];
  for (const v of arg) {
    if (isPlainObject(v) && Object.keys(v).some((k) => k.startsWith('$') && k !== '$ref' && k !== '$id' && k !== '$db')) {
      throw new CommandError('BadValue', `cannot nest $ under ${op}`);
    }
    if (v instanceof RegExp) regexes.push(v);
    else keys.add(keyOf(v));
  }
  return { keys, regexes };
}

function $in(a: unknown, set: unknown, depth: number): boolean {
  const { keys, regexes } = set as InSet;
  for (const v of candidates(a, depth)) {
    if (keys.has(keyOf(v))) return true;
    if (typeof v === 'string' && regexes.some((re) => re.test(v))) return true;
  }
  return false;
}

/** Whether a numeric value is NaN (any numeric type). */
function isNaNNumber(v: unknown): boolean {
  if (typeof v === 'number') return v !== v;
  const t = (v as Tagged | null)?._bsontype;
  return (t === 'Double' || t === 'Decimal128') && String(v) === 'NaN';
}

/** A range operator: within the bound's type, never NaN unless both are NaN and `inclusive`. */
function range(holds: (c: number) => boolean, inclusive: boolean): Predicate {
  return (a, b, depth) => {
    const rank = rankOf(b);
    const crossType = rank === Rank.MinKey || rank === Rank.MaxKey;
    const nanBound = rank === Rank.Number && isNaNNumber(b);
    for (const v of candidates(a, depth)) {
      if (!crossType && rankOf(v) !== rank) continue;
      if (rank === Rank.Number && (nanBound || isNaNNumber(v))) {
        if (inclusive && nanBound && isNaNNumber(v)) return true;
        continue;
      }
      if (holds(compareValues(v, b))) return true;
    }
    return false;
  };
}

/** BSON type codes by alias (MongoDB's `$type` names). */
const TYPE_ALIASES: Readonly<Record<string, number>> = {
  double: 1,
  string: 2,
  object: 3,
  array: 4,
  binData: 5,
  undefined: 6,
  objectId: 7,
  bool: 8,
  date: 9,
  null: 10,
  regex: 11,
  dbPointer: 12,
  javascript: 13,
  symbol: 14,
  javascriptWithScope: 15,
  int: 16,
  timestamp: 17,
  long: 18,
  decimal: 19,
  minKey: -1,
  maxKey: 127,
};
const TYPE_CODES = new Set(Object.values(TYPE_ALIASES));
/** The `$type` alias of a stored value's BSON type (`'int'`, `'string'`...), as MongoDB names it in errors. */
export function bsonTypeAlias(v: unknown): string | undefined {
  const code = bsonTypeOf(v);
  return Object.keys(TYPE_ALIASES).find((alias) => TYPE_ALIASES[alias] === code);
}

/** `'number'`: any of double, int, long, decimal. */
const NUMBER = 0;

/** The BSON type code of a stored value (see bson-numbers.ts for how numbers are held). */
export function bsonTypeOf(v: unknown): number | undefined {
  switch (typeof v) {
    case 'number':
      return isInt32Number(v) ? 16 : 1;
    case 'string':
      return 2;
    case 'boolean':
      return 8;
    case 'undefined':
      return undefined;
    case 'object':
      break;
    default:
      return undefined;
  }
  if (v === null) return 10;
  if (Array.isArray(v)) return 4;
  if (v instanceof Date) return 9;
  if (v instanceof RegExp) return 11;
  switch ((v as Tagged)._bsontype) {
    case undefined:
      return 3;
    case 'Double':
      return 1;
    case 'Int32':
      return 16;
    case 'Long':
      return 18;
    case 'Decimal128':
      return 19;
    case 'Binary':
      return 5;
    case 'ObjectId':
      return 7;
    case 'BSONRegExp':
      return 11;
    case 'DBPointer':
      return 12;
    case 'Code':
      return (v as { scope?: unknown }).scope ? 15 : 13;
    case 'BSONSymbol':
      return 14;
    case 'Timestamp':
      return 17;
    case 'MinKey':
      return -1;
    case 'MaxKey':
      return 127;
    default:
      return 3;
  }
}

/** One `$type` argument as a code (NUMBER for 'number'); MongoDB's errors for bad ones. */
function typeCode(t: unknown): number {
  if (typeof t === 'string') {
    if (t === 'number') return NUMBER;
    const code = TYPE_ALIASES[t];
    if (code === undefined) throw new CommandError('BadValue', `Unknown type name alias: ${t}`);
    return code;
  }
  const n = rankOf(t) === Rank.Number ? Number(String(t)) : NaN;
  if (!Number.isInteger(n)) throw new CommandError('BadValue', `type must be represented as a number or a string`);
  if (!TYPE_CODES.has(n)) throw new CommandError('BadValue', `Invalid numerical type code: ${n}`);
  return n;
}

function parseType(arg: unknown): Set<number> {
  const codes = Array.isArray(arg) ? arg.map(typeCode) : [typeCode(arg)];
  if (codes.length === 0) throw new CommandError('FailedToParse', '$type must match at least one type');
  return new Set(codes);
}

/** The BSON type code of a `$type` / `bsonType` alias (0 for 'number'), undefined for an unknown one. */
export function typeCodeOfAlias(alias: string): number | undefined {
  return alias === 'number' ? NUMBER : Object.prototype.hasOwnProperty.call(TYPE_ALIASES, alias) ? TYPE_ALIASES[alias] : undefined;
}

/** Whether a value (not its array elements) has one of the type codes (0: any number). */
export function hasBsonType(v: unknown, codes: Set<number>): boolean {
  return hasType(v, codes);
}

function hasType(v: unknown, codes: Set<number>): boolean {
  const code = bsonTypeOf(v);
  if (code === undefined) return false;
  return codes.has(code) || (codes.has(NUMBER) && (code === 1 || code === 16 || code === 18 || code === 19));
}

function $type(a: unknown, codes: unknown, depth: number): boolean {
  const set = codes as Set<number>;
  if (hasType(a, set)) return true;
  if (!Array.isArray(a)) return false;
  return a.some((v) => hasType(v, set)) || (depth > 0 && flatten(a, depth).some((v) => hasType(v, set)));
}

/** `$all`'s argument: equality values, regexes, and `$elemMatch` queries. */
function parseAll(arg: unknown, options: Options): Array<(a: unknown, depth: number) => boolean> {
  if (!Array.isArray(arg)) throw new CommandError('BadValue', '$all needs an array');
  return arg.map((expr: unknown) => {
    if (isPlainObject(expr) && Object.keys(expr)[0] === '$elemMatch') {
      const query = new Query({ v: expr }, options);
      return (a: unknown) => Array.isArray(a) && query.test({ v: a });
    }
    if (expr instanceof RegExp) return (a: unknown, depth: number) => candidates(a, depth).some((s) => typeof s === 'string' && expr.test(s));
    return (a: unknown, depth: number) => $eq(a, expr, depth);
  });
}

function allOperator(): QueryOperator {
  return ((selector: string, value: unknown, options: Options) => {
    const depth = selector.split('.').length - 1;
    const tests = parseAll(value, options);
    return (obj: Document) => {
      if (tests.length === 0) return false;
      const a: unknown = resolve(obj, selector, { unwrapArray: true });
      return tests.every((t) => t(a, depth));
    };
  }) as unknown as QueryOperator;
}

/** A bit mask as the list of bit positions it names. */
function parseBits(arg: unknown, op: string): number[] {
  if (Array.isArray(arg)) {
    return arg.map((e: unknown) => {
      if (rankOf(e) !== Rank.Number) throw new CommandError('BadValue', `bit positions must be an integer but got: ${String(e)}`);
      const n = Number(String(e));
      if (Number.isNaN(n)) throw new CommandError('BadValue', `bit positions cannot take a NaN: ${String(e)}`);
      if (n > 0x7fff_ffff || n < -0x8000_0000) throw new CommandError('BadValue', `bit positions cannot be represented as a 32-bit signed integer: ${String(e)}`);
      if (!Number.isInteger(n)) throw new CommandError('BadValue', `bit positions must be an integer but got: ${String(e)}`);
      if (n < 0) throw new CommandError('BadValue', `bit positions must be >= 0 but got: ${String(e)}`);
      return n;
    });
  }
  if (arg instanceof Binary) return bitsOfBytes(arg.buffer.subarray(0, arg.position));
  if (rankOf(arg) === Rank.Number) {
    const mask = integerOf(arg);
    if (mask === undefined) throw new CommandError('BadValue', `Expected an integer: ${op}: ${String(arg)}`);
    if (mask < 0n) throw new CommandError('BadValue', `Expected a positive number in: ${op}: ${String(arg)}`);
    const out: number[] = [];
    for (let i = 0; i < 64; i++) if ((mask >> BigInt(i)) & 1n) out.push(i);
    return out;
  }
  throw new CommandError('BadValue', `${op} takes an Array, a number, or a BinData but received: ${String(arg)}`);
}

function bitsOfBytes(bytes: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) for (let b = 0; b < 8; b++) if (bytes[i] & (1 << b)) out.push(i * 8 + b);
  return out;
}

/** A numeric value as a 64-bit integer, when it is integral and representable (as MongoDB's bit tests need). */
function integerOf(v: unknown): bigint | undefined {
  const s = typeof v === 'number' ? (Number.isInteger(v) ? BigInt(v).toString() : '') : String(v);
  if (!/^-?\d+$/.test(s)) return undefined;
  const n = BigInt(s);
  return n >= -(2n ** 63n) && n < 2n ** 63n ? n : undefined;
}

/** Reads bit `pos` of a value: numbers as two's complement (sign-extended), BinData little-endian. */
function bitReader(v: unknown): ((pos: number) => boolean) | undefined {
  if (v instanceof Binary) {
    const bytes = v.buffer.subarray(0, v.position);
    return (pos) => (pos >> 3 < bytes.length ? (bytes[pos >> 3] & (1 << (pos & 7))) !== 0 : false);
  }
  if (rankOf(v) !== Rank.Number) return undefined;
  const n = integerOf(v);
  if (n === undefined) return undefined;
  const bits = BigInt.asUintN(64, n);
  return (pos) => (pos < 64 ? ((bits >> BigInt(pos)) & 1n) === 1n : n < 0n);
}

function bits(all: boolean, set: boolean): Predicate {
  return (a, positions) => {
    const list = positions as number[];
    const values = Array.isArray(a) ? a : [a];
    return values.some((v) => {
      const bit = bitReader(v);
      if (!bit) return false;
      return all ? list.every((p) => bit(p) === set) : list.some((p) => bit(p) === set);
    });
  };
}

/** MongoDB's truthiness of an expression's value: false, null, missing and numeric zeros are false. */
function truthy(v: unknown): boolean {
  if (v === false || v === null || v === undefined) return false;
  if (typeof v === 'number') return v !== 0;
  if (isNumericWrapper(v)) return compareValues(v, 0) !== 0;
  return true;
}

/** `$expr`, evaluated on the document with its numeric wrappers as numbers (see the module comment). */
const exprOperator = ((_selector: string, expr: unknown, options: Options) => {
  const refs = fieldRefs(expr);
  return (obj: Document) => truthy(evalExpr(expressionView(obj, refs), expr, options));
}) as unknown as QueryOperator;

/** The replaced operators (see the module comment). */
const BSON_QUERY_OPERATORS = {
  $eq: operator($eq),
  $ne: operator((a, b, d) => !$eq(a, b, d)),
  $in: operator($in, parseIn, '$in'),
  $nin: operator((a, b, d) => !$in(a, b, d), parseIn, '$nin'),
  $gt: operator(range((c) => c > 0, false)),
  $gte: operator(range((c) => c >= 0, true)),
  $lt: operator(range((c) => c < 0, false)),
  $lte: operator(range((c) => c <= 0, true)),
  $type: operator($type, parseType),
  $all: allOperator(),
  $bitsAllSet: operator(bits(true, true), parseBits, '$bitsAllSet'),
  $bitsAllClear: operator(bits(true, false), parseBits, '$bitsAllClear'),
  $bitsAnySet: operator(bits(false, true), parseBits, '$bitsAnySet'),
  $bitsAnyClear: operator(bits(false, false), parseBits, '$bitsAnyClear'),
  $expr: exprOperator,
};

/** mingo's full operator set with the BSON-aware query operators in place of its own. */
export const BSON_CONTEXT = Context.init({
  accumulator: accumulatorOperators,
  expression: expressionOperators,
  pipeline: pipelineOperators,
  projection: projectionOperators,
  query: { ...queryOperators, ...BSON_QUERY_OPERATORS },
  window: windowOperators,
} as never);

/** mingo's Query over BSON_CONTEXT (mingo's default export would put its own operators back). */
export class Query extends CoreQuery {
  constructor(condition: Document, options?: Partial<Options>) {
    super(condition, isComputeOptions(options) ? options : { ...options, context: BSON_CONTEXT });
  }
}

/** mingo's Aggregator over BSON_CONTEXT. */
export class Aggregator extends CoreAggregator {
  constructor(pipeline: Document[], options?: Partial<Options>) {
    super(pipeline, isComputeOptions(options) ? options : { ...options, context: BSON_CONTEXT });
  }
}
