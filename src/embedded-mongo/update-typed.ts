/**
 * Update operators whose result depends on BSON numeric types, applied by this server where
 * mingo would compare or compute with the wrappers of bson-numbers.ts (`Long`, integral
 * `Double`, `Decimal128`) as objects:
 * - `$min` / `$max`: compared in MongoDB's BSON order (`compareValues`: numbers by value across
 *   types, then type order); the winner is stored as it is, keeping its type; equal values leave
 *   the field alone. Done directly on every path through plain documents (wrappers or not:
 *   mingo's JS comparison would not follow BSON order across types either), and on array and
 *   positional paths (`a.0.n`, `a.$.n`, `a.$[].n`, `a.$[x].n`) when a wrapper is involved.
 * - `$inc` / `$mul` on array and positional paths when the operand or a target holds a wrapper:
 *   MongoDB's numeric type rules (update-numbers.ts numericUpdate) on each element picked.
 * Paths with several positional parts, or that would create array elements, are refused
 * (NotImplemented) when a wrapper is involved; without wrappers they stay mingo's.
 */
import type { Document } from 'bson';
import { isNumericWrapper } from './bson-numbers';
import { compareValues } from './bson-order';
import { CommandError } from './errors';
import { checkApplicable } from './update-check';
import { describeId, numericUpdate } from './update-numbers';
import { deepCopy, getPath, isPlainObject, setPath } from './values';

/** The concrete element paths an update path picks in the document (positional parts resolved). */
export type PathResolver = (path: string) => string[];

/** Whether `path` goes through plain objects only (or stops at a missing field): no arrays, no positional parts. */
export function plainPath(doc: Document, path: string): boolean {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === undefined) return true;
    if (!isPlainObject(cur) || part === '' || part.startsWith('$')) return false;
    cur = cur[part];
  }
  return true;
}

/** Whether a numeric wrapper is anywhere in `v` (sub-documents and arrays included). */
function containsWrapper(v: unknown): boolean {
  if (isNumericWrapper(v)) return true;
  if (Array.isArray(v)) return v.some(containsWrapper);
  return isPlainObject(v) && Object.values(v).some(containsWrapper);
}

/**
 * The existing places an array or positional path picks, when `value` or the values under the
 * path's first field hold a wrapper; undefined otherwise (mingo applies the path as before).
 */
function wrapperTargets(doc: Document, op: string, path: string, value: unknown, resolve: PathResolver): string[] | undefined {
  if (!isNumericWrapper(value) && !containsWrapper(doc[path.split('.')[0]])) return undefined;
  const targets = resolve(path);
  for (const target of targets) {
    const dot = target.lastIndexOf('.');
    const parent = dot < 0 ? doc : getPath(doc, target.slice(0, dot));
    const last = target.slice(dot + 1);
    const exists = isPlainObject(parent) || (Array.isArray(parent) && /^\d+$/.test(last) && Number(last) < parent.length);
    if (!exists) {
      throw new CommandError('NotImplemented', `${op} on the path '${path}' creating a field or array element, with an int64, double or decimal128 value involved, is not supported by the embedded server`);
    }
  }
  return targets;
}

/** Stores `value` at an existing place (checked by wrapperTargets) or a plain path. */
function setAt(doc: Document, path: string, value: unknown): void {
  const dot = path.lastIndexOf('.');
  const parent = dot < 0 ? doc : getPath(doc, path.slice(0, dot));
  const last = path.slice(dot + 1);
  if (Array.isArray(parent)) parent[Number(last)] = value;
  else if (isPlainObject(parent)) parent[last] = value;
  else setPath(doc, path, value);
}

/**
 * Performs `$min` / `$max` on `doc` where this server does (see the module comment); returns
 * the paths left for mingo.
 */
export function typedMinMax(doc: Document, op: '$min' | '$max', fields: Document, resolve: PathResolver): Document {
  const rest: Document = {};
  for (const [path, value] of Object.entries(fields)) {
    // _id stays mingo's, which refuses changing it.
    const targets = path === '_id' || path.startsWith('_id.') ? undefined : plainPath(doc, path) ? [path] : wrapperTargets(doc, op, path, value, resolve);
    if (!targets) {
      rest[path] = value;
      continue;
    }
    for (const target of targets) {
      const current = getPath(doc, target);
      const c = current === undefined ? 0 : compareValues(value, current);
      if (current === undefined || (op === '$max' ? c > 0 : c < 0)) setAt(doc, target, deepCopy(value));
    }
  }
  return rest;
}

/**
 * `$inc` / `$mul` of `amount` on an array or positional `path` involving a wrapper, performed on
 * `doc` with MongoDB's numeric types; false when no wrapper is involved (left to mingo).
 */
export function typedElementArithmetic(doc: Document, op: '$inc' | '$mul', path: string, amount: unknown, resolve: PathResolver): boolean {
  const targets = wrapperTargets(doc, op, path, amount, resolve);
  if (!targets) return false;
  for (const target of targets) {
    const current = getPath(doc, target);
    const next = numericUpdate(op, current, amount, () => describeId(doc._id));
    if (next === undefined) {
      // A non-numeric target: MongoDB's TypeMismatch, as for a plain path.
      checkApplicable(doc, { [op]: { [target]: amount } });
      throw new CommandError('TypeMismatch', `Cannot apply ${op} to a value of non-numeric type at '${target}'`);
    }
    setAt(doc, target, next);
  }
  return true;
}
