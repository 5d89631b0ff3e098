/**
 * Matching a filter under a collation. MongoDB compares every string of a filter (equality,
 * `$in`/`$nin`, `$ne`, ranges, `$all`, `$elemMatch`, values inside sub-documents and arrays) with
 * the document's strings under the collation; regular expressions still match the raw bytes.
 *
 * A filter only ever compares a document's value with one of its own constants, so the strings
 * of the document need only be placed relative to those constants. The filter's strings are
 * sorted under the collation into classes of equal strings; each class becomes a short "token"
 * at an odd position, and each document string the token of its class, or of the gap between two
 * classes (an even position). Binary comparison of tokens then gives exactly the collation's
 * answers, and the ordinary matcher (filter.ts, mingo) runs on the tokenised filter and document
 * with all of MongoDB's rules for arrays, missing fields and type brackets intact.
 *
 * Conditions with a regular expression (or `$jsonSchema`) are tested on the raw document. A
 * condition that mixes one with collation-sensitive strings, and `$expr` (whose comparisons
 * between two fields of the document tokens cannot order), are refused with NotImplemented.
 */
import type { Document } from 'bson';
import type { Collation } from './collation';
import { CommandError } from './errors';
import type { Predicate } from './filter';
import { isPlainObject } from './values';

/** Operators whose string arguments are not values compared with the document. */
const NOT_COMPARED = new Set(['$type', '$comment', '$options', '$exists', '$size', '$mod', '$bitsAllSet', '$bitsAllClear', '$bitsAnySet', '$bitsAnyClear']);
/** Operators tested on the raw document (they look at the bytes of strings). */
const RAW = new Set(['$regex', '$jsonSchema', '$where', '$text']);

/** What one top-level condition holds. */
interface Traits {
  strings: boolean;
  raw: boolean;
  expr: boolean;
}

function traitsOf(value: unknown, key: string | undefined, out: Traits): void {
  if (key !== undefined && NOT_COMPARED.has(key)) return;
  if (key === '$expr') out.expr = true;
  if (key !== undefined && RAW.has(key)) out.raw = true;
  if (typeof value === 'string') out.strings = true;
  else if (value instanceof RegExp || (value as { _bsontype?: string } | null)?._bsontype === 'BSONRegExp') out.raw = true;
  else if (Array.isArray(value)) for (const v of value) traitsOf(v, undefined, out);
  else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) traitsOf(v, k, out);
}

/** Every compared string in a condition. */
function collectStrings(value: unknown, key: string | undefined, out: string[]): void {
  if (key !== undefined && NOT_COMPARED.has(key)) return;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, undefined, out);
  else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) collectStrings(v, k, out);
}

/** A string's place among the filter's classes: two UTF-16 units below the surrogates, so binary order is position order. */
function token(position: number): string {
  const base = 0xd000;
  return String.fromCharCode(0x100 + Math.floor(position / base), 0x100 + (position % base));
}

/** Places strings among the sorted classes of a filter's strings. */
class Tokens {
  constructor(
    private readonly classes: string[],
    private readonly collation: Collation,
  ) {}

  /** The token of a string: 2i+1 when equal to class i, 2i when just before it. */
  of(s: string): string {
    let lo = 0;
    let hi = this.classes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.collation.strings(this.classes[mid], s) < 0) lo = mid + 1;
      else hi = mid;
    }
    const equal = lo < this.classes.length && this.collation.strings(this.classes[lo], s) === 0;
    return token(2 * lo + (equal ? 1 : 0));
  }

  /** A value with every string (in arrays and sub-documents too) replaced by its token; keys are kept. */
  map(value: unknown, key?: string): unknown {
    if (key !== undefined && NOT_COMPARED.has(key)) return value;
    if (typeof value === 'string') return this.of(value);
    if (Array.isArray(value)) return value.map((v) => this.map(v));
    if (isPlainObject(value)) {
      const out: Document = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.map(v, k);
      return out;
    }
    return value;
  }
}

/** The top-level fields a condition reads (through `$and`/`$or`/`$nor`), or undefined when it may read any. */
function fieldHeads(clause: Document, out: Set<string>): boolean {
  for (const [k, v] of Object.entries(clause)) {
    if (!k.startsWith('$')) out.add(k.split('.')[0]);
    else if ((k === '$and' || k === '$or' || k === '$nor') && Array.isArray(v)) {
      for (const c of v) if (!isPlainObject(c) || !fieldHeads(c, out)) return false;
    } else if (k !== '$comment') return false;
  }
  return true;
}

/**
 * The predicate of `filter` under `collation`; `compile` builds the ordinary (binary) predicate
 * of a filter. A filter without compared strings is compiled as it is.
 */
export function collatedPredicate(filter: Document, collation: Collation, compile: (f: Document) => Predicate): Predicate {
  const rawPart: Document = {};
  const tokenPart: Document = {};
  let anyStrings = false;
  for (const [k, v] of Object.entries(filter)) {
    const t: Traits = { strings: false, raw: false, expr: false };
    traitsOf(v, k, t);
    if (t.expr) throw new CommandError('NotImplemented', '$expr with a collation is not supported by the embedded server');
    if (t.raw && t.strings) throw new CommandError('NotImplemented', `a regular expression together with collation-sensitive values in one condition ('${k}') is not supported by the embedded server`);
    if (t.raw) rawPart[k] = v;
    else tokenPart[k] = v;
    anyStrings ||= t.strings;
  }
  if (!anyStrings) return compile(filter);
  const found: string[] = [];
  collectStrings(tokenPart, undefined, found);
  found.sort(collation.strings);
  const classes = found.filter((s, i) => i === 0 || collation.strings(found[i - 1], s) !== 0);
  const tokens = new Tokens(classes, collation);
  const tokenTest = compile(tokens.map(tokenPart) as Document);
  const heads = new Set<string>();
  const whole = !fieldHeads(tokenPart, heads);
  const mapDoc = (doc: Document): Document => {
    if (whole) return tokens.map(doc) as Document;
    const out: Document = {};
    for (const h of heads) if (doc[h] !== undefined) out[h] = tokens.map(doc[h]);
    return out;
  };
  const rawTest = Object.keys(rawPart).length > 0 ? compile(rawPart) : undefined;
  return (doc) => (rawTest === undefined || rawTest(doc)) && tokenTest(mapDoc(doc));
}
