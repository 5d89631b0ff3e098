/**
 * How BSON's four numeric types (int32, int64, double, decimal128) are held in memory so that
 * each value a client stores comes back with the type it was stored with, while the common case
 * (int32 and fractional doubles, i.e. what the Node driver sends for JS numbers) stays a plain
 * JavaScript number that the fast paths and mingo handle as they always have.
 *
 * The rule: a value is a JS number when serialising that number gives back the same BSON type
 * — `bson` writes an integral number in the int32 range as int32 and every other number
 * (fractions, -0, NaN, ±Infinity, integers beyond int32) as double. Only the values a number
 * would change are kept as `bson` wrapper objects:
 * - int64 → `Long` (always, whatever its size);
 * - a double whose value is integral and within the int32 range (`Double(2)`) → `Double`;
 * - decimal128 → `Decimal128` (as before).
 * Int32 wrappers never stay. Symbols become strings and DBRefs plain `{$ref, $id, $db?}`
 * documents (MongoDB stores and matches a DBRef as the embedded document it is, so `ref.$id`
 * resolves); both serialise back to the same bytes the client sent (a symbol as a string).
 *
 * Messages are decoded without promotion (`DESERIALIZE_OPTIONS`, bson-options.ts) and then walked once:
 * the stored data of a command (insert documents, update and findAndModify documents, filters)
 * keeps its types (`keepNumericTypes`), while the command's own arguments (limits, batch
 * sizes, cursor ids, options) are promoted to numbers as before (`promoteNumbers`), so the
 * command layer still reads plain numbers. Journal and snapshot records are decoded the same way
 * and walked with `keepNumericTypes`: memory after a restart is memory before it.
 */
import type { Decimal128, Double, Document, Long } from 'bson';

const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;

/** Whether the JS number `n` serialises as int32 (an integer in range, not -0). */
export function isInt32Number(n: number): boolean {
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX && !Object.is(n, -0);
}

interface Tagged {
  _bsontype?: string;
}

/** A DBRef as the plain document MongoDB holds: `$ref`, `$id`, then `$db` and any other fields. */
function dbRefDocument(ref: { collection: string; oid: unknown; db?: string; fields: Document }): Document {
  const out: Document = { $ref: ref.collection, $id: ref.oid };
  if (ref.db) out.$db = ref.db;
  for (const k of Object.keys(ref.fields)) out[k] = ref.fields[k];
  return out;
}

/** The in-memory form of one decoded value under the type-keeping rule (see the module comment). */
function keepValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  switch ((v as Tagged)._bsontype) {
    case undefined:
      // Plain objects and arrays hold more values; Dates and RegExps are leaves.
      if (!(v instanceof Date) && !(v instanceof RegExp)) keepNumericTypes(v as Document);
      return v;
    case 'Int32':
      return (v as { value: number }).value;
    case 'Double': {
      const n = (v as Double).value;
      return isInt32Number(n) ? v : n;
    }
    case 'BSONSymbol':
      return (v as { value: string }).value;
    case 'DBRef':
      return keepNumericTypes(dbRefDocument(v as never));
    default:
      return v;
  }
}

/** The in-memory form of one decoded command argument: every number a JS number when exact. */
function promoteValue(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  switch ((v as Tagged)._bsontype) {
    case undefined:
      // Plain objects and arrays hold more values; Dates and RegExps are leaves.
      if (!(v instanceof Date) && !(v instanceof RegExp)) promoteNumbers(v as Document);
      return v;
    case 'Int32':
    case 'Double':
      return (v as { value: number }).value;
    case 'Long': {
      const n = (v as Long).toNumber();
      return Number.isSafeInteger(n) ? n : v;
    }
    case 'BSONSymbol':
      return (v as { value: string }).value;
    case 'DBRef':
      return promoteNumbers(dbRefDocument(v as never));
    default:
      return v;
  }
}

/** Applies `fn` to every field or element of a freshly decoded object or array, in place. */
function walk<T extends Document | unknown[]>(container: T, fn: (v: unknown) => unknown): T {
  if (Array.isArray(container)) {
    for (let i = 0; i < container.length; i++) {
      const v: unknown = container[i];
      if (typeof v === 'object' && v !== null) container[i] = fn(v);
    }
    return container;
  }
  for (const k in container) {
    const v: unknown = (container as Document)[k];
    if (typeof v === 'object' && v !== null) (container as Document)[k] = fn(v);
  }
  return container;
}

/** Walks freshly decoded data (in place), keeping the BSON types a number would lose. */
export function keepNumericTypes<T extends Document | unknown[]>(decoded: T): T {
  return walk(decoded, keepValue);
}

/** Walks freshly decoded command arguments (in place), promoting numbers as `promoteValues` would. */
export function promoteNumbers<T extends Document | unknown[]>(decoded: T): T {
  return walk(decoded, promoteValue);
}

/** The fields of each command that hold stored data (their types are kept). */
const DATA_FIELDS: Readonly<Record<string, readonly string[]>> = {
  insert: ['documents'],
  findAndModify: ['update'],
  findandmodify: ['update'],
};

/** The fields of each command that hold a filter (types kept; see `keepFilterTypes`). */
const FILTER_FIELDS: Readonly<Record<string, string>> = {
  find: 'filter',
  count: 'query',
  distinct: 'query',
  findAndModify: 'query',
  findandmodify: 'query',
};

/**
 * A decoded filter with its types kept, where a DBRef given as a field's whole condition
 * (`{ref: DBRef(...)}`) becomes `{$eq: {$ref, $id}}`: as a plain document its `$`-keys would
 * read as operators, while MongoDB compares it as the document it is.
 */
function keepFilterTypes(filter: unknown): unknown {
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter) || (filter as Tagged)._bsontype !== undefined) return keepValue(filter);
  const f = filter as Document;
  for (const k of Object.keys(f)) {
    const v: unknown = f[k];
    if ((k === '$and' || k === '$or' || k === '$nor') && Array.isArray(v)) f[k] = v.map(keepFilterTypes);
    else if ((v as Tagged | null)?._bsontype === 'DBRef') f[k] = { $eq: keepValue(v) };
    else f[k] = keepValue(v);
  }
  return f;
}

/** The statement fields of `update` / `delete` that hold data (`u` only when it is a document). */
const STATEMENT_FIELDS: Readonly<Record<string, string>> = { update: 'updates', delete: 'deletes' };

/**
 * Normalises a decoded command body (raw decoding, sequences already merged into it), in place:
 * data fields keep their numeric types, everything else is promoted (see the module comment).
 */
export function normalizeCommand(body: Document): Document {
  const name = Object.keys(body)[0] ?? '';
  const data = DATA_FIELDS[name];
  const filter = FILTER_FIELDS[name];
  const statements = STATEMENT_FIELDS[name];
  for (const k of Object.keys(body)) {
    const v: unknown = body[k];
    if (typeof v !== 'object' || v === null) continue;
    if (k === filter) body[k] = keepFilterTypes(v);
    else if (data?.includes(k) && !(k === 'update' && Array.isArray(v))) body[k] = keepValue(v);
    else if (k === statements && Array.isArray(v)) for (const s of v) normalizeStatement(s);
    else body[k] = promoteValue(v);
  }
  return body;
}

function normalizeStatement(statement: unknown): void {
  if (typeof statement !== 'object' || statement === null || Array.isArray(statement)) return;
  const s = statement as Document;
  for (const k of Object.keys(s)) {
    const v: unknown = s[k];
    if (typeof v !== 'object' || v === null) continue;
    s[k] = k === 'q' ? keepFilterTypes(v) : k === 'u' && !Array.isArray(v) ? keepValue(v) : promoteValue(v);
  }
}

/** Whether `v` is one of the numeric wrapper classes kept in memory (Long, Double, Decimal128, Int32). */
export function isNumericWrapper(v: unknown): v is Long | Double | Decimal128 {
  if (typeof v !== 'object' || v === null) return false;
  const t = (v as Tagged)._bsontype;
  return t === 'Long' || t === 'Double' || t === 'Decimal128' || t === 'Int32';
}

/**
 * A Decimal128's value as the JS number it equals exactly, or undefined when no double equals
 * it (`Decimal128('0.1')` is not the double 0.1, as MongoDB compares them). NaN and the
 * infinities map to their numbers.
 */
export function decimalAsNumber(d: Decimal128): number | undefined {
  const s = d.toString();
  const m = /^(-?)(\d+)(?:\.(\d*))?(?:E([+-]?\d+))?$/i.exec(s);
  if (!m) return s === 'NaN' ? NaN : s === 'Infinity' ? Infinity : s === '-Infinity' ? -Infinity : undefined;
  const [, sign, whole, frac = '', exp = '0'] = m;
  let coeff = BigInt(whole + frac);
  let e = Number(exp) - frac.length;
  if (coeff === 0n) return sign ? -0 : 0;
  while (coeff % 10n === 0n) {
    coeff /= 10n;
    e++;
  }
  let n: number;
  if (e >= 0) {
    if (e > 400) return undefined;
    const big = coeff * 10n ** BigInt(e);
    n = Number(big);
    if (BigInt(n) !== big) return undefined;
  } else {
    // coeff / 10^k is a double only if 5^k divides coeff, leaving (coeff / 5^k) / 2^k.
    const k = -e;
    if (k > 400) return undefined;
    const five = 5n ** BigInt(k);
    if (coeff % five !== 0n) return undefined;
    const odd = coeff / five;
    const num = Number(odd);
    if (BigInt(num) !== odd) return undefined;
    n = num / 2 ** k;
    if (n * 2 ** k !== num) return undefined;
  }
  return sign ? -n : n;
}

/** A Decimal128's canonical text (trailing zeros of the coefficient folded into the exponent). */
export function canonicalDecimal(d: Decimal128): string {
  const s = d.toString();
  const m = /^(-?)(\d+)(?:\.(\d*))?(?:E([+-]?\d+))?$/i.exec(s);
  if (!m) return s;
  const [, sign, whole, frac = '', exp = '0'] = m;
  let coeff = BigInt(whole + frac);
  let e = Number(exp) - frac.length;
  if (coeff === 0n) return '0';
  while (coeff % 10n === 0n) {
    coeff /= 10n;
    e++;
  }
  return `${sign}${coeff}E${e}`;
}

/** Aggregation stages that only pass documents on, filter or reorder them: they see the stored types. */
const TYPE_PRESERVING_STAGES = new Set(['$match', '$limit', '$skip', '$count', '$unwind', '$sort', '$unset']);

/**
 * Whether an aggregation stage must see plain numbers: mingo's expression operators (`$sum`,
 * `$add`, `$group` keys…) treat `Long` and `Double` wrappers as objects, so stages that compute
 * get their input with those wrappers turned into numbers (`withPlainNumbers`), which is what the
 * server gave them before it kept the types. Filtering and reordering stages keep the types.
 */
export function stageNeedsPlainNumbers(stage: Document): boolean {
  const op = Object.keys(stage)[0];
  if (TYPE_PRESERVING_STAGES.has(op)) return false;
  if (op === '$project' && isPlainObjectLike(stage.$project)) {
    return !Object.values(stage.$project as Document).every((v) => v === 0 || v === 1 || v === true || v === false);
  }
  return true;
}

function isPlainObjectLike(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v as Tagged)._bsontype === undefined;
}

/**
 * `value` with every `Long` that fits a double exactly and every `Double` / `Int32` wrapper as a
 * JS number; copies only the objects and arrays that change (stored documents are never modified).
 * `decimal`, when given, replaces each Decimal128 (which otherwise stays as it is).
 */
export function withPlainNumbers<T>(value: T, decimal?: (d: Decimal128) => unknown): T {
  if (typeof value !== 'object' || value === null) return value;
  const t = (value as Tagged)._bsontype;
  if (t === 'Double' || t === 'Int32') return (value as unknown as { value: number }).value as T;
  if (t === 'Long') {
    const n = (value as unknown as Long).toNumber();
    return (Number.isSafeInteger(n) ? n : value) as T;
  }
  if (t === 'Decimal128' && decimal) return decimal(value as unknown as Decimal128) as T;
  if (t !== undefined || value instanceof Date || value instanceof RegExp) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = withPlainNumbers(value[i] as unknown, decimal);
      if (v !== value[i]) (out ??= value.slice())[i] = v;
    }
    return (out ?? value) as T;
  }
  let out: Document | undefined;
  for (const k of Object.keys(value)) {
    const old: unknown = (value as Document)[k];
    const v = withPlainNumbers(old, decimal);
    if (v !== old) (out ??= { ...(value as Document) })[k] = v;
  }
  return (out ?? value) as T;
}

/** An exact rational `num / den` (den > 0) for a finite numeric value; a number for NaN / ±Infinity. */
function rationalOf(v: unknown): { num: bigint; den: bigint } | number {
  const t = (v as Tagged | null)?._bsontype;
  if (t === 'Long') return { num: BigInt((v as Long).toString()), den: 1n };
  if (t === 'Decimal128') {
    const m = /^(-?)(\d+)(?:\.(\d*))?(?:E([+-]?\d+))?$/i.exec(String(v));
    if (!m) return Number(String(v));
    const [, sign, whole, frac = '', exp = '0'] = m;
    const coeff = BigInt(sign + whole + frac);
    const e = Number(exp) - frac.length;
    return e >= 0 ? { num: coeff * 10n ** BigInt(e), den: 1n } : { num: coeff, den: 10n ** BigInt(-e) };
  }
  const n = typeof v === 'number' ? v : Number((v as { value: number }).value);
  if (!Number.isFinite(n)) return n;
  // A double is m / 2^k exactly: doubling a non-integral double (below 2^53) is exact, at most 1074 times.
  let k = 0;
  let m = n;
  while (!Number.isInteger(m)) {
    m *= 2;
    k++;
  }
  return { num: BigInt(m), den: 2n ** BigInt(k) };
}

/**
 * Compares two numeric values exactly (MongoDB compares a decimal with a double by value, so
 * `Decimal128('0.1')` is less than the double 0.1). Used when a Decimal128 no double equals is
 * involved; NaN sorts first, as in `compareNumbers`.
 */
export function compareNumericExact(a: unknown, b: unknown): number {
  const ra = rationalOf(a);
  const rb = rationalOf(b);
  if (typeof ra === 'number' || typeof rb === 'number') {
    const na = typeof ra === 'number' ? ra : ra.num > 0n ? 1 : ra.num < 0n ? -1 : 0;
    const nb = typeof rb === 'number' ? rb : rb.num > 0n ? 1 : rb.num < 0n ? -1 : 0;
    if (Number.isNaN(na) || Number.isNaN(nb)) return Number.isNaN(na) === Number.isNaN(nb) ? 0 : Number.isNaN(na) ? -1 : 1;
    return na === nb ? 0 : na < nb ? -1 : 1;
  }
  const l = ra.num * rb.den;
  const r = rb.num * ra.den;
  return l < r ? -1 : l > r ? 1 : 0;
}

/** Whether `v` is a Decimal128 that no double equals exactly. */
export function isInexactDecimal(v: unknown): boolean {
  return (v as Tagged | null)?._bsontype === 'Decimal128' && decimalAsNumber(v as Decimal128) === undefined;
}
