/**
 * Acting on a query's modifiers (query-options.ts): the collation parsed into a collator
 * (collation.ts), `let` variables checked and evaluated, and `hint` resolved to an index of the
 * collection or to a collection scan (`$natural`). Done once per query by the planner, and only
 * when a modifier is present: a query without any takes the planner's ordinary path.
 */
import type { Document } from 'bson';
import { Aggregator } from './mingo-bson';
import { collatedPredicate } from './collated-filter';
import { parseCollation, type Collation } from './collation';
import { CommandError } from './errors';
import { compileFilter, type Predicate } from './filter';
import type { OrderedIndex } from './indexes';
import { withCommandNow } from './command-clock';
import { QUERY_OPTIONS } from './mingo-options';
import { mingoVariableError, type QueryModifiers } from './query-options';

/** What the planner needs of a collection to resolve a hint. */
interface HintTarget {
  readonly idIndex: OrderedIndex;
  readonly indexes: ReadonlyMap<string, OrderedIndex>;
}

/** A hint resolved: the index to use, or a collection scan in natural order (1) or reversed (-1). */
export type ResolvedHint = { index: OrderedIndex } | { natural: 1 | -1 };

/** A query's modifiers, checked and ready for the planner. */
interface ResolvedModifiers extends MatchModifiers {
  hint?: ResolvedHint;
}

/** MongoDB's BadValue for a hint naming no index. */
function badHint(): CommandError {
  return new CommandError('BadValue', 'hint provided does not correspond to an existing index');
}

/** The index (or collection scan) a hint names, or MongoDB's BadValue. */
export function resolveHint(target: HintTarget, hint: string | Document): ResolvedHint {
  const all = [target.idIndex, ...target.indexes.values()];
  if (typeof hint === 'string') {
    const index = all.find((i) => i.spec.name === hint);
    if (!index) throw badHint();
    return { index };
  }
  const keys = Object.keys(hint);
  if (keys.length === 1 && keys[0] === '$natural') {
    const dir: unknown = hint.$natural;
    if (dir === 1 || dir === -1) return { natural: dir };
    throw badHint();
  }
  const index = all.find((i) => sameKey(i.spec.key, hint));
  if (!index) throw badHint();
  return { index };
}

function sameKey(key: Document, hint: Document): boolean {
  const a = Object.keys(key);
  const b = Object.keys(hint);
  return a.length === b.length && a.every((f, i) => f === b[i] && Number(key[f]) === Number(hint[f]));
}

/**
 * Checks `let` variable names as MongoDB does (Variables::validateNameForUserWrite: a lowercase
 * ASCII letter or non-ASCII character first, then letters, digits, `_` or non-ASCII) and
 * evaluates their values, which are expressions (`{$add: [1, 2]}`, `'$$NOW'`), once.
 */
export function evaluateLet(vars: Document): Document {
  for (const name of Object.keys(vars)) checkVariableName(name);
  if (Object.keys(vars).length === 0) return {};
  try {
    const [out] = new Aggregator([{ $replaceRoot: { newRoot: vars } }], withCommandNow(QUERY_OPTIONS)).run([{}]) as Document[];
    return out;
  } catch (err) {
    throw mingoVariableError(err);
  }
}

function checkVariableName(name: string): void {
  if (name === 'CURRENT') return;
  if (name === '') throw new CommandError('Location16866', 'empty variable names are not allowed');
  const first = name.charCodeAt(0);
  if (!((first >= 0x61 && first <= 0x7a) || first >= 0x80)) {
    throw new CommandError('Location16867', `'${name}' starts with an invalid character for a user variable name`);
  }
  for (const ch of name.slice(1)) {
    if (!/[A-Za-z0-9_]/.test(ch) && ch.charCodeAt(0) < 0x80) {
      throw new CommandError('Location16868', `'${name}' contains an invalid character for a variable name: '${ch}'`);
    }
  }
}

/**
 * A query's modifiers resolved against a collection; undefined when none is present (the
 * ordinary path). `defaultCollation` is the collection's, used when the query names none.
 */
export function resolveModifiers(target: HintTarget, mods: QueryModifiers, defaultCollation?: Document): ResolvedModifiers | undefined {
  if (mods.collation === undefined && defaultCollation === undefined && mods.hint === undefined && mods.variables === undefined) return undefined;
  const hint = mods.hint === undefined ? undefined : resolveHint(target, mods.hint);
  return { ...collationAndLet(mods, defaultCollation), hint };
}

/** What matching needs of the modifiers: the collation, the evaluated `let`, and a filter compiler using both. */
export interface MatchModifiers {
  /** The collation; undefined for binary comparison (none, or `simple`). */
  collation?: Collation;
  /** Evaluated `let` variables. */
  variables?: Document;
  /** The predicate of a filter under these modifiers. */
  compile: (f: Document) => Predicate;
}

/** The collation (the query's, else `defaultCollation`, the collection's) and the evaluated `let`. */
export function collationAndLet(mods: QueryModifiers, defaultCollation?: Document): MatchModifiers {
  const raw = mods.collation ?? defaultCollation;
  const collation = raw === undefined ? undefined : parseCollation(raw);
  const variables = mods.variables === undefined ? undefined : evaluateLet(mods.variables);
  const plain = (f: Document): Predicate => compileFilter(f, variables);
  return { collation, variables, compile: collation ? (f) => collatedPredicate(f, collation, plain) : plain };
}

/**
 * Checks a query's collation and `let` (MongoDB rejects bad ones even when the collection does
 * not exist); the collation, when it is not `simple`, is returned.
 */
export function checkModifiers(mods: QueryModifiers): Collation | undefined {
  if (mods.variables !== undefined) evaluateLet(mods.variables);
  return mods.collation === undefined ? undefined : parseCollation(mods.collation);
}
