/**
 * Which aggregation stages can run under a collation. mingo applies a collation to `$sort` only;
 * `$match` stages get the collation-aware filter (collated-filter.ts). Every other place MongoDB
 * compares strings under the collation — grouping keys, `$min`/`$max`/`$addToSet`, expression
 * comparisons (`$eq`, `$cmp`, `$in`, set operators…), `$lookup` joins — would silently compare
 * binary strings, so a pipeline holding one is refused with NotImplemented naming it.
 */
import type { Document } from 'bson';
import { CommandError } from './errors';
import { isPlainObject } from './values';

/** Expression operators whose result depends on how strings compare. */
const SENSITIVE_OPERATORS = new Set([
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$cmp',
  '$in',
  '$indexOfArray',
  '$setEquals',
  '$setIntersection',
  '$setUnion',
  '$setDifference',
  '$setIsSubset',
  '$min',
  '$max',
  '$addToSet',
  '$sortArray',
  '$minN',
  '$maxN',
  '$top',
  '$bottom',
  '$topN',
  '$bottomN',
]);

/** Stages that group, join or window by values: refused under a collation. */
const SENSITIVE_STAGES = new Set(['$bucket', '$bucketAuto', '$sortByCount', '$lookup', '$graphLookup', '$setWindowFields', '$unionWith', '$facet', '$densify', '$fill']);

function refuse(what: string): CommandError {
  return new CommandError('NotImplemented', `${what} with a collation is not supported by the embedded server`);
}

/** The first collation-sensitive operator inside an expression, if any. */
function sensitiveOperator(expr: unknown): string | undefined {
  if (Array.isArray(expr)) {
    for (const e of expr) {
      const found = sensitiveOperator(e);
      if (found) return found;
    }
  } else if (isPlainObject(expr)) {
    for (const [k, v] of Object.entries(expr)) {
      if (SENSITIVE_OPERATORS.has(k)) return k;
      const found = sensitiveOperator(v);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Throws NotImplemented when `stage` (not a `$match` or `$sort`, which are handled) would compare
 * strings without the collation: a grouping by a computed key, a join, or an expression with a
 * comparison. A `$group` with a constant `_id` (what `countDocuments` sends) is fine.
 */
export function checkCollatedStage(stage: Document): void {
  const op = Object.keys(stage)[0];
  if (op === '$match' || op === '$sort') return;
  if (SENSITIVE_STAGES.has(op)) throw refuse(op);
  if (op === '$group') {
    const id: unknown = isPlainObject(stage.$group) ? stage.$group._id : undefined;
    const constant = id === null || typeof id === 'number' || typeof id === 'boolean' || (typeof id === 'string' && !id.startsWith('$'));
    if (!constant) throw refuse('$group by a computed _id');
  }
  const operator = sensitiveOperator(stage[op]);
  if (operator) throw refuse(`${operator} in ${op}`);
}
