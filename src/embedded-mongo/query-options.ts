/**
 * The modifiers a command may attach to the query part of a read or write, besides filter, sort,
 * skip and limit: `collation` (how strings compare), `let` variables (`$$name` in `$expr` and
 * pipelines) and `hint` (which index to use). Read once per command or statement here, so every
 * command takes them from the same place, and absent ones cost nothing.
 */
import type { Document } from 'bson';
import { wrongType } from './collation';
import { undefinedVariable } from './input-errors';
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
  // null is absent (as the driver may serialise an unset option); present but of the wrong type:
  // MongoDB's TypeMismatch, never silently dropped. An empty hint `{}` is no hint, as in MongoDB.
  if (isPlainObject(collation)) out.collation = collation;
  else if (collation != null) throw wrongType('collation', collation, 'object');
  if (typeof hint === 'string' || (isPlainObject(hint) && Object.keys(hint).length > 0)) out.hint = hint;
  else if (hint != null && !isPlainObject(hint)) throw wrongType('hint', hint, 'string or object');
  if (isPlainObject(vars)) out.variables = vars;
  else if (vars != null) throw wrongType('let', vars, 'object');
  return out.collation === undefined && out.hint === undefined && out.variables === undefined ? NO_MODIFIERS : out;
}

/** mingo's "Use of undefined variable" as MongoDB's error for it (input-errors.ts undefinedVariable); anything else unchanged. */
export function mingoVariableError(err: unknown): unknown {
  if (err instanceof Error && err.message.startsWith('Use of undefined variable: ')) {
    return undefinedVariable(err.message.slice('Use of undefined variable: '.length).trim());
  }
  return err;
}
