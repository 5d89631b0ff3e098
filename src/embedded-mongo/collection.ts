/**
 * One collection: its documents in natural (insertion) order, its indexes, and the entry points
 * of the query planner (planner.ts).
 *
 * Documents live in a slot array: a document's slot is its place in natural order, like
 * MongoDB's RecordId, and every index — `_id_` included — holds slot numbers ordered by key
 * (indexes.ts). Replacing a document keeps its slot; deleting one leaves a hole, and once holes
 * outnumber documents the array is compacted and every index renumbered (the renumbering keeps
 * their order, so nothing is re-sorted). No per-document map entry, key string or wrapper object.
 *
 * Stored documents are never changed in place (an update stores a new object), so queries hand
 * out the stored objects themselves.
 */
import type { Document } from 'bson';
import type { Deadline } from './deadline';
import { NO_DEADLINE } from './deadline';
import { compileFilter, equalityValue } from './filter';
import { OrderedIndex, slotOf, type Entry } from './indexes';
import { countQuery, runQuery, type PlanTarget, type QueryOptions, type QueryOutcome } from './planner';
import type { IndexSpec } from './storage/persistence';
import type { CollectionOptions } from './collection-options';
import { storedSize } from './capped';
import { NO_MODIFIERS, type QueryModifiers } from './query-options';
import { getPath } from './values';

export { compileFilter as matcher, equalityValue };

/** The always-present `_id` index, as listIndexes reports it. */
export const ID_INDEX: IndexSpec = Object.freeze({ name: '_id_', key: { _id: 1 as const } });

/** Counters that let tests (and curious operators) see whether queries used an index. */
export interface QueryStats {
  /** Documents handed to the matcher, summed over all queries. */
  docsExamined: number;
  /** Queries answered from an index. */
  indexedQueries: number;
  /** Queries that had to look at every document. */
  collectionScans: number;
}

/** A removed document and where it was, so that a rollback can put it back in its place. */
export interface Removed {
  doc: Document;
  slot: number;
  generation: number;
}

/** Holes (deleted slots) tolerated before the slot array is compacted, at least. */
const MIN_HOLES_TO_COMPACT = 1024;

/** One collection: documents by slot, the `_id_` index and the secondary indexes. */
export class Collection implements PlanTarget {
  /** Documents by slot; undefined marks a deleted one. */
  slots: (Document | undefined)[] = [];
  readonly idIndex: OrderedIndex;
  readonly indexes = new Map<string, OrderedIndex>();
  private opts: CollectionOptions | undefined;
  /** A capped collection's bounds (capped.ts); undefined for every other collection. */
  private cap: { size: number; max: number } | undefined;
  /** A capped collection's documents' total BSON size, kept by put/remove/restore. */
  private cappedBytes = 0;
  /** No live document sits in a slot below this one (capped collections: where the oldest is looked for). */
  private oldestFrom = 0;
  private live = 0;
  private holes = 0;
  /** Compactions so far: a slot remembered across one is stale. */
  private generation = 0;

  constructor(
    readonly db: string,
    readonly name: string,
    private readonly stats: QueryStats,
    /** Whether renumbering slots is safe now (no rollback still needs old slot numbers). */
    private readonly canCompact: () => boolean = () => true,
    /** The default collation (`create` with `collation`), full specification: used by queries and indexes that name none, the `_id_` index included. */
    readonly collation?: Document,
  ) {
    this.idIndex = new OrderedIndex({ name: ID_INDEX.name, key: { _id: 1 }, unique: true, ...(collation ? { collation } : {}) }, this);
  }

  /** The options it was created with or given by collMod (collection-options.ts); usually none. */
  get options(): CollectionOptions | undefined {
    return this.opts;
  }

  /** Sets the options; capped ones start the running byte total (one pass, when the options change). */
  set options(options: CollectionOptions | undefined) {
    this.opts = options;
    const capped = options?.capped === true && options.size !== undefined;
    this.cap = capped ? { size: options.size as number, max: options.max ?? 0 } : undefined;
    this.cappedBytes = 0;
    this.oldestFrom = 0;
    if (capped) for (const doc of this.documents()) this.cappedBytes += storedSize(doc);
  }

  /** Whether the collection is capped. */
  get capped(): boolean {
    return this.cap !== undefined;
  }

  /** Whether a capped collection holds more bytes or documents than its bounds allow. */
  overCap(): boolean {
    const cap = this.cap;
    return cap !== undefined && (this.cappedBytes > cap.size || (cap.max !== 0 && this.live > cap.max));
  }

  /** The oldest live document (natural order); amortised O(1) as the oldest are removed one by one. */
  oldest(): Document | undefined {
    const slots = this.slots;
    let i = this.oldestFrom;
    while (i < slots.length && slots[i] === undefined) i++;
    this.oldestFrom = i;
    return slots[i];
  }

  /** Live documents. */
  get size(): number {
    return this.live;
  }

  /** The stored documents in natural order (do not mutate them). */
  *documents(): IterableIterator<Document> {
    for (const doc of this.slots) if (doc !== undefined) yield doc;
  }

  /** All index definitions, `_id_` first. */
  indexSpecs(): IndexSpec[] {
    return [this.collation ? { ...ID_INDEX, collation: this.collation } : ID_INDEX, ...[...this.indexes.values()].map((i) => i.spec)];
  }

  /** The slot of the document with this `_id`, if any. */
  private slotOf(id: unknown): number | undefined {
    const key = [id];
    const e = this.idIndex.first(key);
    return e !== undefined && this.idIndex.comparePrefix(e, key) === 0 ? (e as number) : undefined;
  }

  /** The stored document with this `_id`, if any (do not mutate it). */
  byId(id: unknown): Document | undefined {
    const slot = this.slotOf(id);
    return slot === undefined ? undefined : this.slots[slot];
  }

  /**
   * Stores a document (which the collection now owns: nobody may change it) under its `_id`,
   * replacing the one with the same `_id` in its slot. Indexes whose key did not change are left alone.
   */
  put(doc: Document): void {
    const slot = this.slotOf(doc._id);
    if (slot !== undefined) {
      const old = this.slots[slot] as Document;
      if (this.cap) this.cappedBytes += storedSize(doc) - storedSize(old);
      const changed = [...this.indexes.values()].filter((index) => !index.sameKeys(old, doc));
      for (const index of changed) index.remove(slot);
      this.slots[slot] = doc;
      for (const index of changed) index.add(slot);
      return;
    }
    const at = this.slots.length;
    this.slots.push(doc);
    this.live++;
    if (this.cap) this.cappedBytes += storedSize(doc);
    this.idIndex.add(at);
    for (const index of this.indexes.values()) index.add(at);
  }

  /** Removes the document with this `_id`, if any, from the slots and every index. */
  remove(idValue: unknown): Removed | undefined {
    if (this.holes >= MIN_HOLES_TO_COMPACT && this.holes > this.live && this.canCompact()) this.compact();
    const slot = this.slotOf(idValue);
    if (slot === undefined) return undefined;
    const doc = this.slots[slot] as Document;
    for (const index of this.indexes.values()) index.remove(slot);
    this.idIndex.remove(slot);
    this.slots[slot] = undefined;
    this.live--;
    if (this.cap) this.cappedBytes -= storedSize(doc);
    this.holes++;
    return { doc, slot, generation: this.generation };
  }

  /** Puts back a removed document, in its old slot when that is still free (a rollback, newest first). */
  restore(removed: Removed): void {
    let slot = removed.slot;
    if (removed.generation !== this.generation || slot >= this.slots.length || this.slots[slot] !== undefined) {
      slot = this.slots.length;
      this.slots.push(removed.doc);
    } else {
      this.slots[slot] = removed.doc;
      this.holes--;
    }
    this.live++;
    if (this.cap) {
      this.cappedBytes += storedSize(removed.doc);
      this.oldestFrom = Math.min(this.oldestFrom, slot);
    }
    this.idIndex.add(slot);
    for (const index of this.indexes.values()) index.add(slot);
  }

  /** Natural order after restores: kept exactly by `restore`, so nothing is left to do. */
  restoreOrder(): void {}

  /** Drops the holes: slots are renumbered in order, and every index with them. */
  private compact(): void {
    const map = new Int32Array(this.slots.length);
    const next: Document[] = [];
    for (let i = 0; i < this.slots.length; i++) {
      const doc = this.slots[i];
      map[i] = next.length;
      if (doc !== undefined) next.push(doc);
    }
    this.idIndex.renumber(map);
    for (const index of this.indexes.values()) index.renumber(map);
    this.slots = next;
    this.holes = 0;
    this.oldestFrom = 0;
    this.generation++;
  }

  /** A new index over the stored documents (not yet registered in `indexes`). */
  buildIndex(spec: IndexSpec): OrderedIndex {
    const index = new OrderedIndex(spec, this);
    index.rebuild();
    return index;
  }

  /** For building a unique index: the key two stored documents share, if any. */
  duplicateKey(spec: IndexSpec): Document | undefined {
    const probe = this.buildIndex(spec);
    let previous: Entry | undefined;
    for (const e of probe.entries()) {
      // Equal keys are adjacent; entries of one document never share a key.
      if (previous !== undefined && slotOf(previous) !== slotOf(e)) {
        const prev = previous;
        if (probe.comparePrefix(e, probe.fields.map((_, i) => probe.valueOf(prev, i))) === 0) {
          const doc = this.slots[slotOf(e)] as Document;
          const keyValue: Document = {};
          for (const f of probe.fields) keyValue[f] = getPath(doc, f) ?? null;
          return keyValue;
        }
      }
      previous = e;
    }
    return undefined;
  }

  /**
   * The first unique-index violation that storing `doc` would cause, if any. `previous` is the
   * version it replaces: indexes whose key it does not change cannot be violated.
   */
  uniqueViolation(doc: Document, previous?: Document): { spec: IndexSpec; keyValue: Document } | undefined {
    const ownSlot = previous === undefined ? -1 : (this.slotOf(doc._id) ?? -1);
    for (const index of this.indexes.values()) {
      if (!index.spec.unique || (previous && index.sameKeys(previous, doc))) continue;
      const other = index.conflict(doc, ownSlot);
      if (other === undefined) continue;
      const keyValue: Document = {};
      const otherDoc = this.slots[other] ?? {};
      // Equal to the other document's key; a missing field shows as null, as in MongoDB.
      for (const f of index.fields) keyValue[f] = getPath(doc, f) ?? getPath(otherDoc, f) ?? null;
      return { spec: index.spec, keyValue };
    }
    return undefined;
  }

  /** Runs a query (filter, sort, skip, limit) through the planner, counting what it examined. */
  query(filter: Document, options: QueryOptions): QueryOutcome {
    const outcome = runQuery(this, filter, options);
    this.account(outcome);
    return outcome;
  }

  /** The stored documents matching `filter`, in plan order (at most `limit` of them when given). */
  match(filter: Document, limit = 0, deadline: Deadline = NO_DEADLINE, modifiers: QueryModifiers = NO_MODIFIERS): Document[] {
    return this.query(filter, { ...modifiers, limit, deadline }).docs;
  }

  /** How many stored documents match `filter`; exact index bounds count without reading documents. */
  count(filter: Document, deadline: Deadline = NO_DEADLINE, modifiers: QueryModifiers = NO_MODIFIERS): number {
    return this.countWithPlan(filter, deadline, modifiers).total;
  }

  /** `count`, with the plan and what it examined (for explain). */
  countWithPlan(filter: Document, deadline: Deadline = NO_DEADLINE, modifiers: QueryModifiers = NO_MODIFIERS): QueryOutcome & { total: number } {
    const outcome = countQuery(this, filter, deadline, modifiers);
    if (Object.keys(filter).length > 0) this.account(outcome);
    return outcome;
  }

  private account(outcome: QueryOutcome): void {
    this.stats.docsExamined += outcome.docsExamined;
    if (outcome.plan.stage === 'IXSCAN') this.stats.indexedQueries++;
    else if (outcome.plan.stage === 'COLLSCAN') this.stats.collectionScans++;
  }
}
