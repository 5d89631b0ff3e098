/**
 * The modifiers a command may attach to the query part of a read or write, besides filter, sort,
 * skip and limit: `collation` (how strings compare), `let` variables (`$$name` in `$expr` and
 * pipelines) and `hint` (which index to use). Read once per command or statement here, so every
 * command takes them from the same place, and absent ones cost nothing.
 */
import type { Document } from 'bson';
import { isPlainObject } from './values';

/** What the planner and the filter need to know beyond the filter itself. */
export interface QueryModifiers {
  /** A collation document as the client sent it (`{locale: 'en', strength: 2}`); absent: binary comparison. */
  collation?: Document;
  /** The values of `let` variables, by name without `$$`. */
  variables?: Document;
  /** An index name or key pattern that the query must use. */
  hint?: string | Document;
}

/** No modifiers: the common case, shared so nothing is allocated for it. */
export const NO_MODIFIERS: Readonly<QueryModifiers> = Object.freeze({});

/**
 * The modifiers of one query: `collation` and `hint` from `source` (a command, or one statement
 * of an update/delete), `let` from the command (`letSource`, the command itself by default).
 */
export function queryModifiers(source: Document, letSource: Document = source): QueryModifiers {
  const { collation, hint } = source;
  const vars: unknown = letSource.let;
  if (collation === undefined && hint === undefined && vars === undefined) return NO_MODIFIERS;
  const out: QueryModifiers = {};
  if (isPlainObject(collation)) out.collation = collation;
  if (typeof hint === 'string' || isPlainObject(hint)) out.hint = hint;
  if (isPlainObject(vars)) out.variables = vars;
  return out;
}
