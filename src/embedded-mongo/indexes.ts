/**
 * Secondary indexes: a trie of canonical key strings, one level per indexed field, with the
 * set of document id-keys at the leaves. A trie (rather than one map of whole keys) lets an
 * equality on a prefix of a compound index, e.g. `{owner}` on `{owner, updatedAt, id}`, find
 * its documents without a scan.
 */
import type { Document } from 'bson';
import type { IndexSpec } from './storage/persistence';
import { keyOf, valuesAtPath } from './values';

type Node = Map<string, Node | Set<string>>;

/** One index: its definition and its entries. The `_id_` index lives in the collection's Map. */
export class SecondaryIndex {
  readonly fields: string[];
  private readonly root: Node = new Map();

  constructor(readonly spec: IndexSpec) {
    this.fields = Object.keys(spec.key);
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
      let node = this.root;
      for (let i = 0; i < tuple.length - 1; i++) {
        let next = node.get(tuple[i]) as Node | undefined;
        if (!next) node.set(tuple[i], (next = new Map()));
        node = next;
      }
      const last = tuple[tuple.length - 1];
      let ids = node.get(last) as Set<string> | undefined;
      if (!ids) node.set(last, (ids = new Set()));
      ids.add(id);
    }
  }

  /** Removes a document's entries (pass the document as it was when added). */
  remove(doc: Document, id: string): void {
    if (this.skips(doc)) return;
    for (const tuple of this.keysOf(doc)) this.removeTuple(this.root, tuple, 0, id);
  }

  private removeTuple(node: Node, tuple: string[], i: number, id: string): boolean {
    const child = node.get(tuple[i]);
    if (!child) return node.size === 0;
    if (child instanceof Set) child.delete(id);
    else this.removeTuple(child, tuple, i + 1, id);
    // Prune empty branches so lookups and memory stay proportional to live data.
    if (child.size === 0) node.delete(tuple[i]);
    return node.size === 0;
  }

  /** Ids of the documents whose first `prefix.length` fields have exactly these keys. */
  lookup(prefix: string[]): Set<string> {
    let node: Node | Set<string> | undefined = this.root;
    for (const key of prefix) {
      if (!(node instanceof Map)) break;
      node = node.get(key);
      if (!node) return new Set();
    }
    const out = new Set<string>();
    collectIds(node, out);
    return out;
  }

  /** For unique indexes: ids of other documents holding any of `doc`'s keys. */
  conflicts(doc: Document, id: string): { tuple: string[]; other: string } | undefined {
    if (!this.spec.unique || this.skips(doc)) return undefined;
    for (const tuple of this.keysOf(doc)) {
      for (const other of this.lookup(tuple)) if (other !== id) return { tuple, other };
    }
    return undefined;
  }
}

function collectIds(node: Node | Set<string>, out: Set<string>): void {
  if (node instanceof Set) for (const id of node) out.add(id);
  else for (const child of node.values()) collectIds(child, out);
}
