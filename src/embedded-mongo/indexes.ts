/**
 * Ordered indexes. An index is a SortedList of entries in MongoDB's key order (bson-order.ts),
 * ties broken by the document's slot, which is its place in natural (insertion) order, as
 * MongoDB breaks ties by RecordId. An entry is, in the common case, just the slot number: the
 * key is read from the stored document when two entries are compared, so an entry costs one
 * array slot and no object. Only a document whose key cannot be read directly — a field holding
 * an array (one entry per element: a multikey index) or a dotted path through an array — gets
 * `KeyedEntry` objects carrying their key.
 *
 * Because equal keys are adjacent, an insert also hands the document the string instances of
 * its neighbour's equal key values (e.g. the owner of a note), so a value repeated in many
 * documents is kept once.
 */
import type { Document } from 'bson';
import { compareValues, isCertain } from './bson-order';
import { parseCollation } from './collation';
import { compileFilter, type Predicate } from './filter';
import { SortedList } from './sorted-list';
import type { IndexSpec } from './storage/persistence';
import { isPlainObject, keyOf, valuesAtPath } from './values';

/** Where an index finds documents: the collection's slot array (natural order; holes are undefined). */
export interface SlotStore {
  slots: (Document | undefined)[];
}

/** An entry whose key cannot be read from its document directly (multikey, or a path through an array). */
export class KeyedEntry {
  constructor(
    public slot: number,
    readonly key: unknown[],
  ) {}
}

/** An index entry: a slot number, or a slot with its own key. */
export type Entry = number | KeyedEntry;

/** The slot of an entry. */
export function slotOf(e: Entry): number {
  return typeof e === 'number' ? e : e.slot;
}

/** How a document appears in one index. */
type DocKeys =
  /** Not in the index (sparse with every indexed field missing, or outside a partial filter). */
  | { kind: 'none' }
  /** One entry: the slot; its key is read from the document. */
  | { kind: 'simple'; certain: boolean }
  /** One KeyedEntry per distinct key tuple. */
  | { kind: 'keyed'; tuples: unknown[][]; certain: boolean };

/** One index (including `_id_`): its definition, its entries, and what the planner needs to know of them. */
export class OrderedIndex {
  readonly fields: string[];
  readonly dirs: Array<1 | -1>;
  private readonly paths: string[][];
  private readonly topLevel: boolean;
  private list: SortedList<Entry>;
  /** Documents with KeyedEntry entries from arrays: while any exist, ranges and sorts are not answered from this index. */
  multikeyDocs = 0;
  /** Documents whose key holds a value ordered only approximately (Decimal128): then the matcher decides. */
  uncertainDocs = 0;
  /** A partial index's filter: documents not matching it have no entries (nor uniqueness). */
  private readonly inFilter: Predicate | undefined;
  /** Whether the index has a collation: its strings are in the collation's order, not binary. */
  readonly collated: boolean;
  /** How key values compare: MongoDB's order, strings under the index's collation if any. */
  private readonly cmp: (a: unknown, b: unknown) => number;

  constructor(
    readonly spec: IndexSpec,
    private readonly store: SlotStore,
  ) {
    this.fields = Object.keys(spec.key);
    this.dirs = this.fields.map((f) => (spec.key[f] === -1 ? -1 : 1));
    this.paths = this.fields.map((f) => f.split('.'));
    this.topLevel = this.paths.every((p) => p.length === 1);
    const collation = spec.collation === undefined ? undefined : parseCollation(spec.collation);
    this.collated = collation !== undefined;
    this.cmp = collation ? collation.compare : compareValues;
    this.list = new SortedList<Entry>(this.compareEntries);
    this.inFilter = spec.partialFilterExpression ? compileFilter(spec.partialFilterExpression) : undefined;
  }

  /** Entries in the index. */
  get size(): number {
    return this.list.size;
  }

  /** Whether a document missing every indexed field is left out. */
  get sparse(): boolean {
    return this.spec.sparse === true;
  }

  /** The value of field `i` of an entry's key (missing fields read as undefined, which orders as null). */
  valueOf(e: Entry, i: number): unknown {
    if (typeof e !== 'number') return e.key[i];
    const doc = this.store.slots[e] as Document;
    const path = this.paths[i];
    if (path.length === 1) return doc[path[0]];
    return plainPath(doc, path);
  }

  /** The total order of entries: key fields in their directions, then slot. */
  readonly compareEntries = (a: Entry, b: Entry): number => {
    const n = this.fields.length;
    if (this.topLevel && typeof a === 'number' && typeof b === 'number') {
      const da = this.store.slots[a] as Document;
      const db = this.store.slots[b] as Document;
      for (let i = 0; i < n; i++) {
        const f = this.fields[i];
        const c = this.cmp(da[f], db[f]);
        if (c !== 0) return c * this.dirs[i];
      }
      return a - b;
    }
    for (let i = 0; i < n; i++) {
      const c = this.cmp(this.valueOf(a, i), this.valueOf(b, i));
      if (c !== 0) return c * this.dirs[i];
    }
    return slotOf(a) - slotOf(b);
  };

  /**
   * Compares an entry's key with a key prefix (index order: values in each field's direction).
   * `prefix` may hold TypeBounds; fields beyond it are not compared.
   */
  comparePrefix(e: Entry, prefix: readonly unknown[]): number {
    for (let i = 0; i < prefix.length; i++) {
      const c = this.cmp(this.valueOf(e, i), prefix[i]);
      if (c !== 0) return c * this.dirs[i];
    }
    return 0;
  }

  /** The first position whose key is not before `prefix` (or, with `after`, is after it). */
  bound(prefix: readonly unknown[], after: boolean): number {
    return this.list.bound((e) => this.comparePrefix(e, prefix), after);
  }

  /** The first entry whose key is not before `prefix`, without computing its position. */
  first(prefix: readonly unknown[]): Entry | undefined {
    return this.list.find((e) => this.comparePrefix(e, prefix));
  }

  /** The entry at a position. */
  at(pos: number): Entry {
    return this.list.at(pos);
  }

  /** Walks entries from position `from` (inclusive) towards `dir`, calling `visit` until it returns false or `count` entries were seen. */
  walk(from: number, dir: 1 | -1, count: number, visit: (e: Entry) => boolean): void {
    if (count <= 0) return;
    const cur = this.list.cursorAt(from);
    for (let seen = 0; seen < count; seen++) {
      const e = this.list.entryAt(cur);
      if (e === undefined || !visit(e)) return;
      this.list.step(cur, dir);
    }
  }

  /** Adds the entries of the document in `slot`. */
  add(slot: number): void {
    const doc = this.store.slots[slot] as Document;
    const keys = this.keysOf(doc);
    if (keys.kind === 'none') return;
    if (!keys.certain) this.uncertainDocs++;
    if (keys.kind === 'simple') {
      const neighbour = this.list.insert(slot);
      if (typeof neighbour === 'number' && this.topLevel) this.shareStrings(doc, neighbour);
      return;
    }
    this.multikeyDocs++;
    for (const key of keys.tuples) this.list.insert(new KeyedEntry(slot, key));
  }

  /** Removes the entries of the document in `slot` (still there, as it was added). */
  remove(slot: number): void {
    const keys = this.keysOf(this.store.slots[slot] as Document);
    if (keys.kind === 'none') return;
    if (!keys.certain) this.uncertainDocs--;
    if (keys.kind === 'simple') {
      this.list.remove(slot);
      return;
    }
    this.multikeyDocs--;
    for (const key of keys.tuples) this.list.remove(new KeyedEntry(slot, key));
  }

  /** Whether two versions of a document have the same entries here, so replacing one by the other needs no index change. */
  sameKeys(a: Document, b: Document): boolean {
    const ka = this.keysOf(a);
    if (ka.kind !== 'simple' || !ka.certain) return false;
    const kb = this.keysOf(b);
    if (kb.kind !== 'simple' || !kb.certain) return false;
    for (let i = 0; i < this.fields.length; i++) {
      const path = this.paths[i];
      const va = path.length === 1 ? a[path[0]] : plainPath(a, path);
      const vb = path.length === 1 ? b[path[0]] : plainPath(b, path);
      if (this.cmp(va, vb) !== 0) return false;
    }
    return true;
  }

  /**
   * For a unique index: the slot of another document (not `ownSlot`) holding one of `doc`'s
   * keys, or undefined. `doc` need not be stored.
   */
  conflict(doc: Document, ownSlot: number): number | undefined {
    if (!this.spec.unique) return undefined;
    const keys = this.keysOf(doc);
    if (keys.kind === 'none') return undefined;
    const tuples = keys.kind === 'keyed' ? keys.tuples : [this.paths.map((p) => (p.length === 1 ? doc[p[0]] : plainPath(doc, p)))];
    for (const key of tuples) {
      let found: number | undefined;
      this.walk(this.bound(key, false), 1, Infinity, (e) => {
        if (this.comparePrefix(e, key) !== 0) return false;
        if (slotOf(e) !== ownSlot) found = slotOf(e);
        return found === undefined;
      });
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Rebuilds the entries for every stored document at once (sorting once instead of inserting one by one). */
  rebuild(): void {
    const entries: Entry[] = [];
    this.multikeyDocs = 0;
    this.uncertainDocs = 0;
    const slots = this.store.slots;
    for (let slot = 0; slot < slots.length; slot++) {
      const doc = slots[slot];
      if (doc === undefined) continue;
      const keys = this.keysOf(doc);
      if (keys.kind === 'none') continue;
      if (!keys.certain) this.uncertainDocs++;
      if (keys.kind === 'simple') entries.push(slot);
      else {
        this.multikeyDocs++;
        for (const key of keys.tuples) entries.push(new KeyedEntry(slot, key));
      }
    }
    entries.sort(this.compareEntries);
    this.list = SortedList.fromSorted(entries, this.compareEntries);
  }

  /** Renumbers slots after the collection compacted its slot array (`map[old] = new`, increasing, so the order holds). */
  renumber(map: Int32Array): void {
    this.list.mapInPlace((e) => {
      if (typeof e === 'number') return map[e];
      e.slot = map[e.slot];
      return e;
    });
  }

  /** Every entry in index order. */
  entries(): Iterable<Entry> {
    return this.list;
  }

  /** A document's entries: none (sparse), one read from the document, or keyed tuples (arrays on a path). */
  private keysOf(doc: Document): DocKeys {
    if (this.inFilter !== undefined && !this.inFilter(doc)) return NOT_INDEXED;
    let simple = true;
    let certain = true;
    let allMissing = true;
    for (let i = 0; i < this.paths.length; i++) {
      const path = this.paths[i];
      const v = path.length === 1 ? doc[path[0]] : plainPath(doc, path);
      if (v === ARRAY_ON_PATH || Array.isArray(v)) {
        simple = false;
        allMissing = false;
        continue;
      }
      if (v !== undefined) allMissing = false;
      if (certain && v !== null && typeof v === 'object' && !isCertain(v)) certain = false;
    }
    if (simple) return this.sparse && allMissing ? { kind: 'none' } : { kind: 'simple', certain };
    // Arrays: one tuple per combination of values, as MongoDB's multikey indexes (missing → null).
    let tuples: unknown[][] = [[]];
    let missing = true;
    for (const field of this.fields) {
      const values = valuesAtPath(doc, field);
      if (values.some((v) => v !== undefined)) missing = false;
      const distinct = new Map<string, unknown>();
      for (const v of values) {
        if (v !== null && typeof v === 'object' && !isCertain(v)) certain = false;
        const k = keyOf(v);
        if (!distinct.has(k)) distinct.set(k, v === undefined ? null : v);
      }
      tuples = tuples.flatMap((t) => [...distinct.values()].map((v) => [...t, v]));
    }
    if (this.sparse && missing) return { kind: 'none' };
    return { kind: 'keyed', tuples, certain };
  }

  /** Gives `doc` the neighbour's instances of equal top-level string values (one copy of a repeated owner). */
  private shareStrings(doc: Document, neighbour: number): void {
    const other = this.store.slots[neighbour] as Document;
    for (const f of this.fields) {
      const v: unknown = doc[f];
      if (typeof v !== 'string') continue;
      const w: unknown = other[f];
      // Equal content, possibly another instance: keep the neighbour's (the document's own copy is freed).
      if (w === v) doc[f] = w;
    }
  }
}

/** A document outside a partial index's filter. */
const NOT_INDEXED: DocKeys = { kind: 'none' };

/** Marks a dotted path that runs through an array (the index must key such documents itself). */
const ARRAY_ON_PATH = Symbol('array on path');

/** A dotted path through plain objects; ARRAY_ON_PATH when it meets an array before its end. */
function plainPath(doc: Document, path: string[]): unknown {
  let cur: unknown = doc;
  for (let i = 0; i < path.length; i++) {
    if (Array.isArray(cur)) return ARRAY_ON_PATH;
    if (!isPlainObject(cur)) return undefined;
    cur = cur[path[i]];
  }
  return cur;
}
