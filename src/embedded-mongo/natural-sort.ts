/**
 * `sort: {$natural: 1 | -1}` on find and findAndModify: natural (insertion) order, forwards or
 * backwards, as MongoDB's planner does it — a collection scan in that direction, exactly what a
 * `$natural` hint asks for. MongoDB's rules (CanonicalQuery::isValid, query_request_helper):
 * `$natural` must be the only sort key, with the value 1 or -1 (any numeric type); an index hint
 * is not allowed with it, and a `$natural` hint must go the same way. Each is BadValue (2).
 */
import type { Document } from 'bson';
import { decimalAsNumber, isNumericWrapper } from './bson-numbers';
import { CommandError } from './errors';
import type { QueryOptions } from './planner';

/** The sort's `$natural` direction, or BadValue when it is not a lone 1 or -1. */
function naturalDirection(sort: Document): 1 | -1 {
  const keys = Object.keys(sort);
  const v: unknown = sort.$natural;
  let n: number | undefined;
  if (typeof v === 'number') n = v;
  else if (isNumericWrapper(v)) n = v._bsontype === 'Decimal128' ? decimalAsNumber(v) : Number(v.valueOf());
  if (keys.length !== 1 || (n !== 1 && n !== -1)) throw new CommandError('BadValue', '$natural sort cannot be set to a value other than -1 or 1.');
  return n;
}

/**
 * The query options for a sort naming `$natural`: no sort, and a `$natural` hint in its
 * direction (which the planner runs as a collection scan). Throws MongoDB's BadValue for the
 * combinations it refuses.
 */
export function naturalSortOptions(options: QueryOptions & { sort: Document }): QueryOptions {
  const dir = naturalDirection(options.sort);
  const hint = options.hint;
  if (hint !== undefined) {
    const hinted: unknown = typeof hint === 'object' ? hint.$natural : undefined;
    if (hinted === undefined) throw new CommandError('BadValue', 'index hint not allowed with $natural sort order');
    if (Math.trunc(Number(hinted)) !== dir) throw new CommandError('BadValue', '$natural hint must be in the same direction as $natural sort order');
  }
  return { ...options, sort: undefined, hint: { $natural: dir } };
}
