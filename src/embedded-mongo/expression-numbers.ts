/**
 * Numbers as mingo's expression operators can compute with them. mingo treats the numeric
 * wrappers this server keeps (bson-numbers.ts: `Long`, integral `Double`, `Decimal128`) as
 * objects, so `{$gt: ['$a', 3]}` over a stored `Long(5)` would be false and `{$add: ['$a', 1]}`
 * an error. Expressions that read stored documents — `$expr` in filters (mingo-bson.ts) and
 * update pipelines (update-pipeline.ts) — therefore run on a view of the document with those
 * values as JS numbers:
 * - `Long` (within ±2^53), `Double`, `Int32` → the number (withPlainNumbers);
 * - `Decimal128` → the number it equals exactly (`Decimal128('2.5')` → 2.5); a decimal no double
 *   equals (`0.1`) cannot be computed with exactly: when the expression reads its field, the
 *   command is refused (NotImplemented) rather than compared or summed approximately; in other
 *   fields it stays as it is.
 * After an update pipeline, `restoreTypes` puts back the stored value (with its BSON type) of
 * every field whose plain value the pipeline left unchanged; computed numbers stay JS numbers
 * (int32 when integral and in range, else double on the wire).
 */
import type { Decimal128, Document } from 'bson';
import { decimalAsNumber, withPlainNumbers } from './bson-numbers';
import { CommandError } from './errors';
import { isPlainObject } from './values';

/** The top-level fields an expression reads, or 'all' when it reads the whole document. */
type FieldRefs = ReadonlySet<string> | 'all';

/**
 * The top-level fields `expr` (an expression, or a list of pipeline stages) refers to as
 * `'$field…'`; 'all' when it uses `$$ROOT` / `$$CURRENT` or `$getField` (which name fields
 * otherwise). An over-approximation: `$literal` strings count too.
 */
export function fieldRefs(expr: unknown): FieldRefs {
  const refs = new Set<string>();
  const stack: unknown[] = [expr];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (v.startsWith('$$ROOT') || v.startsWith('$$CURRENT')) return 'all';
      if (v.startsWith('$') && !v.startsWith('$$')) refs.add(v.slice(1).split('.')[0]);
    } else if (Array.isArray(v)) {
      stack.push(...(v as unknown[]));
    } else if (isPlainObject(v)) {
      if ('$getField' in v) return 'all';
      stack.push(...Object.values(v));
    }
  }
  return refs;
}

/** A Decimal128 as the number it equals exactly; kept as it is when no double equals it. */
function exactDecimal(d: Decimal128): unknown {
  return decimalAsNumber(d) ?? d;
}

/** Whether an inexact Decimal128 (one no double equals) is anywhere in `v`. */
function inexactDecimalIn(v: unknown): Decimal128 | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  if ((v as { _bsontype?: string })._bsontype === 'Decimal128') return decimalAsNumber(v as Decimal128) === undefined ? (v as Decimal128) : undefined;
  for (const inner of Array.isArray(v) ? v : isPlainObject(v) ? Object.values(v) : []) {
    const found = inexactDecimalIn(inner);
    if (found) return found;
  }
  return undefined;
}

/**
 * `doc` with its numeric wrappers as JS numbers (see the module comment); copies only what
 * changes. A decimal no double equals, in a field `refs` says the expression reads, is refused.
 */
export function expressionView(doc: Document, refs: FieldRefs): Document {
  for (const field of refs === 'all' ? Object.keys(doc) : refs) {
    const inexact = inexactDecimalIn(doc[field]);
    if (inexact) {
      throw new CommandError('NotImplemented', `computing with the Decimal128 value ${inexact.toString()} (no double equals it) in an expression is not supported by the embedded server`);
    }
  }
  return withPlainNumbers(doc, exactDecimal);
}

/**
 * `out` (the result of computing on `view`, the expressionView of `orig`) with the stored value
 * of `orig` back wherever the pipeline left the plain value as it was: a number equal to the
 * view's number at the same place, recursively through sub-documents and arrays (by position).
 * `out` is not modified; changed parts are copies.
 */
export function restoreTypes(orig: unknown, view: unknown, out: unknown): unknown {
  // withPlainNumbers keeps identity where nothing was converted: nothing to restore below.
  if (orig === view) return out;
  if (typeof out === 'number') return typeof view === 'number' && Object.is(out, view) ? orig : out;
  if (Array.isArray(out)) {
    if (!Array.isArray(view) || !Array.isArray(orig)) return out;
    let copy: unknown[] | undefined;
    for (let i = 0; i < out.length && i < view.length; i++) {
      const v = restoreTypes(orig[i], view[i], out[i]);
      if (v !== out[i]) (copy ??= out.slice())[i] = v;
    }
    return copy ?? out;
  }
  if (!isPlainObject(out) || !isPlainObject(view) || !isPlainObject(orig)) return out;
  let copy: Document | undefined;
  for (const k of Object.keys(out)) {
    if (!(k in view)) continue;
    const v = restoreTypes(orig[k], view[k], out[k]);
    if (v !== out[k]) (copy ??= { ...out })[k] = v;
  }
  return copy ?? out;
}
