/**
 * The "Evaluating Matches" rules of MongoDB's unified test format, written from the format's
 * specification: an expected value (parsed from canonical extended JSON) against an actual value
 * (what the driver returned or saw). Root-level documents may carry extra fields, nested ones may
 * not; numbers compare by value whatever their BSON type (Decimal128 apart); the `$$` operators
 * ($$exists, $$type, $$unsetOrMatches, $$matchesEntity, $$matchAsDocument, $$matchAsRoot, $$lte,
 * $$sessionLsid, $$matchesHexBytes) are evaluated here. A mismatch is returned as a one-line
 * reason with the path where it happened, so that a failing test says what differed.
 */
import { EJSON } from 'bson';

/** Looks up a named entity (for $$matchesEntity and $$sessionLsid); throws when it does not exist. */
export type EntityLookup = (id: string) => unknown;

/** A plain-object test that leaves BSON wrapper values (ObjectId, Long, Binary...) out. */
export function isDocument(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  if ('_bsontype' in value) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The `_bsontype` of a BSON wrapper value, if it is one. */
function bsonType(value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && '_bsontype' in value) return String((value as { _bsontype: unknown })._bsontype);
  return undefined;
}

/** A number's value, for the numeric types that compare by value (not Decimal128). */
function numericValue(value: unknown): number | bigint | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return value;
  const type = bsonType(value);
  if (type === 'Int32' || type === 'Double') return Number((value as { valueOf(): number }).valueOf());
  if (type === 'Long') return BigInt((value as { toString(): string }).toString());
  return undefined;
}

/** Compares two numbers of any of the value-compared types exactly (a Long as a bigint). */
function sameNumber(a: number | bigint, b: number | bigint): boolean {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    if (typeof a === 'number' && !Number.isInteger(a)) return false;
    if (typeof b === 'number' && !Number.isInteger(b)) return false;
    return BigInt(a) === BigInt(b);
  }
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
}

/** The BSON type names of the format's $$type operator that a value has. */
export function typeNamesOf(value: unknown): string[] {
  if (value === undefined) return ['undefined'];
  if (value === null) return ['null'];
  if (typeof value === 'string') return ['string'];
  if (typeof value === 'boolean') return ['bool'];
  if (typeof value === 'number') {
    // The driver hands int32, int64 (promoted) and doubles back as JS numbers: an integral number
    // may be any of the three, a fractional one only a double.
    return Number.isInteger(value) ? ['int', 'long', 'double', 'number'] : ['double', 'number'];
  }
  if (typeof value === 'bigint') return ['long', 'number'];
  if (value instanceof Date) return ['date'];
  if (value instanceof RegExp) return ['regex'];
  if (Array.isArray(value)) return ['array'];
  const names: Record<string, string[]> = {
    Int32: ['int', 'number'],
    Double: ['double', 'number'],
    Long: ['long', 'number'],
    Decimal128: ['decimal', 'number'],
    ObjectId: ['objectId'],
    Binary: ['binData'],
    Timestamp: ['timestamp'],
    BSONRegExp: ['regex'],
    MinKey: ['minKey'],
    MaxKey: ['maxKey'],
    Code: ['javascript', 'javascriptWithScope'],
    BSONSymbol: ['symbol'],
    DBPointer: ['dbPointer'],
    DBRef: ['object'],
  };
  const type = bsonType(value);
  if (type) return names[type] ?? [type];
  return ['object'];
}

/** A short rendering of a value for failure messages. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    const text = EJSON.stringify(value as never, { relaxed: true });
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  } catch {
    return String(value);
  }
}

/** The one operator key of an expected `{ $$op: arg }` document, if it is one. */
function specialOperator(expected: unknown): string | undefined {
  if (!isDocument(expected)) return undefined;
  const keys = Object.keys(expected);
  return keys.length === 1 && keys[0].startsWith('$$') ? keys[0] : undefined;
}

/** Context carried through a match: entity look-up and the path for messages. */
interface MatchContext {
  entities: EntityLookup;
  path: string;
}

/** Hex digits of a Binary or Buffer. */
function hexOf(value: unknown): string | undefined {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (bsonType(value) === 'Binary') return Buffer.from((value as { buffer: Uint8Array }).buffer).toString('hex');
  return undefined;
}

/** Evaluates one `$$` operator; returns a mismatch reason or null. `present` says whether the field exists. */
function matchOperator(op: string, arg: unknown, actual: unknown, present: boolean, ctx: MatchContext, root = false): string | null {
  const at = ctx.path || '(root)';
  switch (op) {
    case '$$exists':
      return Boolean(arg) === present ? null : `${at}: expected ${arg ? 'present' : 'absent'}, got ${present ? show(actual) : 'absent'}`;
    case '$$type': {
      const wanted = Array.isArray(arg) ? (arg as string[]) : [arg as string];
      if (!present) return `${at}: expected type ${wanted.join('|')}, field absent`;
      const have = typeNamesOf(actual);
      return wanted.some((w) => have.includes(w)) ? null : `${at}: expected type ${wanted.join('|')}, got ${have[0]} ${show(actual)}`;
    }
    case '$$unsetOrMatches':
      if (!present || actual === undefined) return null;
      return matchValue(arg, actual, root, ctx);
    case '$$matchesEntity':
      return matchValue(ctx.entities(String(arg)), actual, false, ctx);
    case '$$matchesHexBytes': {
      const hex = hexOf(actual);
      return hex !== undefined && hex === String(arg).toLowerCase() ? null : `${at}: expected bytes ${String(arg)}, got ${show(actual)}`;
    }
    case '$$sessionLsid': {
      const session = ctx.entities(String(arg)) as { id?: unknown };
      return matchValue(session.id, actual, false, ctx);
    }
    case '$$lte': {
      const limit = numericValue(arg);
      const value = numericValue(actual);
      if (limit === undefined || value === undefined) return `${at}: $$lte needs numbers, got ${show(actual)}`;
      return Number(value) <= Number(limit) ? null : `${at}: expected <= ${show(arg)}, got ${show(actual)}`;
    }
    case '$$matchAsDocument': {
      if (typeof actual !== 'string') return `${at}: $$matchAsDocument expects a JSON string, got ${show(actual)}`;
      let parsed: unknown;
      try {
        parsed = EJSON.parse(actual, { relaxed: false });
      } catch {
        return `${at}: not extended JSON: ${show(actual)}`;
      }
      return matchValue(arg, parsed, false, ctx);
    }
    case '$$matchAsRoot':
      return matchValue(arg, actual, true, ctx);
    default:
      return `runner: unsupported match operator ${op}`;
  }
}

/** Matches a document: every expected key; extra actual keys only when `root`. */
function matchDocument(expected: Record<string, unknown>, actual: unknown, root: boolean, ctx: MatchContext): string | null {
  if (!isDocument(actual)) return `${ctx.path || '(root)'}: expected a document, got ${show(actual)}`;
  for (const [key, want] of Object.entries(expected)) {
    const path = ctx.path ? `${ctx.path}.${key}` : key;
    const present = Object.prototype.hasOwnProperty.call(actual, key) && actual[key] !== undefined;
    const op = specialOperator(want);
    if (op) {
      const reason = matchOperator(op, (want as Record<string, unknown>)[op], actual[key], present, { ...ctx, path });
      if (reason) return reason;
      continue;
    }
    if (!present) return `${path}: missing, expected ${show(want)}`;
    const reason = matchValue(want, actual[key], false, { ...ctx, path });
    if (reason) return reason;
  }
  if (!root) {
    const extra = Object.keys(actual).filter((k) => actual[k] !== undefined && !(k in expected));
    if (extra.length) return `${ctx.path || '(root)'}: unexpected field(s) ${extra.join(', ')} in nested document ${show(actual)}`;
  }
  return null;
}

/** The own fields of a driver option object (a class instance that is no BSON value, date, regex or bytes), as BSON serialises it; anything else unchanged. */
function optionClassFields(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || isDocument(value) || bsonType(value) !== undefined) return value;
  if (value instanceof Date || value instanceof RegExp || value instanceof Uint8Array) return value;
  return { ...value };
}

/** Matches a value by the format's rules; `root` allows extra fields at this level. Returns a reason or null. */
export function matchValue(expected: unknown, actualValue: unknown, root: boolean, ctx: MatchContext): string | null {
  const at = ctx.path || '(root)';
  // The driver hands some documents of a command over as Maps (a find's sort, for one), or as
  // option classes (ReadConcern): on the wire both are documents of their own fields.
  const actual = actualValue instanceof Map ? Object.fromEntries(actualValue) : optionClassFields(actualValue);
  const op = specialOperator(expected);
  if (op) return matchOperator(op, (expected as Record<string, unknown>)[op], actual, actual !== undefined, ctx, root);
  if (isDocument(expected)) return matchDocument(expected, actual, root, ctx);
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${at}: expected an array, got ${show(actual)}`;
    if (actual.length !== expected.length) return `${at}: expected ${expected.length} element(s), got ${actual.length}: ${show(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const reason = matchValue(expected[i], actual[i], false, { ...ctx, path: `${ctx.path}[${i}]` });
      if (reason) return reason;
    }
    return null;
  }
  const wantNumber = numericValue(expected);
  if (wantNumber !== undefined) {
    const haveNumber = numericValue(actual);
    return haveNumber !== undefined && sameNumber(wantNumber, haveNumber) ? null : `${at}: expected ${show(expected)}, got ${show(actual)}`;
  }
  return sameScalar(expected, actual) ? null : `${at}: expected ${show(expected)}, got ${show(actual)}`;
}

/** Equality of non-number, non-container values (strings, booleans, null, BSON wrappers, dates). */
function sameScalar(expected: unknown, actual: unknown): boolean {
  if (expected === null || typeof expected !== 'object') return expected === actual;
  if (expected instanceof Date) return actual instanceof Date && actual.getTime() === expected.getTime();
  const type = bsonType(expected);
  if (type === 'Binary') return hexOf(actual) === hexOf(expected) && (actual as { sub_type: number }).sub_type === (expected as { sub_type: number }).sub_type;
  if (type && type !== bsonType(actual)) return false;
  return show(expected) === show(actual);
}

/** Matches an array of root-level documents (results of find, aggregate...): each element may have extra fields. */
export function matchRootArray(expected: unknown, actual: unknown, ctx: MatchContext): string | null {
  if (!Array.isArray(expected) || !Array.isArray(actual)) return matchValue(expected, actual, true, ctx);
  if (actual.length !== expected.length) return `expected ${expected.length} document(s), got ${actual.length}: ${show(actual)}`;
  for (let i = 0; i < expected.length; i++) {
    const reason = matchValue(expected[i], actual[i], true, { ...ctx, path: `[${i}]` });
    if (reason) return reason;
  }
  return null;
}
