/**
 * Compiling a query filter into a predicate. Filters made of conditions on top-level fields
 * with the operators most queries use — equality, `$eq`, `$in`, `$gt`/`$gte`/`$lt`/`$lte`,
 * `$regex` — on strings, numbers, booleans, dates and ObjectIds are tested directly, with
 * MongoDB's rules (an array field matches when one element does; ranges stay within one type;
 * NaN matches no range). Everything else goes to mingo, whose query compilation would otherwise
 * dominate the cost of such lookups.
 */
import type { Document } from 'bson';
import { Query } from './mingo-bson';
import { compareValues, Rank, rankOf } from './bson-order';
import { commandNow, withCommandNow } from './command-clock';
import { QUERY_OPTIONS } from './mingo-options';
import { mingoVariableError } from './query-options';
import { isPlainObject } from './values';

/** A compiled filter. */
export type Predicate = (doc: Document) => boolean;

/** A value test on one field's value (not its array elements). */
type ValueTest = (v: unknown) => boolean;

const MATCH_ALL: Predicate = () => true;

/**
 * The predicate for `filter`: direct tests when every condition has a fast form, otherwise mingo.
 * `variables` are the command's evaluated `let` variables (`$$name` in `$expr`), if any.
 */
export function compileFilter(filter: Document, variables?: Document): Predicate {
  const fields = Object.keys(filter);
  if (fields.length === 0) return MATCH_ALL;
  const tests: Array<[string, ValueTest]> = [];
  for (const field of fields) {
    if (field.includes('.') || field.startsWith('$')) return mingoPredicate(filter, variables);
    const ops = fieldTests(filter[field]);
    if (!ops) return mingoPredicate(filter, variables);
    // Each operator is tested on its own against the value or one element: MongoDB's rule for
    // arrays, where {$gt: 1, $lt: 5} matches [0, 10] (different elements satisfy each bound).
    for (const test of ops) tests.push([field, test]);
  }
  if (tests.length === 1) {
    const [[field, test]] = tests;
    return (doc) => matchesField(doc[field], test);
  }
  return (doc) => {
    for (let i = 0; i < tests.length; i++) if (!matchesField(doc[tests[i][0]], tests[i][1])) return false;
    return true;
  };
}

function mingoPredicate(filter: Document, variables?: Document): Predicate {
  const expr = hasExpr(filter);
  if (variables === undefined && !expr) {
    const query = new Query(filter, QUERY_OPTIONS);
    return (doc) => query.test(doc);
  }
  const options = { ...QUERY_OPTIONS, ...(variables ? { variables } : {}) };
  const query = expr ? undefined : new Query(filter, options);
  const test: Predicate = query ? (doc) => query.test(doc) : commandTimedTest(filter, options);
  return (doc) => {
    try {
      return test(doc);
    } catch (err) {
      throw mingoVariableError(err);
    }
  };
}

/**
 * A test of a filter holding `$expr`, whose `$$NOW` is the current command's time: the query is
 * rebuilt when the command clock differs from the one it was built with, since a compiled
 * predicate may outlive its command (validators are compiled once per collection options).
 */
function commandTimedTest(filter: Document, options: Document): Predicate {
  let query = new Query(filter, withCommandNow(options));
  let builtAt = commandNow();
  return (doc) => {
    const now = commandNow();
    if (now !== builtAt) {
      query = new Query(filter, withCommandNow(options));
      builtAt = now;
    }
    return query.test(doc);
  };
}

/** Whether a filter holds `$expr` (at the top or inside `$and` / `$or` / `$nor`, where MongoDB allows it). */
function hasExpr(filter: Document): boolean {
  for (const key of Object.keys(filter)) {
    if (key === '$expr') return true;
    if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(filter[key])) {
      for (const sub of filter[key] as unknown[]) if (isPlainObject(sub) && hasExpr(sub)) return true;
    }
  }
  return false;
}

/** MongoDB's rule for a top-level field: the value matches, or (for an array) one of its elements does. */
function matchesField(v: unknown, test: ValueTest): boolean {
  if (test(v)) return true;
  if (Array.isArray(v)) {
    for (const el of v) if (test(el)) return true;
  }
  return false;
}

/** The scalar kinds the fast tests handle; anything else (null, objects, arrays, Decimal128...) goes to mingo. */
function fastScalar(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return !Number.isNaN(v);
    case 'object': {
      const rank = rankOf(v);
      if (rank === Rank.Date) return !Number.isNaN((v as Date).getTime());
      return rank === Rank.ObjectId;
    }
    default:
      return false;
  }
}

/** The tests of one field's condition (one per operator), or undefined when it has no fast form. */
function fieldTests(cond: unknown): ValueTest[] | undefined {
  if (cond instanceof RegExp) {
    const test = regexTest(cond);
    return test && [test];
  }
  if (!isPlainObject(cond)) return fastScalar(cond) ? [equalsTest(cond)] : undefined;
  const ops = Object.keys(cond);
  if (ops.length === 0 || !ops.every((op) => op.startsWith('$'))) return undefined;
  const tests: ValueTest[] = [];
  for (const op of ops) {
    const arg: unknown = cond[op];
    switch (op) {
      case '$eq':
        if (arg instanceof RegExp || !fastScalar(arg)) return undefined;
        tests.push(equalsTest(arg));
        break;
      case '$in': {
        if (!Array.isArray(arg) || !arg.every(fastScalar)) return undefined;
        const set = arg.map(equalsTest);
        tests.push((v) => set.some((t) => t(v)));
        break;
      }
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        const test = rangeTest(op, arg);
        if (!test) return undefined;
        tests.push(test);
        break;
      }
      case '$regex': {
        const options: unknown = cond.$options;
        const test = regexTest(regexOf(arg, options));
        if (!test) return undefined;
        tests.push(test);
        break;
      }
      case '$options':
        if (cond.$regex === undefined) return undefined;
        break;
      default:
        return undefined;
    }
  }
  return tests;
}

function equalsTest(expected: unknown): ValueTest {
  switch (typeof expected) {
    case 'string':
    case 'boolean':
      return (v) => v === expected;
    case 'number':
      // Long and other numeric classes compare by value.
      return (v) => v === expected || (typeof v === 'object' && v !== null && rankOf(v) === Rank.Number && compareValues(v, expected) === 0);
    default: {
      const rank = rankOf(expected);
      return (v) => typeof v === 'object' && v !== null && rankOf(v) === rank && compareValues(v, expected) === 0;
    }
  }
}

/** A range bound tested within its own type (MongoDB's type bracketing); undefined when not a fast scalar. */
function rangeTest(op: string, bound: unknown): ValueTest | undefined {
  if (!fastScalar(bound) || typeof bound === 'boolean') return undefined;
  const holds = (c: number) => (op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0);
  if (typeof bound === 'number') {
    // JavaScript's comparisons are false for NaN, as MongoDB's ranges never match it.
    const plain = op === '$gt' ? (v: number) => v > bound : op === '$gte' ? (v: number) => v >= bound : op === '$lt' ? (v: number) => v < bound : (v: number) => v <= bound;
    return (v) => {
      if (typeof v === 'number') return plain(v);
      if (typeof v !== 'object' || v === null || rankOf(v) !== Rank.Number) return false;
      const c = compareValues(v, bound);
      return !isNaNValue(v) && holds(c);
    };
  }
  const rank = rankOf(bound);
  return (v) => rankOf(v) === rank && holds(compareValues(v, bound));
}

function isNaNValue(v: unknown): boolean {
  return Number.isNaN(Number(typeof v === 'object' && v !== null ? String(v) : v));
}

/** A RegExp from `$regex` and `$options`; undefined for options JavaScript does not share with MongoDB (x). */
function regexOf(pattern: unknown, options: unknown): RegExp | undefined {
  if (options !== undefined && typeof options !== 'string') return undefined;
  const extra = options ?? '';
  if (!/^[ims]*$/.test(extra)) return undefined;
  if (pattern instanceof RegExp) {
    if (!/^[ims]*$/.test(pattern.flags)) return undefined;
    return extra ? new RegExp(pattern.source, [...new Set(pattern.flags + extra)].join('')) : pattern;
  }
  if (typeof pattern !== 'string') return undefined;
  try {
    return new RegExp(pattern, [...new Set(extra)].join(''));
  } catch {
    // Left to mingo, which reports the bad pattern.
    return undefined;
  }
}

/** A regex condition matches strings (and array elements that are strings). */
function regexTest(re: RegExp | undefined): ValueTest | undefined {
  if (!re || re.global || re.sticky || !/^[ims]*$/.test(re.flags)) return undefined;
  return (v) => typeof v === 'string' && re.test(v);
}

/**
 * The value an equality condition tests, if the condition is a plain equality that an index
 * can answer: a scalar, ObjectId, Date..., or `{ $eq: scalar }`. Arrays, sub-documents,
 * regexes and other operators are left to the matcher.
 */
export function equalityValue(cond: unknown): { ok: true; value: unknown } | { ok: false } {
  if (cond === undefined || Array.isArray(cond) || cond instanceof RegExp) return { ok: false };
  if (isPlainObject(cond)) {
    const keys = Object.keys(cond);
    if (keys.length === 1 && keys[0] === '$eq') return equalityValue(cond.$eq);
    return { ok: false };
  }
  return { ok: true, value: cond };
}
