/**
 * Projections. A simple one — top-level fields only, each 0/1 or false/true, inclusion or
 * exclusion (with `_id` either way), as drivers and mongoose send for `select` — is applied by
 * copying the wanted fields in the document's own order, as MongoDB returns them. `$slice` on
 * top-level fields with nothing else but exclusions is an exclusion projection since MongoDB 4.4
 * (every other field is returned) and is applied here too. Anything else (dotted paths,
 * `$elemMatch`, positional `$` — matched against the command's filter —, expressions, `$slice`
 * with inclusions) goes to mingo, which also reports the invalid ones; its output is then put
 * back into the document's field order (`_id` first when the document has it first), with
 * computed fields after, as MongoDB returns them.
 */
import type { Document } from 'bson';
import { Query } from './mingo-bson';
import { withCommandNow } from './command-clock';
import { QUERY_OPTIONS } from './mingo-options';
import { isPlainObject } from './values';

/** Applies a projection to one stored document, returning a new document (or the stored one for an empty projection). */
export type Projector = (doc: Document) => Document;

const IDENTITY: Projector = (doc) => doc;
const EVERYTHING = new Query({}, QUERY_OPTIONS);

/** Whether `spec` is a simple projection (see the module comment). */
function isSimple(spec: Document): boolean {
  let includes = 0;
  let excludes = 0;
  for (const k of Object.keys(spec)) {
    const v: unknown = spec[k];
    if (k.includes('.') || k.startsWith('$') || (v !== 0 && v !== 1 && v !== true && v !== false)) return false;
    if (k === '_id') continue;
    if (v === 1 || v === true) includes++;
    else excludes++;
  }
  return !(includes > 0 && excludes > 0);
}

/** The projector for `spec`; `filter` is the command's query, which positional `$` projections need. */
export function compileProjection(spec: Document, filter: Document = {}): Projector {
  const keys = Object.keys(spec);
  if (keys.length === 0) return IDENTITY;
  if (!isSimple(spec)) return sliceProjection(spec) ?? mingoProjection(spec, filter);
  const idWanted = spec._id === undefined || spec._id === 1 || spec._id === true;
  const included = keys.filter((k) => k !== '_id' && (spec[k] === 1 || spec[k] === true));
  // `{_id: 1}` alone is an inclusion of `_id` only.
  if (included.length > 0 || (keys.length === 1 && keys[0] === '_id' && idWanted)) {
    const wanted = new Set(included);
    if (idWanted) wanted.add('_id');
    return (doc) => {
      const out: Document = {};
      for (const k of Object.keys(doc)) if (wanted.has(k)) out[k] = doc[k];
      return out;
    };
  }
  const unwanted = new Set(keys.filter((k) => k !== '_id'));
  if (!idWanted) unwanted.add('_id');
  return (doc) => {
    const out: Document = {};
    for (const k of Object.keys(doc)) if (!unwanted.has(k)) out[k] = doc[k];
    return out;
  };
}

/** A projection through mingo (compiled once per command; mingo validates the spec on the first document). */
function mingoProjection(spec: Document, filter: Document): Projector {
  const positional = Object.keys(spec).some((k) => k.endsWith('.$') || k.includes('.$.'));
  // A computed field may use $$NOW: then the query carries the command's time (command-clock.ts).
  const computed = Object.values(spec).some((v) => typeof v === 'string' || (typeof v === 'object' && v !== null));
  const query = positional || computed ? new Query(positional ? filter : {}, computed ? withCommandNow(QUERY_OPTIONS) : QUERY_OPTIONS) : EVERYTHING;
  return (doc) => inDocumentOrder(doc, query.find<Document>([doc], spec).all()[0] ?? {});
}

/**
 * The field order of aggregation's `$project` (mingo emits its own): fields kept from the input
 * in the input's order, then computed fields in the order the stage names them, as MongoDB's
 * projection executor adds them. Undefined when the stage only excludes (order is kept then).
 */
export function projectStageOrder(spec: Document): ((source: Document, out: Document) => Document) | undefined {
  const computed = Object.keys(spec).filter((k) => !k.includes('.') && isComputed(spec[k]));
  const includes = Object.values(spec).some((v) => v === 1 || v === true || isComputed(v) || isPlainObject(v));
  if (!includes) return undefined;
  const late = new Set(computed);
  return (source, out) => inDocumentOrder(source, out, late, computed);
}

/** Whether a `$project` value computes the field (an expression or a literal) rather than keeping or dropping it. */
function isComputed(v: unknown): boolean {
  if (v === 0 || v === 1 || v === true || v === false) return false;
  if (isPlainObject(v)) return Object.keys(v).some((k) => k.startsWith('$'));
  return true;
}

/**
 * `out`'s fields in the order `source` has them (recursively), except the top-level `late` ones,
 * which follow in the order `lateOrder` names them; then fields `source` lacks.
 */
function inDocumentOrder(source: Document, out: Document, late?: ReadonlySet<string>, lateOrder: readonly string[] = []): Document {
  const ordered: Document = {};
  for (const k of Object.keys(source)) {
    if (!(k in out) || late?.has(k)) continue;
    const v: unknown = out[k];
    const from: unknown = source[k];
    ordered[k] = isPlainObject(v) && isPlainObject(from) ? inDocumentOrder(from, v) : v;
  }
  for (const k of lateOrder) if (k in out) ordered[k] = out[k];
  for (const k of Object.keys(out)) if (!(k in ordered)) ordered[k] = out[k];
  return ordered;
}

/** A `$slice` argument: `n` (first n, or last -n) or `[skip, n]` (n > 0; negative skip counts from the end). */
function sliceOf(arg: unknown): ((arr: unknown[]) => unknown[]) | undefined {
  const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
  if (isInt(arg)) return (arr) => (arg >= 0 ? arr.slice(0, arg) : arr.slice(Math.max(arr.length + arg, 0)));
  if (Array.isArray(arg) && arg.length === 2 && isInt(arg[0]) && isInt(arg[1]) && arg[1] > 0) {
    const [skip, n] = arg as [number, number];
    return (arr) => {
      const start = skip >= 0 ? Math.min(skip, arr.length) : Math.max(arr.length + skip, 0);
      return arr.slice(start, start + n);
    };
  }
  return undefined;
}

/**
 * `$slice` on top-level fields with only exclusions beside it: every field but the excluded
 * ones, in document order, arrays sliced and non-arrays as they are (MongoDB 4.4+). Undefined
 * for any other projection (or an argument mingo should reject).
 */
function sliceProjection(spec: Document): Projector | undefined {
  const slices = new Map<string, (arr: unknown[]) => unknown[]>();
  const excluded = new Set<string>();
  for (const [k, v] of Object.entries(spec)) {
    if (k.includes('.') || k.startsWith('$')) return undefined;
    if (v === 0 || v === false) excluded.add(k);
    else if (isPlainObject(v) && Object.keys(v).length === 1 && '$slice' in v) {
      const slice = sliceOf(v.$slice);
      if (!slice) return undefined;
      slices.set(k, slice);
    } else return undefined;
  }
  if (slices.size === 0) return undefined;
  return (doc) => {
    const out: Document = {};
    for (const k of Object.keys(doc)) {
      if (excluded.has(k)) continue;
      const v: unknown = doc[k];
      const slice = slices.get(k);
      out[k] = slice && Array.isArray(v) ? slice(v) : v;
    }
    return out;
  };
}
