/**
 * Query operators that need an index type the embedded server does not have: refused with
 * MongoDB's own error instead of matching nothing.
 *
 * - `$text` needs a text index, which cannot exist here: IndexNotFound (27) "text index required
 *   for $text query", as MongoDB answers on a collection without one.
 * - `$near` / `$nearSphere` need a 2d or 2dsphere index: NoQueryExecutionPlans (291) "unable to
 *   find index for $geoNear query", as MongoDB answers without one.
 * - `$geoWithin` / `$within` / `$geoIntersects` work without an index on MongoDB, but the embedded
 *   server has no geometry: NotImplemented (238), naming the operator.
 *
 * The check is a walk over the filter's keys (through `$and`/`$or`/`$nor` and operator documents,
 * at most MAX_DEPTH deep), run once per query before planning.
 */
import type { Document } from 'bson';
import { CommandError } from './errors';
import { isPlainObject } from './values';

const GEO_NEAR = new Set(['$near', '$nearSphere']);
const GEO_MATCH = new Set(['$geoWithin', '$within', '$geoIntersects']);
/** Deeper filters are left to the matcher (documents are at most 100 levels deep anyway). */
const MAX_DEPTH = 200;

/** Throws MongoDB's error when `filter` uses `$text` or a geospatial operator (see the module comment). */
export function refuseIndexOnlyOperators(filter: Document, depth = 0): void {
  if (depth > MAX_DEPTH) return;
  for (const key in filter) {
    const cond: unknown = filter[key];
    if (key === '$text') throw new CommandError('IndexNotFound', 'text index required for $text query');
    if (key === '$and' || key === '$or' || key === '$nor') {
      if (Array.isArray(cond)) for (const c of cond) if (isPlainObject(c)) refuseIndexOnlyOperators(c, depth + 1);
    } else if (isPlainObject(cond)) {
      refuseFieldOperators(cond, depth + 1);
    }
  }
}

function refuseFieldOperators(cond: Document, depth: number): void {
  if (depth > MAX_DEPTH) return;
  for (const op in cond) {
    if (GEO_NEAR.has(op)) throw new CommandError('NoQueryExecutionPlans', 'error processing query: planner returned error :: caused by :: unable to find index for $geoNear query');
    if (GEO_MATCH.has(op)) throw new CommandError('NotImplemented', `${op} is not supported by the embedded server (it has no geospatial queries)`);
    const arg: unknown = cond[op];
    if ((op === '$not' || op === '$elemMatch') && isPlainObject(arg)) {
      if (op === '$elemMatch') refuseIndexOnlyOperators(arg, depth + 1);
      refuseFieldOperators(arg, depth + 1);
    }
  }
}
