/**
 * Partial indexes (`partialFilterExpression`): which filters MongoDB 7.0 accepts for one, and
 * when a query may be answered from one.
 *
 * Accepted, as MongoDB 7.0's `_checkValidFilterExpressions` (index_catalog_impl.cpp) accepts
 * them: equality (`{f: v}`, `$eq`), `$exists: true`, `$gt`/`$gte`/`$lt`/`$lte`, `$type`, `$in`,
 * and `$and`/`$or` (nested too), at most 4 levels deep (`internalPartialFilterExpressionMaxDepth`).
 * Anything else — `$ne`, `$nin`, `$not`, `$exists: false` (all negations), `$regex`, `$elemMatch`,
 * `$size`, `$mod`, `$bits*`, `$nor` — is refused with CannotCreateIndex (67) "Expression not
 * supported in partial index: …"; `$expr`/`$jsonSchema` with QueryFeatureNotAllowed (224), and
 * `$where`/`$text`/`$near` with BadValue (2), as the parser's "not allowed in this context".
 * `$geoWithin`/`$geoIntersects` (accepted by MongoDB) are refused too: the embedded server has no
 * geo matching.
 *
 * A query may use a partial index only when its filter implies the index's filter: every
 * condition of the partial filter must follow from one condition the query ANDs at its top level
 * (the same equality, a tighter range of the same type, a condition implying presence for
 * `$exists: true`, a value among a `$in`'s). Partial filters with `$or` are never implied:
 * the index is then not used, which is always correct, only slower.
 */
import type { Document } from 'bson';
import { compareValues, Rank, rankOf } from './bson-order';
import { CommandError } from './errors';
import { formatValue, isPlainObject, keyOf, truthy } from './values';

/** MongoDB's default `internalPartialFilterExpressionMaxDepth`. */
const MAX_DEPTH = 4;

/** One node of the parsed filter: what `_checkValidFilterExpressions` sees. */
interface Node {
  /** How the node counts: a leaf, or a list whose children sit one level deeper. */
  children?: Node[];
  /** Why the node is refused (its debug string), when it is. */
  refused?: string;
}

/** Operators a partial filter may use on a field (their MatchExpression types are allowed). */
const ALLOWED_FIELD_OPS = new Set(['$eq', '$gt', '$gte', '$lt', '$lte', '$type', '$in']);
/** Field operators MongoDB parses (and then refuses in a partial filter). */
const REFUSED_FIELD_OPS = new Set(['$ne', '$nin', '$not', '$regex', '$options', '$elemMatch', '$size', '$mod', '$bitsAllSet', '$bitsAllClear', '$bitsAnySet', '$bitsAnyClear']);
const GEO_OPS = new Set(['$geoWithin', '$within', '$geoIntersects']);

/**
 * Refuses a `partialFilterExpression` MongoDB 7.0 would refuse, with its code; returns quietly
 * for an accepted one. Bounded: a filter nested deeper than MongoDB allows is refused at the
 * first level beyond it.
 */
export function validatePartialFilter(filter: unknown): void {
  if (!isPlainObject(filter)) {
    throw new CommandError('TypeMismatch', `The field 'partialFilterExpression' must be an object, but got ${typeof filter}`);
  }
  check(clauseNode(filter), 0);
}

function check(node: Node, level: number): void {
  if (level + 1 > MAX_DEPTH) throw new CommandError('CannotCreateIndex', `partialFilterExpression depth may not exceed ${MAX_DEPTH}`);
  if (node.refused !== undefined) throw new CommandError('CannotCreateIndex', `Expression not supported in partial index: ${node.refused}`);
  for (const child of node.children ?? []) check(child, level + 1);
}

/** A filter document as a node: its single condition, or an AND of its conditions (as MongoDB's parser collapses them). */
function clauseNode(clause: Document): Node {
  const nodes: Node[] = [];
  for (const [field, cond] of Object.entries(clause)) {
    if (field.startsWith('$')) nodes.push(topLevelNode(field, cond));
    else nodes.push(...fieldNodes(field, cond));
  }
  return nodes.length === 1 ? nodes[0] : { children: nodes };
}

function topLevelNode(op: string, arg: unknown): Node {
  switch (op) {
    case '$and':
    case '$or':
    case '$nor': {
      if (!Array.isArray(arg)) throw new CommandError('BadValue', `${op} must be an array`);
      if (arg.length === 0) throw new CommandError('BadValue', '$and/$or/$nor must be a nonempty array');
      if (!arg.every(isPlainObject)) throw new CommandError('BadValue', '$or/$and/$nor entries need to be full objects');
      const children = (arg as Document[]).map(clauseNode);
      return op === '$nor' ? { refused: `$nor\n${arg.map((c) => `    ${formatValue(c)}`).join('\n')}\n` } : { children };
    }
    case '$comment':
      return {};
    case '$expr':
    case '$jsonSchema':
      throw new CommandError('QueryFeatureNotAllowed', `${op} is not allowed in this context`);
    case '$where':
    case '$text':
      throw new CommandError('BadValue', `${op} is not allowed in this context`);
    default:
      throw new CommandError('BadValue', `unknown top level operator: ${op}. If you have a field name that starts with a '$' symbol, consider using $getField or $setField.`);
  }
}

/** The nodes of one field's condition: one per operator, or one equality. */
function fieldNodes(field: string, cond: unknown): Node[] {
  if (cond instanceof RegExp) return [{ refused: `${field} regex /${cond.source}/` }];
  if (!isOperatorObject(cond)) return [{}];
  const nodes: Node[] = [];
  for (const [op, arg] of Object.entries(cond)) {
    if (op === '$exists') nodes.push(truthy(arg) ? {} : { refused: `$not\n    ${field} exists\n` });
    else if (op === '$in' && !Array.isArray(arg)) throw new CommandError('BadValue', '$in needs an array');
    else if (ALLOWED_FIELD_OPS.has(op)) nodes.push({});
    else if (op === '$all' && Array.isArray(arg) && arg.length > 0 && !arg.some(isOperatorObject)) nodes.push({ children: arg.map(() => ({})) });
    else if (op === '$ne') nodes.push({ refused: `$not\n    ${field} $eq ${formatValue(arg)}\n` });
    else if (op === '$nin') nodes.push({ refused: `$not\n    ${field} $in ${formatValue(arg)}\n` });
    else if (REFUSED_FIELD_OPS.has(op) || op === '$all') nodes.push({ refused: `${field} ${op} ${formatValue(arg)}` });
    else if (GEO_OPS.has(op)) throw new CommandError('CannotCreateIndex', `${op} in a partialFilterExpression is not supported by the embedded server (it has no geospatial matching)`);
    else if (op === '$near' || op === '$nearSphere') throw new CommandError('BadValue', '$geoNear, $near, and $nearSphere are not allowed in this context');
    else throw new CommandError('BadValue', `unknown operator: ${op}`);
  }
  return nodes;
}

/** `{ $op: ... }` with only operator keys (MongoDB reads a document with a `$` first key as operators). */
function isOperatorObject(cond: unknown): cond is Document {
  if (!isPlainObject(cond)) return false;
  const keys = Object.keys(cond);
  return keys.length > 0 && keys[0].startsWith('$');
}

// ---------------------------------------------------------------- implication

/** One condition on one field: an operator and its argument (`$eq` for a plain equality). */
interface Atom {
  field: string;
  op: string;
  arg: unknown;
}

/** The conditions a filter ANDs at its top level (through `$and`), per field; others (under `$or`...) are left out. */
function atomsOf(filter: Document, out: Atom[] = []): Atom[] {
  for (const [field, cond] of Object.entries(filter)) {
    if (field === '$and' && Array.isArray(cond)) {
      for (const c of cond) if (isPlainObject(c)) atomsOf(c, out);
    } else if (field.startsWith('$')) {
      continue;
    } else if (cond instanceof RegExp) {
      out.push({ field, op: '$regex', arg: cond });
    } else if (isOperatorObject(cond)) {
      for (const [op, arg] of Object.entries(cond)) out.push({ field, op, arg });
    } else {
      out.push({ field, op: '$eq', arg: cond });
    }
  }
  return out;
}

/**
 * Whether every document matching `filter` matches `partial` (conservatively: false when that
 * is not evident), so that a partial index with that filter holds every match of the query.
 */
export function impliesPartialFilter(filter: Document, partial: Document): boolean {
  if (Object.keys(partial).some((k) => k === '$or')) return false;
  const have = atomsOf(filter);
  return atomsOf(partial).every((need) => have.some((h) => h.field === need.field && implies(h, need)));
}

/** Whether a query condition implies a partial-filter condition on the same field. */
function implies(have: Atom, need: Atom): boolean {
  if (have.op === need.op && keyOf(have.arg) === keyOf(need.arg)) return true;
  const values = pointValues(have);
  switch (need.op) {
    case '$eq':
      return values !== undefined && values.every((v) => sameValue(v, need.arg));
    case '$in':
      return values !== undefined && Array.isArray(need.arg) && values.every((v) => (need.arg as unknown[]).some((w) => sameValue(v, w)));
    case '$exists':
      return truthy(need.arg) && impliesPresence(have, values);
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return rangeImplied(have, values, need.op, need.arg);
    default:
      return false;
  }
}

/** The values an equality or `$in` fixes the field to (undefined for other conditions). */
function pointValues(a: Atom): unknown[] | undefined {
  if (a.op === '$eq') return [a.arg];
  if (a.op === '$in' && Array.isArray(a.arg) && a.arg.length > 0 && !a.arg.some((v) => v instanceof RegExp)) return a.arg;
  return undefined;
}

/** Equal in MongoDB's sense and of the same type bracket (so `1` is not `'1'`). */
function sameValue(a: unknown, b: unknown): boolean {
  if (isPlainObject(a) || Array.isArray(a) || isPlainObject(b) || Array.isArray(b)) return keyOf(a) === keyOf(b);
  return rankOf(a) === rankOf(b) && compareValues(a, b) === 0;
}

const PRESENCE_OPS = new Set(['$gt', '$gte', '$lt', '$lte', '$type', '$regex', '$all', '$elemMatch', '$size']);

/** Whether a condition only matches documents where the field exists (and is not null, for equality). */
function impliesPresence(a: Atom, values: unknown[] | undefined): boolean {
  if (values) return values.every((v) => v !== null && v !== undefined);
  if (a.op === '$exists') return truthy(a.arg);
  return PRESENCE_OPS.has(a.op);
}

/** Whether the query condition keeps the field within the partial filter's range condition (same type only). */
function rangeImplied(have: Atom, values: unknown[] | undefined, op: string, bound: unknown): boolean {
  const rank = rankOf(bound);
  if (!rangeComparable(bound)) return false;
  const within = (v: unknown, strictOk: boolean): boolean => {
    if (!rangeComparable(v) || rankOf(v) !== rank) return false;
    const c = compareValues(v, bound);
    if (op === '$gt') return strictOk ? c >= 0 : c > 0;
    if (op === '$gte') return c >= 0;
    if (op === '$lt') return strictOk ? c <= 0 : c < 0;
    return c <= 0;
  };
  if (values) return values.every((v) => within(v, false));
  const lower = op === '$gt' || op === '$gte';
  if (lower && (have.op === '$gt' || have.op === '$gte')) return within(have.arg, have.op === '$gt');
  if (!lower && (have.op === '$lt' || have.op === '$lte')) return within(have.arg, have.op === '$lt');
  return false;
}

/** Values whose order within their type is exact (no NaN, no Decimal128 approximations). */
function rangeComparable(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isNaN(v);
  if (typeof v === 'string') return true;
  const rank = rankOf(v);
  if (rank === Rank.Date) return !Number.isNaN((v as Date).getTime());
  return rank === Rank.ObjectId || (rank === Rank.Number && (v as { _bsontype?: string })._bsontype === 'Long');
}
