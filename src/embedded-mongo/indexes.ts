/**
 * Secondary indexes: for each prefix length of the index's fields, a map from the prefix's
 * canonical key to the documents holding it (id-key → document). An equality on a prefix of a
 * compound index, e.g. `{owner}` on `{owner, updatedAt, seq}`, is then one map lookup that
 * returns the entries themselves: no scan, no subtree walk, no copy, and no second lookup of
 * each document by id.
 */
import type { Document } from 'bson';
import type { IndexSpec } from './storage/persistence';
import { keyOf, valuesAtPath } from './values';

/** Index entries under one key: id-key → the stored document. */
export type Entries = ReadonlyMap<string, Document>;

const NO_ENTRIES: Entries = new Map();

/** One map key for a tuple of canonical keys (JSON quoting keeps separators unambiguous). */
function prefixKey(tuple: readonly string[], length: number): string {
  return length === 1 ? tuple[0] : JSON.stringify(tuple.slice(0, length));
}

/** One index: its definition and its entries. The `_id_` index lives in the collection's Map. */
export class SecondaryIndex {
  readonly fields: string[];
  /** levels[i]: entries keyed by the first i + 1 fields. */
  private readonly levels: Map<string, Map<string, Document>>[];

  constructor(readonly spec: IndexSpec) {
    this.fields = Object.keys(spec.key);
    this.levels = this.fields.map(() => new Map());
  }

  /**
   * The key tuples a document has in this index: one per combination of values (arrays give one
   * entry per element). Missing fields are keyed as null, so unique indexes treat them as equal.
   */
  keysOf(doc: Document): string[][] {
    let tuples: string[][] = [[]];
    for (const field of this.fields) {
      const keys = [...new Set(valuesAtPath(doc, field).map(keyOf))];
      tuples = tuples.flatMap((t) => keys.map((k) => [...t, k]));
    }
    return tuples;
  }

  /** Whether a sparse index leaves this document out (all indexed fields missing). */
  private skips(doc: Document): boolean {
    return this.spec.sparse === true && this.fields.every((f) => valuesAtPath(doc, f).every((v) => v === undefined));
  }

  /** Adds a document's entries. */
  add(doc: Document, id: string): void {
    if (this.skips(doc)) return;
    for (const tuple of this.keysOf(doc)) {
      this.levels.forEach((level, i) => {
        const key = prefixKey(tuple, i + 1);
        let entries = level.get(key);
        if (!entries) level.set(key, (entries = new Map()));
        entries.set(id, doc);
      });
    }
  }

  /** Removes a document's entries (pass the document as it was when added). */
  remove(doc: Document, id: string): void {
    if (this.skips(doc)) return;
    for (const tuple of this.keysOf(doc)) {
      this.levels.forEach((level, i) => {
        const key = prefixKey(tuple, i + 1);
        const entries = level.get(key);
        // Drop empty maps so lookups and memory stay proportional to live data.
        if (entries && entries.delete(id) && entries.size === 0) level.delete(key);
      });
    }
  }

  /** The documents whose first `prefix.length` fields have exactly these keys (do not mutate). */
  lookup(prefix: readonly string[]): Entries {
    if (prefix.length === 0 || prefix.length > this.levels.length) return NO_ENTRIES;
    return this.levels[prefix.length - 1].get(prefixKey(prefix, prefix.length)) ?? NO_ENTRIES;
  }

  /** For unique indexes: ids of other documents holding any of `doc`'s keys. */
  conflicts(doc: Document, id: string): { tuple: string[]; other: string } | undefined {
    if (!this.spec.unique || this.skips(doc)) return undefined;
    for (const tuple of this.keysOf(doc)) {
      for (const other of this.lookup(tuple).keys()) if (other !== id) return { tuple, other };
    }
    return undefined;
  }
}
