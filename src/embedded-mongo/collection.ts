/**
 * One collection: documents keyed by the canonical string of their `_id`, secondary indexes,
 * and the planner that picks candidate documents for a filter.
 */
import { Query } from 'mingo';
import type { Document } from 'bson';
import { SecondaryIndex, type Entries } from './indexes';
import { QUERY_OPTIONS } from './mingo-options';
import type { IndexSpec } from './storage/persistence';
import { getPath, isPlainObject, keyOf } from './values';

/** The always-present `_id` index, as listIndexes reports it. */
export const ID_INDEX: IndexSpec = Object.freeze({ name: '_id_', key: { _id: 1 as const } });

/** Counters that let tests (and curious operators) see whether queries used an index. */
export interface QueryStats {
  /** Documents handed to the matcher, summed over all queries. */
  docsExamined: number;
  /** Queries answered from the `_id` map or a secondary index. */
  indexedQueries: number;
  /** Queries that had to look at every document. */
  collectionScans: number;
}

/** How a query's candidate documents were chosen. */
export interface Plan {
  docs: Document[];
  /** `_id_`, a secondary index name, or undefined for a collection scan. */
  indexName?: string;
  /** The candidates are exactly the matches (the index answered the whole filter): no need to run mingo. */
  exact?: boolean;
}

/** A plan before its documents are fetched: index entries, id-keys to fetch, or every document. */
interface KeyPlan {
  keys?: Entries | string[];
  size: number;
  indexName?: string;
  exact?: boolean;
}

/** One collection: documents keyed by `keyOf(_id)`, in insertion order, plus indexes. */
export class Collection {
  readonly docs = new Map<string, Document>();
  readonly indexes = new Map<string, SecondaryIndex>();
  /** Insertion sequence per id-key: the natural order of index results. */
  private readonly order = new Map<string, number>();
  private nextSeq = 0;
  /** A restored document sits at the end of `docs` instead of at its place in natural order. */
  private unordered = false;

  constructor(
    readonly db: string,
    readonly name: string,
    private readonly stats: QueryStats,
  ) {}

  /** Stores a document (a private copy) under its `_id`, keeping every index in step. */
  put(doc: Document): void {
    const id = keyOf(doc._id);
    const old = this.docs.get(id);
    for (const index of this.indexes.values()) {
      if (old) index.remove(old, id);
      index.add(doc, id);
    }
    if (!old) this.order.set(id, this.nextSeq++);
    // Replacing keeps the Map position, so natural order is insertion order, as in MongoDB.
    this.docs.set(id, doc);
  }

  /** Removes the document with this `_id`, if any, from the map and every index; returns it and its place in natural order. */
  remove(idValue: unknown): { doc: Document; seq: number } | undefined {
    const id = keyOf(idValue);
    const old = this.docs.get(id);
    if (!old) return undefined;
    for (const index of this.indexes.values()) index.remove(old, id);
    const seq = this.order.get(id) ?? 0;
    this.docs.delete(id);
    this.order.delete(id);
    return { doc: old, seq };
  }

  /**
   * Puts back a removed document at its old place in natural order (`seq` from `remove`). The map
   * keeps documents in that order; call `restoreOrder` once all restores are done.
   */
  restore(doc: Document, seq: number): void {
    const id = keyOf(doc._id);
    for (const index of this.indexes.values()) index.add(doc, id);
    this.docs.set(id, doc);
    this.order.set(id, seq);
    if (seq < this.nextSeq - 1) this.unordered = true;
  }

  /** Re-sorts the document map by natural order after `restore`s that put documents back in the middle. */
  restoreOrder(): void {
    if (!this.unordered) return;
    this.unordered = false;
    const sorted = [...this.docs].sort(([a], [b]) => (this.order.get(a) ?? 0) - (this.order.get(b) ?? 0));
    this.docs.clear();
    for (const [id, doc] of sorted) this.docs.set(id, doc);
  }

  /** All index definitions, `_id_` first. */
  indexSpecs(): IndexSpec[] {
    return [ID_INDEX, ...[...this.indexes.values()].map((i) => i.spec)];
  }

  /** The stored document with this `_id`, if any (do not mutate it). */
  byId(id: unknown): Document | undefined {
    return this.docs.get(keyOf(id));
  }

  /**
   * Picks the documents that may match `filter` (the caller still filters them with mingo unless
   * the plan is exact): an `_id` equality or `$in` uses the id map; otherwise the index with the
   * longest equality prefix; otherwise every document. `natural` keeps insertion order, which
   * costs a sort; callers that sort or count anyway pass false.
   */
  candidates(filter: Document, natural = true): Plan {
    const plan = this.plan(filter);
    this.stats.docsExamined += plan.size;
    if (plan.indexName) this.stats.indexedQueries++;
    else this.stats.collectionScans++;
    const docs = plan.keys ? this.fetch(plan.keys, natural) : [...this.docs.values()];
    return { docs, indexName: plan.indexName, exact: plan.exact };
  }

  /** How many stored documents match `filter`; an exact index plan counts without fetching. */
  count(filter: Document): number {
    if (Object.keys(filter).length === 0) return this.docs.size;
    const plan = this.plan(filter);
    if (plan.exact && plan.keys && plan.indexName !== '_id_') {
      this.stats.indexedQueries++;
      return plan.size;
    }
    return this.match(filter, false).length;
  }

  private plan(filter: Document): KeyPlan {
    const idCond: unknown = filter._id;
    if (idCond !== undefined) {
      const eq = equalityValue(idCond);
      if (eq.ok) {
        // keyOf equality is MongoDB equality for scalar ids, so a filter of only this is answered.
        const exact = Object.keys(filter).length === 1 && !isPlainObject(eq.value);
        return { keys: [keyOf(eq.value)], size: 1, indexName: '_id_', exact };
      }
      if (isPlainObject(idCond) && Array.isArray(idCond.$in) && Object.keys(idCond).length === 1
        && idCond.$in.every((v: unknown) => equalityValue(v).ok)) {
        return { keys: idCond.$in.map(keyOf), size: idCond.$in.length, indexName: '_id_' };
      }
    }
    // Of the indexes with an equality prefix, the one whose entries are fewest: a lookup is one
    // map access, so asking every index is cheaper than guessing (e.g. `{id, owner}` must use
    // the unique `{id}` index, not the owner's whole note list).
    let best: { index: SecondaryIndex; prefix: string[]; entries: Entries } | undefined;
    for (const index of this.indexes.values()) {
      // A sparse index lacks documents that `{f: null}` matches, so only use it for non-null keys.
      const prefix: string[] = [];
      for (const field of index.fields) {
        const eq = equalityValue(filter[field]);
        if (!eq.ok || (index.spec.sparse && (eq.value === null || eq.value === undefined))) break;
        prefix.push(keyOf(eq.value));
      }
      if (prefix.length === 0) continue;
      const entries = index.lookup(prefix);
      if (!best || entries.size < best.entries.size || (entries.size === best.entries.size && prefix.length > best.prefix.length)) {
        best = { index, prefix, entries };
      }
    }
    if (best) {
      const { index, prefix, entries } = best;
      const inPrefix = (f: string) => !f.includes('.') && index.fields.indexOf(f) >= 0 && index.fields.indexOf(f) < prefix.length;
      const exact = Object.keys(filter).every((f) => inPrefix(f) && indexExact(filter[f]));
      return { keys: entries, size: entries.size, indexName: index.spec.name, exact };
    }
    return { size: this.docs.size };
  }

  private fetch(keys: Entries | string[], natural: boolean): Document[] {
    let docs: Document[];
    if (Array.isArray(keys)) {
      // An `_id` list may name a document twice or name none.
      const unique = new Set(keys);
      docs = [];
      for (const k of unique) {
        const doc = this.docs.get(k);
        if (doc) docs.push(doc);
      }
    } else {
      docs = [...keys.values()];
    }
    if (!natural || docs.length < 2) return docs;
    // Natural (insertion) order: each document's sequence number is looked up once, not per comparison.
    const seqs = new Map<Document, number>();
    for (const doc of docs) seqs.set(doc, this.order.get(keyOf(doc._id)) ?? 0);
    return docs.sort((x, y) => (seqs.get(x) ?? 0) - (seqs.get(y) ?? 0));
  }

  /** Candidates filtered by mingo: the stored documents that match `filter`. */
  match(filter: Document, natural = true): Document[] {
    const { docs, exact } = this.candidates(filter, natural);
    if (exact || Object.keys(filter).length === 0) return docs;
    return docs.filter(matcher(filter));
  }

  /** The first unique-index violation that storing `doc` would cause, if any. */
  uniqueViolation(doc: Document): { spec: IndexSpec; keyValue: Document } | undefined {
    const id = keyOf(doc._id);
    for (const index of this.indexes.values()) {
      const hit = index.conflicts(doc, id);
      if (hit) {
        const keyValue: Document = {};
        const other = this.docs.get(hit.other) ?? {};
        // Equal to the other document's key under keyOf; a missing field shows as null, as in MongoDB.
        for (const f of index.fields) keyValue[f] = getPath(doc, f) ?? getPath(other, f) ?? null;
        return { spec: index.spec, keyValue };
      }
    }
    return undefined;
  }
}

/**
 * Whether an index lookup on this equality value returns exactly the documents MongoDB's
 * equality would match, so the matcher can be skipped. True for strings and booleans: their
 * index keys compare as MongoDB compares them, also against array elements. Numbers (int,
 * long, double, decimal compare equal across types), null (matches missing fields), dates and
 * composites are left to the matcher.
 */
function indexExact(cond: unknown): boolean {
  const eq = equalityValue(cond);
  return eq.ok && (typeof eq.value === 'string' || typeof eq.value === 'boolean');
}

/**
 * A predicate for `filter`. Filters made only of string or boolean equalities on top-level
 * fields (`{id: '7', owner: '3'}`, the shape of most of the app's queries) are tested directly,
 * with MongoDB's rule that an array field matches when one element is equal; everything else
 * goes to mingo, whose query compilation would otherwise dominate such lookups.
 */
export function matcher(filter: Document): (doc: Document) => boolean {
  const fields = Object.keys(filter);
  if (fields.every((f) => !f.includes('.') && !f.startsWith('$') && indexExact(filter[f]))) {
    const wanted = fields.map((f) => [f, (equalityValue(filter[f]) as { value: unknown }).value] as const);
    return (doc) =>
      wanted.every(([f, v]) => {
        const actual: unknown = doc[f];
        return actual === v || (Array.isArray(actual) && actual.includes(v));
      });
  }
  const query = new Query(filter, QUERY_OPTIONS);
  return (doc) => query.test(doc);
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
