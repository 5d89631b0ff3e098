/**
 * The query planner and executor.
 *
 * A filter's top-level conditions become per-field bounds: points (equality, `$in`) and ranges
 * (`$gt`/`$gte`/`$lt`/`$lte` on numbers, strings, dates or ObjectIds, within their type as MongoDB
 * brackets them). Each index (with `_id_`) is asked what it can do with them: equality points on
 * a prefix of its fields, then a range on the next field, as a list of intervals of positions,
 * whose sizes come from two rank lookups each. An index also "covers" the sort when the sort's
 * fields, leaving out those fixed to one value, are its remaining fields in order, all in its
 * directions or all reversed. The cheapest plan runs:
 *
 * - exact (the bounds are the whole filter) and covering the sort (or none): skip is a position
 *   jump and only `limit` entries are read, so a page deep in a million keys costs O(log n + limit),
 *   and a count is a subtraction;
 * - covering the sort but not exact: the index is walked in order, documents tested, skipped and
 *   collected until `limit` matched;
 * - otherwise the candidates are collected and sorted in memory (sorting.ts); with no usable
 *   index, every document is examined (a collection scan, in natural order).
 *
 * Multikey indexes (a document holds an array in an indexed field) answer equality points only,
 * with duplicates removed, and neither ranges nor sorts; indexes holding keys ordered only
 * approximately (Decimal128) leave the decision to the matcher. Sparse indexes are used only when
 * the filter implies an indexed field is present; partial indexes only when the filter implies
 * their partial filter (partial-index.ts); hidden indexes never. `$text` and geospatial
 * operators are refused before planning (query-guards.ts).
 */
import type { Document } from 'bson';
import type { Collation } from './collation';
import { resolveModifiers, type ResolvedHint } from './modifiers';
import { NO_MODIFIERS, type QueryModifiers } from './query-options';
import { compareValues, MAX_BOUND, MIN_BOUND, Rank, rankOf, TypeBound } from './bson-order';
import type { Deadline } from './deadline';
import { compileFilter, equalityValue, type Predicate } from './filter';
import { slotOf, type Entry, type OrderedIndex, type SlotStore } from './indexes';
import { naturalSortOptions } from './natural-sort';
import { impliesPartialFilter } from './partial-index';
import { refuseIndexOnlyOperators } from './query-guards';
import { sortDocuments, sortKeys } from './sorting';
import { formatValue, isPlainObject } from './values';

/** What the planner needs of a collection. */
export interface PlanTarget extends SlotStore {
  readonly idIndex: OrderedIndex;
  readonly indexes: ReadonlyMap<string, OrderedIndex>;
  /** Live documents. */
  readonly size: number;
  /** The collection's default collation document (`create` with `collation`), if any. */
  readonly collation?: Document;
}

/** How a query is to run: sort, skip, limit (0: none) and the deadline. */
export interface QueryOptions extends QueryModifiers {
  sort?: Document;
  skip?: number;
  limit?: number;
  deadline: Deadline;
}

/** The outcome of running a query, with what `explain` reports. */
export interface QueryOutcome {
  docs: Document[];
  /** Matching documents before skip and limit, when known without extra work (counts). */
  total?: number;
  plan: PlanSummary;
  keysExamined: number;
  docsExamined: number;
  /** Whether the results were sorted in memory (MongoDB's SORT stage). */
  sortedInMemory: boolean;
}

/** The winning plan, for explain and the server's counters. */
export type PlanSummary =
  | { stage: 'COLLSCAN' }
  | { stage: 'EOF' }
  | {
      stage: 'IXSCAN';
      indexName: string;
      keyPattern: Document;
      isMultiKey: boolean;
      isUnique: boolean;
      isSparse: boolean;
      isPartial: boolean;
      direction: 'forward' | 'backward';
      indexBounds: Record<string, string[]>;
      /** The bounds answer the whole filter: no FETCH filter. */
      exact: boolean;
    };

/** At most this many intervals from `$in` combinations; beyond it fewer fields are bounded. */
const MAX_INTERVALS = 4096;

// ---------------------------------------------------------------- filter analysis

interface Range {
  rank: number;
  lo: unknown;
  loInc: boolean;
  hi: unknown;
  hiInc: boolean;
}

/** The conditions on one top-level field, as the planner sees them. */
interface FieldConditions {
  /** Each equality or `$in`, as a sorted list of distinct values. */
  pointSets: unknown[][];
  /** Each range operator. */
  ranges: Array<{ op: string; value: unknown; rank: number }>;
  /** Conditions the bounds do not express ($regex, $ne, sub-document equality...). */
  other: boolean;
}

interface Analysis {
  /** The filter analysed (partial indexes are usable only when it implies their filter). */
  filter: Document;
  fields: Map<string, FieldConditions>;
  /** No top-level operator ($or, $and, $expr...): the field conditions are the whole filter. */
  onlyFields: boolean;
  /** String points and ranges left to the matcher (see dropStrings). */
  collated: boolean;
  /** The same analysis with strings left to the matcher, once needed (for a collated index). */
  withoutStrings?: Analysis;
}

/** The analysis an index with a collation can use: its strings are not in binary order. */
function stringFree(analysis: Analysis): Analysis {
  if (analysis.collated) return analysis;
  return (analysis.withoutStrings ??= analyze(analysis.filter, true));
}

/** Ranks whose values the planner puts into points. */
function pointRank(v: unknown): number | undefined {
  if (v === null) return Rank.Null;
  const rank = rankOf(v);
  switch (rank) {
    case Rank.Number:
      return typeof v === 'number' ? (Number.isNaN(v) ? undefined : rank) : (v as { _bsontype?: string })._bsontype === 'Long' ? rank : undefined;
    case Rank.String:
      return typeof v === 'string' ? rank : undefined;
    case Rank.Boolean:
    case Rank.ObjectId:
      return rank;
    case Rank.Date:
      return Number.isNaN((v as Date).getTime()) ? undefined : rank;
    default:
      return undefined;
  }
}

/** Ranks whose values may bound a range. */
function rangeRank(v: unknown): number | undefined {
  const rank = pointRank(v);
  return rank === Rank.Number || rank === Rank.String || rank === Rank.ObjectId || rank === Rank.Date ? rank : undefined;
}

function sortedDistinct(values: unknown[]): unknown[] {
  const sorted = [...values].sort(compareValues);
  return sorted.filter((v, i) => i === 0 || compareValues(sorted[i - 1], v) !== 0);
}

function analyzeField(cond: unknown): FieldConditions {
  const out: FieldConditions = { pointSets: [], ranges: [], other: false };
  const eq = equalityValue(cond);
  if (eq.ok) {
    if (pointRank(eq.value) === undefined) out.other = true;
    else out.pointSets.push([eq.value]);
    return out;
  }
  if (!isPlainObject(cond) || Object.keys(cond).length === 0 || !Object.keys(cond).every((k) => k.startsWith('$'))) {
    out.other = true;
    return out;
  }
  for (const [op, value] of Object.entries(cond)) {
    switch (op) {
      case '$eq':
        if (pointRank(value) === undefined) out.other = true;
        else out.pointSets.push([value]);
        break;
      case '$in':
        if (Array.isArray(value) && value.every((v) => pointRank(v) !== undefined)) out.pointSets.push(sortedDistinct(value));
        else out.other = true;
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        const rank = rangeRank(value);
        if (rank === undefined) out.other = true;
        else out.ranges.push({ op, value, rank });
        break;
      }
      default:
        out.other = true;
    }
  }
  return out;
}

/** Adds one field's conditions to those already found for it (every condition must hold). */
function mergeField(fields: Map<string, FieldConditions>, field: string, found: FieldConditions): void {
  const known = fields.get(field);
  if (!known) {
    fields.set(field, found);
    return;
  }
  known.pointSets.push(...found.pointSets);
  known.ranges.push(...found.ranges);
  known.other ||= found.other;
}

/**
 * Under a collation, string points and ranges are left to the matcher: the indexes hold strings
 * in binary order, which is not the collation's (MongoDB likewise uses an index's string bounds
 * only when the index has the query's collation).
 */
function dropStrings(fc: FieldConditions): FieldConditions {
  const sets = fc.pointSets.filter((set) => !set.some((v) => typeof v === 'string'));
  const ranges = fc.ranges.filter((r) => r.rank !== Rank.String);
  const other = fc.other || sets.length !== fc.pointSets.length || ranges.length !== fc.ranges.length;
  return { pointSets: sets, ranges, other };
}

/**
 * The per-field conditions of a filter. A top-level `$and` of plain conditions (what generic REST
 * layers send: `{$and: [{_id: x}]}`) is the same as its clauses side by side, so its clauses'
 * fields are bounded like top-level ones, nested `$and`s included (bounded depth: the filter's).
 * `collated`: the query has a collation (see dropStrings).
 */
function analyze(filter: Document, collated = false): Analysis {
  const fields = new Map<string, FieldConditions>();
  let onlyFields = true;
  const visit = (clause: Document): void => {
    for (const [field, cond] of Object.entries(clause)) {
      if (field === '$and' && Array.isArray(cond) && cond.length > 0 && cond.every(isPlainObject)) {
        for (const inner of cond) visit(inner as Document);
      } else if (field.startsWith('$')) onlyFields = false;
      else mergeField(fields, field, collated ? dropStrings(analyzeField(cond)) : analyzeField(cond));
    }
  };
  visit(filter);
  return { fields, onlyFields, filter, collated };
}

/** The whole range of one type: numbers from -Infinity to Infinity (leaving NaN out, as MongoDB's bounds do). */
function fullRange(rank: number): Range {
  if (rank === Rank.Number) return { rank, lo: -Infinity, loInc: true, hi: Infinity, hiInc: true };
  return { rank, lo: new TypeBound(rank, -1), loInc: true, hi: new TypeBound(rank, 1), hiInc: true };
}

function tighten(r: Range, op: string, v: unknown): void {
  if (op === '$gt' || op === '$gte') {
    const c = compareValues(v, r.lo);
    if (c > 0 || (c === 0 && op === '$gt')) {
      r.lo = v;
      r.loInc = op === '$gte';
    }
  } else {
    const c = compareValues(v, r.hi);
    if (c < 0 || (c === 0 && op === '$lt')) {
      r.hi = v;
      r.hiInc = op === '$lte';
    }
  }
}

function inRange(v: unknown, r: Range): boolean {
  if (rankOf(v) !== r.rank) return false;
  const lo = compareValues(v, r.lo);
  const hi = compareValues(v, r.hi);
  return (lo > 0 || (lo === 0 && r.loInc)) && (hi < 0 || (hi === 0 && r.hiInc));
}

/** What one field contributes to an index's bounds. */
interface FieldBounds {
  points?: unknown[];
  range?: Range;
  /** The bounds are exactly the field's conditions. */
  exact: boolean;
}

/**
 * The bounds of one field for an index. On a multikey index each condition may be met by a
 * different array element, so only one set of points is used and nothing is exact unless that
 * set is the only condition; elsewhere the conditions intersect.
 */
function fieldBounds(fc: FieldConditions, multikey: boolean): FieldBounds | undefined {
  if (multikey) {
    if (fc.pointSets.length === 0) return undefined;
    const points = fc.pointSets.reduce((a, b) => (b.length < a.length ? b : a));
    const exact = !fc.other && fc.pointSets.length === 1 && fc.ranges.length === 0 && !points.some((p) => p === null);
    return { points, exact };
  }
  let range: Range | undefined;
  let empty = false;
  for (const { op, value, rank } of fc.ranges) {
    range ??= fullRange(rank);
    // A scalar cannot be of two types at once: conditions on two types match nothing.
    if (range.rank !== rank) empty = true;
    else tighten(range, op, value);
  }
  if (fc.pointSets.length > 0) {
    let points = fc.pointSets[0];
    for (const set of fc.pointSets.slice(1)) points = points.filter((p) => set.some((q) => compareValues(p, q) === 0 && rankOf(p) === rankOf(q)));
    if (range) points = points.filter((p) => inRange(p, range as Range));
    return { points: empty ? [] : points, exact: !fc.other };
  }
  if (empty) return { points: [], exact: !fc.other };
  if (range) return { range, exact: !fc.other };
  return undefined;
}

// ---------------------------------------------------------------- candidate plans

interface Interval {
  start: number;
  end: number;
}

interface Candidate {
  index: OrderedIndex;
  /** Points per bounded field, in index order, then the range of the last one, if any. */
  pointLists: unknown[][];
  range: Range | undefined;
  /** Computed when first needed (see intervalsOf). */
  intervals?: Interval[];
  size: number;
  exact: boolean;
  /** No document appears twice in the intervals: counts and skips by position are right. */
  positional: boolean;
  multikey: boolean;
  covered: boolean;
  direction: 1 | -1;
  usedFields: number;
  cost: number;
  /** Per used field: its points (in value order) or its range, for explain. */
  fieldBounds: Array<{ field: string; points?: unknown[]; range?: Range }>;
}

function formatBound(v: unknown): string {
  if (v === MIN_BOUND) return 'MinKey';
  if (v === MAX_BOUND) return 'MaxKey';
  if (v instanceof TypeBound) return v.edge < 0 ? `MinOf(${v.rank})` : `MaxOf(${v.rank})`;
  return formatValue(v);
}

function describeRange(r: Range): string {
  return `${r.loInc ? '[' : '('}${formatBound(r.lo)}, ${formatBound(r.hi)}${r.hiInc ? ']' : ')'}`;
}

/** MongoDB-style index bounds of a plan, for explain (formatted only when asked for). */
function describeBounds(candidate: Candidate): Record<string, string[]> {
  const bounds: Record<string, string[]> = {};
  for (const { field, points, range } of candidate.fieldBounds) {
    if (points) bounds[field] = points.map((p) => `[${formatBound(p)}, ${formatBound(p)}]`);
    else if (range) bounds[field] = [describeRange(range)];
  }
  for (const f of candidate.index.fields) bounds[f] ??= ['[MinKey, MaxKey]'];
  return bounds;
}

/**
 * A unique index whose every field the filter fixes to one value: it holds at most one match,
 * so no other plan can be cheaper and none need be looked at (the `{id, owner}` lookups).
 */
function uniquePoint(target: PlanTarget, analysis: Analysis): OrderedIndex | undefined {
  for (const index of [target.idIndex, ...target.indexes.values()]) {
    if (index !== target.idIndex && (!index.spec.unique || index.collated)) continue;
    const single = index.fields.every((f) => {
      const fc = analysis.fields.get(f);
      return fc !== undefined && fc.ranges.length === 0 && fc.pointSets.length === 1 && fc.pointSets[0].length === 1 && fc.pointSets[0][0] !== null;
    });
    if (single) return index;
  }
  return undefined;
}

/** The position intervals of a plan, in index order (computed once). */
function intervalsOf(c: Candidate): Interval[] {
  if (c.intervals) return c.intervals;
  const { index, range } = c;
  const intervals: Interval[] = [];
  if (c.usedFields === 0) {
    intervals.push({ start: 0, end: index.size });
  } else {
    for (const prefix of cartesian(c.pointLists)) {
      let start: number;
      let end: number;
      if (range) {
        start = index.bound([...prefix, range.lo], !range.loInc);
        end = index.bound([...prefix, range.hi], range.hiInc);
      } else {
        start = index.bound(prefix, false);
        end = index.bound(prefix, true);
      }
      if (end > start) intervals.push({ start, end });
    }
  }
  c.intervals = intervals;
  return intervals;
}

/**
 * A plan on one index, or undefined when the index cannot serve the query. `sizes` remembers
 * how many entries a set of bounded fields selected: two indexes that are not multikey and bound
 * the same fields with the same conditions hold the same documents there (the owner's notes in
 * `{owner, createdAt, seq}` and `{owner, updatedAt, seq}`), so the second is not measured again.
 */
function planIndex(
  index: OrderedIndex,
  analysis: Analysis,
  sort: Array<{ field: string; dir: 1 | -1 }>,
  limit: number,
  sizes?: Map<string, number>,
  /** A hint names this index: it is used even without bounds (a whole-index scan). */
  forced = false,
): Candidate | undefined {
  if (!usable(index, analysis)) return undefined;
  if (index.collated) {
    // Strings in the collation's order: no string bounds, and no sort (MongoDB uses them only
    // for a query with the same collation; this server keeps to what is always right).
    analysis = stringFree(analysis);
    sort = sort.length > 0 ? [{ field: '\0', dir: 1 }] : sort;
  }
  const multikey = index.multikeyDocs > 0;
  const uncertain = index.uncertainDocs > 0;
  const pointLists: unknown[][] = [];
  let range: Range | undefined;
  let exact = analysis.onlyFields && !uncertain;
  let impliesPresence = false;
  const used: string[] = [];
  const fieldBoundsUsed: Candidate['fieldBounds'] = [];
  for (let i = 0; i < index.fields.length; i++) {
    const field = index.fields[i];
    const fc = analysis.fields.get(field);
    const fb = fc && fieldBounds(fc, multikey);
    if (!fb) break;
    exact &&= fb.exact;
    if (fb.points) {
      if (fb.points.some((p) => p === null) && (multikey || index.sparse)) break;
      const product = pointLists.reduce((n, l) => n * Math.max(1, l.length), 1) * Math.max(1, fb.points.length);
      if (product > MAX_INTERVALS) {
        exact = false;
        break;
      }
      if (!fb.points.some((p) => p === null)) impliesPresence = true;
      pointLists.push(index.dirs[i] === 1 ? fb.points : [...fb.points].reverse());
      used.push(field);
      fieldBoundsUsed.push({ field, points: fb.points });
      continue;
    }
    if (fb.range && !multikey) {
      const r = fb.range;
      range = index.dirs[i] === 1 ? r : { rank: r.rank, lo: r.hi, loInc: r.hiInc, hi: r.lo, hiInc: r.loInc };
      impliesPresence = true;
      used.push(field);
      fieldBoundsUsed.push({ field, range: r });
    }
    break;
  }
  // Every filter field must be bounded by this index for the bounds to be the whole filter.
  exact &&= [...analysis.fields.keys()].every((f) => used.includes(f));

  // The sort: fields fixed to one value drop out of both the sort and the index.
  let covered = !multikey && !uncertain;
  let direction: 1 | -1 = 1;
  if (covered && sort.length > 0) {
    const fixed = new Set(used.filter((f, i) => i < pointLists.length && pointLists[i].length === 1));
    const restIndex = index.fields.map((f, i) => ({ field: f, dir: index.dirs[i] })).filter((k) => !fixed.has(k.field));
    const restSort = sort.filter((k) => !fixed.has(k.field));
    covered = restSort.length <= restIndex.length;
    if (covered && restSort.length > 0) {
      direction = (restSort[0].dir * restIndex[0].dir) as 1 | -1;
      covered = restSort.every((k, i) => k.field === restIndex[i].field && k.dir * restIndex[i].dir === direction);
    }
  }

  if (forced) {
    // Hinted: used as it is, a sparse index's missing documents included (as MongoDB does).
  } else if (used.length === 0) {
    // An index with no bounds can still give the order, for every document (not if sparse).
    if (!covered || sort.length === 0 || index.sparse) return undefined;
  } else if (index.sparse && !impliesPresence) {
    return undefined;
  }

  const candidate: Candidate = {
    index,
    pointLists,
    range,
    size: 0,
    exact,
    positional: exact && !multikey,
    multikey,
    covered,
    direction,
    usedFields: used.length,
    cost: 0,
    fieldBounds: fieldBoundsUsed,
  };
  const key = multikey || used.length === 0 ? undefined : used.join('\0');
  let size = key === undefined ? undefined : sizes?.get(key);
  if (size === undefined) {
    size = intervalsOf(candidate).reduce((n, iv) => n + iv.end - iv.start, 0);
    if (key !== undefined) sizes?.set(key, size);
  }
  candidate.size = size;
  const positional = exact && !multikey;
  const needSort = sort.length > 0 && !covered;
  let cost: number;
  if (needSort) cost = 2 * size + 1;
  else if (positional) cost = Math.min(size, limit > 0 ? limit : size);
  else cost = size;
  candidate.cost = cost;
  return candidate;
}

/**
 * Whether the planner may use an index at all: not a hidden one, and a partial one only when the
 * filter implies its partial filter (otherwise it may lack matching documents).
 */
function usable(index: OrderedIndex, analysis: Analysis): boolean {
  const { hidden, partialFilterExpression } = index.spec;
  if (hidden) return false;
  return partialFilterExpression === undefined || impliesPartialFilter(analysis.filter, partialFilterExpression);
}

function* cartesian(lists: unknown[][]): Generator<unknown[]> {
  if (lists.length === 0) {
    yield [];
    return;
  }
  const [first, ...rest] = lists;
  for (const v of first) for (const tail of cartesian(rest)) yield [v, ...tail];
}

/** The cheapest plan for a filter, sort and limit: an index candidate, or undefined for a collection scan. */
function choose(target: PlanTarget, analysis: Analysis, sort: Array<{ field: string; dir: 1 | -1 }>, limit: number): Candidate | undefined {
  const unique = uniquePoint(target, analysis);
  const direct = unique && planIndex(unique, analysis, sort, limit);
  if (direct) return direct;
  let best: Candidate | undefined;
  const sizes = new Map<string, number>();
  for (const index of [target.idIndex, ...target.indexes.values()]) {
    const c = planIndex(index, analysis, sort, limit, sizes);
    if (!c) continue;
    if (
      !best ||
      c.cost < best.cost ||
      (c.cost === best.cost && (c.usedFields > best.usedFields || (c.usedFields === best.usedFields && c.covered && !best.covered)))
    ) {
      best = c;
    }
  }
  const scanCost = target.size * (sort.length > 0 ? 2 : 1) + 1;
  return best && best.cost <= scanCost ? best : undefined;
}

// ---------------------------------------------------------------- execution

/**
 * Runs a query: the documents matching `filter`, sorted, skipped and limited (not projected).
 * Returned documents are the stored ones: callers must not change them.
 */
export function runQuery(target: PlanTarget, filter: Document, queryOptions: QueryOptions): QueryOutcome {
  // `sort: {$natural: ±1}` is a collection scan in that direction (natural-sort.ts).
  const options = queryOptions.sort !== undefined && '$natural' in queryOptions.sort ? naturalSortOptions(queryOptions as QueryOptions & { sort: Document }) : queryOptions;
  const sortSpec = options.sort ?? {};
  const skip = Math.max(0, options.skip ?? 0);
  const limit = Math.max(0, options.limit ?? 0);
  refuseIndexOnlyOperators(filter);
  const mods = resolveModifiers(target, options, target.collation); // undefined without any modifier
  const collation = mods?.collation;
  const analysis = analyze(filter, collation !== undefined);
  // A sort with `$meta` or odd values is never covered by an index, nor a sort under a
  // collation (the indexes hold strings in binary order).
  const keys = collation ? undefined : sortKeys(sortSpec);
  const candidate = plan(target, analysis, keys ?? [{ field: '\0', dir: 1 }], limit, mods?.hint);
  const compile = mods ? mods.compile : compileFilter;
  const hasSort = Object.keys(sortSpec).length > 0;
  const deadline = options.deadline;
  const outcome: QueryOutcome = { docs: [], plan: { stage: 'COLLSCAN' }, keysExamined: 0, docsExamined: 0, sortedInMemory: false };
  const want = limit > 0 ? limit : Infinity;

  if (!candidate) {
    const test = compile(filter);
    const early = hasSort ? Infinity : skip + want;
    const found: Document[] = [];
    const backward = mods?.hint !== undefined && 'natural' in mods.hint && mods.hint.natural === -1;
    const slots = target.slots;
    for (let n = 0; n < slots.length; n++) {
      const doc = slots[backward ? slots.length - 1 - n : n]; // walked backward in place, not copied
      if (doc === undefined) continue;
      deadline.tick();
      outcome.docsExamined++;
      if (test(doc)) found.push(doc);
      if (found.length >= early) break;
    }
    finish(outcome, found, sortSpec, hasSort, skip, want, deadline, collation);
    return outcome;
  }

  const { index } = candidate;
  outcome.plan = summary(target, candidate);
  const test = candidate.exact ? undefined : compile(filter);
  const dir = candidate.direction;
  const intervals = dir === 1 ? intervalsOf(candidate) : [...intervalsOf(candidate)].reverse();
  const fetch = (e: Entry): Document => {
    outcome.docsExamined++;
    return target.slots[slotOf(e)] as Document;
  };

  if (candidate.positional && (candidate.covered || !hasSort)) {
    // Skip by position, then read only what is returned.
    outcome.total = candidate.size;
    let toSkip = skip;
    for (const iv of intervals) {
      const n = iv.end - iv.start;
      if (toSkip >= n) {
        toSkip -= n;
        continue;
      }
      const from = dir === 1 ? iv.start + toSkip : iv.end - 1 - toSkip;
      const count = Math.min(n - toSkip, want - outcome.docs.length);
      toSkip = 0;
      index.walk(from, dir, count, (e) => {
        deadline.tick();
        outcome.keysExamined++;
        outcome.docs.push(fetch(e));
        return true;
      });
      if (outcome.docs.length >= want) break;
    }
    return outcome;
  }

  const seen = candidate.multikey ? new Set<number>() : undefined;
  const found: Document[] = [];
  // In index order with the sort covered: stop as soon as the page is full.
  const early = candidate.covered || !hasSort ? skip + want : Infinity;
  for (const iv of intervals) {
    index.walk(dir === 1 ? iv.start : iv.end - 1, dir, iv.end - iv.start, (e) => {
      deadline.tick();
      outcome.keysExamined++;
      if (seen) {
        const slot = slotOf(e);
        if (seen.has(slot)) return true;
        seen.add(slot);
      }
      const doc = fetch(e);
      if (!test || test(doc)) found.push(doc);
      return found.length < early;
    });
    if (found.length >= early) break;
  }
  finish(outcome, found, sortSpec, hasSort && !candidate.covered, skip, want, deadline, collation);
  return outcome;
}

/** Whether a query names any modifier (collation, let, hint): checked before anything is resolved. */
function hasModifiers(options: QueryModifiers): boolean {
  return options.collation !== undefined || options.hint !== undefined || options.variables !== undefined;
}

/** The plan: the hinted index (or a collection scan for `$natural`), else the cheapest. */
function plan(target: PlanTarget, analysis: Analysis, sort: Array<{ field: string; dir: 1 | -1 }>, limit: number, hint: ResolvedHint | undefined): Candidate | undefined {
  if (hint === undefined) return choose(target, analysis, sort, limit);
  return 'index' in hint ? planIndex(hint.index, analysis, sort, limit, undefined, true) : undefined;
}

function finish(outcome: QueryOutcome, found: Document[], sort: Document, sortNeeded: boolean, skip: number, want: number, deadline: Deadline, collation?: Collation): void {
  let docs = found;
  if (sortNeeded) {
    docs = sortDocuments(docs, sort, deadline, collation);
    outcome.sortedInMemory = true;
  }
  if (skip > 0 || want !== Infinity) docs = docs.slice(skip, want === Infinity ? undefined : skip + want);
  outcome.docs = docs;
}

function summary(target: PlanTarget, candidate: Candidate): PlanSummary {
  const { index } = candidate;
  return {
    stage: 'IXSCAN',
    indexName: index.spec.name,
    keyPattern: index.spec.key,
    isMultiKey: candidate.multikey,
    isUnique: index.spec.unique === true || index === target.idIndex,
    isSparse: index.sparse,
    isPartial: index.spec.partialFilterExpression !== undefined,
    direction: candidate.direction === 1 ? 'forward' : 'backward',
    // Formatted only when read (explain), not for every query.
    get indexBounds() {
      return describeBounds(candidate);
    },
    exact: candidate.exact,
  };
}

/**
 * How many stored documents match `filter`. Exact bounds are counted from positions alone, without
 * reading a document; otherwise the candidates are tested.
 */
export function countQuery(target: PlanTarget, filter: Document, deadline: Deadline, modifiers: QueryModifiers = NO_MODIFIERS): QueryOutcome & { total: number } {
  if (modifiers !== NO_MODIFIERS && hasModifiers(modifiers)) {
    // Counted through runQuery, which applies them (a hinted sparse index counts what it holds).
    const outcome = runQuery(target, filter, { ...modifiers, deadline });
    return { ...outcome, total: outcome.docs.length, docs: [] };
  }
  const empty = { docs: [], keysExamined: 0, docsExamined: 0, sortedInMemory: false };
  if (Object.keys(filter).length === 0) return { ...empty, total: target.size, plan: { stage: 'COLLSCAN' } };
  // `$text` and geo operators (refused in runQuery) never give exact bounds, so never reach the positional count.
  const candidate = target.collation ? undefined : choose(target, analyze(filter), [], 0);
  if (candidate?.positional) return { ...empty, total: candidate.size, plan: summary(target, candidate) };
  const outcome = runQuery(target, filter, { deadline });
  return { ...outcome, total: outcome.docs.length, docs: [] };
}

/** A predicate for `filter`, for callers that test documents themselves. */
export function matcherFor(filter: Document): Predicate {
  return compileFilter(filter);
}

/** A plan with no documents at all (the collection does not exist), for explain. */
export const EOF_PLAN: PlanSummary = { stage: 'EOF' };
