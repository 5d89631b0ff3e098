/**
 * Collations: how strings compare when a command, a collection or an index names a locale
 * (`{locale: 'en', strength: 2}`). A collation document is checked as MongoDB 7.0 checks it
 * (collator_factory_icu.cpp, collation.idl) and turned into an `Intl.Collator` (V8's ICU), kept
 * in a small cache so the same collation is built once. `{locale: 'simple'}` is binary comparison:
 * no collator at all, the path of a command without collation.
 *
 * What Intl can express is honoured: any locale ICU knows (MongoDB's `en_US` spelling, `@collation=`
 * variants), strength 1–3, `caseLevel` at strength 1, `caseFirst`, `numericOrdering`. What it cannot
 * (`alternate: 'shifted'`, `backwards`, `normalization`, strength 4/5, `caseLevel` above strength 1)
 * is refused with NotImplemented naming the option, never approximated.
 */
import type { Document } from 'bson';
import type { CollationSpec } from 'mingo/types';
import { compareValuesWith, type StringOrder } from './bson-order';
import { CommandError } from './errors';
import { formatValue, isPlainObject } from './values';

/** The ICU version MongoDB 7.0 reports in a collation's `version`. */
const ICU_VERSION = '57.1';

/** A collation other than `simple`: its full specification (as MongoDB lists it) and its order. */
export interface Collation {
  /** Every option with its value, as MongoDB reports an index's or collection's collation. */
  readonly spec: Readonly<Document>;
  /** Identity: two collations with the same id order every pair of values alike. */
  readonly id: string;
  /** How two strings compare. */
  readonly strings: StringOrder;
  /** `compareValues` with strings (also nested ones) under this collation. */
  readonly compare: (a: unknown, b: unknown) => number;
  /** The same collation as mingo's `collation` option takes it (a BCP 47 locale tag). */
  readonly mingo: CollationSpec;
}

/** The options a collation document may hold, with the BSON type each must have. */
const FIELDS: Record<string, 'string' | 'bool' | 'int'> = {
  locale: 'string',
  caseLevel: 'bool',
  caseFirst: 'string',
  strength: 'int',
  numericOrdering: 'bool',
  alternate: 'string',
  maxVariable: 'string',
  normalization: 'bool',
  backwards: 'bool',
  version: 'string',
};

/** At most this many collations are kept built (a client cannot grow the cache without bound). */
const CACHE_LIMIT = 64;
const cache = new Map<string, Collation | undefined>();

/**
 * The collation a collation document describes; undefined for `{locale: 'simple'}` (binary order).
 * Throws MongoDB's error for an invalid document, NotImplemented for an option Intl cannot honour.
 */
export function parseCollation(raw: unknown): Collation | undefined {
  if (!isPlainObject(raw)) throw wrongType('collation', raw, 'object');
  const key = formatValue(raw);
  if (cache.has(key)) return cache.get(key);
  const built = build(raw);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, built);
  return built;
}

/** The BSON type name MongoDB's messages use for a value. */
export function bsonTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'double';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (v instanceof RegExp) return 'regex';
  const t = (v as { _bsontype?: string })._bsontype;
  const names: Record<string, string> = { ObjectId: 'objectId', Long: 'long', Decimal128: 'decimal', Double: 'double', Int32: 'int', Binary: 'binData', Timestamp: 'timestamp', BSONRegExp: 'regex' };
  return (t && names[t]) ?? 'object';
}

/** MongoDB's TypeMismatch for a field of the wrong type (IDL wording). */
export function wrongType(field: string, v: unknown, expected: string): CommandError {
  return new CommandError('TypeMismatch', `BSON field '${field}' is the wrong type '${bsonTypeName(v)}', expected type '${expected}'`);
}

function checkFields(raw: Document): void {
  for (const [field, v] of Object.entries(raw)) {
    const type = FIELDS[field];
    if (type === undefined) throw new CommandError('Location40415', `BSON field 'collation.${field}' is an unknown field.`);
    const ok = type === 'string' ? typeof v === 'string' : type === 'bool' ? typeof v === 'boolean' : isWholeNumber(v);
    if (!ok) throw wrongType(`collation.${field}`, v, type);
  }
  if (raw.locale === undefined) throw new CommandError('Location40414', "BSON field 'collation.locale' is missing but a required field");
}

function isWholeNumber(v: unknown): boolean {
  const n = typeof v === 'number' ? v : (v as { _bsontype?: string } | null)?._bsontype === 'Long' || (v as { _bsontype?: string } | null)?._bsontype === 'Int32' ? Number(v) : NaN;
  return Number.isInteger(n);
}

function oneOf(field: string, v: unknown, allowed: string[]): void {
  if (v !== undefined && !allowed.includes(v as string)) {
    throw new CommandError('FailedToParse', `Field '${field}' must be ${allowed.map((a) => `'${a}'`).join(' or ')}. Got: ${String(v)}`);
  }
}

function refuse(what: string): CommandError {
  return new CommandError('NotImplemented', `collation option ${what} is not supported by the embedded server`);
}

function build(raw: Document): Collation | undefined {
  checkFields(raw);
  const locale = raw.locale as string;
  if (locale.includes('\0')) throw new CommandError('BadValue', `Field 'locale' cannot contain null byte. Collation spec: ${formatValue(raw)}`);
  if (locale === 'simple') return undefined;
  if (locale === '') throw new CommandError('BadValue', `Field 'locale' cannot be the empty string in: ${formatValue(raw)}`);
  const strength = raw.strength === undefined ? 3 : Number(raw.strength);
  if (!(strength >= 1 && strength <= 5)) throw new CommandError('FailedToParse', `Field 'strength' must be an integer 1 through 5. Got: ${strength}`);
  oneOf('caseFirst', raw.caseFirst, ['upper', 'lower', 'off']);
  oneOf('alternate', raw.alternate, ['non-ignorable', 'shifted']);
  oneOf('maxVariable', raw.maxVariable, ['punct', 'space']);
  const tag = localeTag(locale, raw);
  const caseLevel = raw.caseLevel === true;
  const caseFirst = (raw.caseFirst as string | undefined) ?? 'off';
  if (raw.backwards === true && strength === 1) throw new CommandError('BadValue', `'backwards' is invalid with 'strength' of 1 in: ${formatValue(raw)}`);
  if (caseFirst !== 'off' && !caseLevel && strength < 3) {
    throw new CommandError('BadValue', `'caseFirst' is invalid unless 'caseLevel' is on or 'strength' is greater than 2 in: ${formatValue(raw)}`);
  }
  if (raw.version !== undefined && raw.version !== ICU_VERSION) {
    throw new CommandError('IncompatibleCollationVersion', `Requested collation version ${String(raw.version)} but the only available collator version was ${ICU_VERSION}. Requested collation spec: ${formatValue(raw)}`);
  }
  if (strength > 3) throw refuse(`strength ${strength}`);
  if (caseLevel && strength > 1) throw refuse(`caseLevel with strength ${strength}`);
  if (raw.alternate === 'shifted') throw refuse("alternate 'shifted'");
  if (raw.backwards === true) throw refuse('backwards');
  if (raw.normalization === true) throw refuse('normalization');
  const collator = new Intl.Collator(tag, {
    usage: 'sort',
    sensitivity: strength === 1 ? (caseLevel ? 'case' : 'base') : strength === 2 ? 'accent' : 'variant',
    numeric: raw.numericOrdering === true,
    ...(raw.caseFirst === undefined ? {} : { caseFirst: caseFirst === 'off' ? 'false' : (caseFirst as 'upper' | 'lower') }),
  });
  const spec: Document = {
    locale,
    caseLevel,
    caseFirst,
    strength,
    numericOrdering: raw.numericOrdering === true,
    alternate: 'non-ignorable',
    maxVariable: (raw.maxVariable as string | undefined) ?? 'punct',
    normalization: false,
    backwards: false,
    version: ICU_VERSION,
  };
  const strings: StringOrder = (a, b) => (a === b ? 0 : collator.compare(a, b));
  const mingo: CollationSpec = { locale: tag, strength: strength as 1 | 2 | 3, caseLevel, caseFirst: raw.caseFirst as 'upper' | 'lower' | 'off' | undefined, numericOrdering: raw.numericOrdering === true };
  return { spec, id: formatValue(spec), strings, compare: (a, b) => compareValuesWith(a, b, strings), mingo };
}

/**
 * The BCP 47 tag of a MongoDB (ICU) locale id such as `en_US` or `de@collation=phonebook`, when
 * ICU has collation data for exactly that locale; otherwise MongoDB's BadValue. Like MongoDB, a
 * locale ICU would only approximate (an unknown region, another spelling) is refused.
 */
function localeTag(locale: string, raw: Document): string {
  const invalid = () => new CommandError('BadValue', `Field 'locale' is invalid in: ${formatValue(raw)}`);
  const m = /^([a-z]{2,3}(?:_[A-Z][a-z]{3})?(?:_[A-Z]{2}|_[0-9]{3})?)(?:@collation=([a-z]{3,8}))?$/.exec(locale);
  if (!m) throw invalid();
  const base = m[1].replace(/_/g, '-');
  const tag = m[2] ? `${base}-u-co-${m[2]}` : base;
  let resolved: Intl.ResolvedCollatorOptions;
  try {
    if (Intl.Collator.supportedLocalesOf([tag]).length === 0) throw invalid();
    resolved = new Intl.Collator(tag).resolvedOptions();
  } catch (err) {
    if (err instanceof CommandError) throw err;
    throw invalid();
  }
  if (resolved.locale.split('-u-')[0].toLowerCase() !== base.toLowerCase()) throw invalid();
  if (m[2] && resolved.collation !== m[2]) throw invalid();
  return tag;
}
