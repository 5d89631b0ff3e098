/**
 * A sorted sequence with positional access (rank and select in O(log n)): the layout of Python's
 * sortedcontainers. Entries live in plain arrays ("chunks") of LOAD to 2 × LOAD entries, in
 * order; a Fenwick tree over the chunk lengths turns a position into (chunk, offset) and back.
 *
 * Why this and not a B+tree with subtree counts: both are O(log n) for everything the planner
 * needs, but here a lookup is a binary search over the chunks' last entries then inside one
 * array, an insert is one `splice` into an array of at most 2 × LOAD pointers, and there are no
 * node objects: per entry the cost is one array slot. LOAD was chosen by measurement (the
 * numbers are in sorted-list's test and in the issue-11 report): 1,000,000 inserts in random
 * order and 1,000,000 rank/select calls were fastest around 512–1024.
 */

/** Entries per chunk after a split; chunks hold LOAD / 2 … 2 × LOAD entries. */
export const DEFAULT_LOAD = 512;

/** Where a search stops: the result of comparing an entry with the target (negative: the entry sorts first). */
export type Probe<T> = (entry: T) => number;

/** A position inside the list, for walking it without recomputing ranks. */
export interface Cursor {
  chunk: number;
  offset: number;
}

/** A sorted list of entries under a total order `compare`. */
export class SortedList<T> {
  private chunks: T[][] = [];
  /** Fenwick tree (1-based) over chunk lengths; rebuilt lazily after chunks are split or merged. */
  private tree = new Int32Array(1);
  private treeValid = true;
  private count = 0;

  constructor(
    private readonly compare: (a: T, b: T) => number,
    private readonly load: number = DEFAULT_LOAD,
  ) {}

  /** A list holding `sorted` (already in order, no duplicates), cut into chunks without comparing. */
  static fromSorted<T>(sorted: readonly T[], compare: (a: T, b: T) => number, load = DEFAULT_LOAD): SortedList<T> {
    const list = new SortedList<T>(compare, load);
    for (let i = 0; i < sorted.length; i += load) list.chunks.push(sorted.slice(i, i + load));
    list.count = sorted.length;
    list.treeValid = false;
    return list;
  }

  get size(): number {
    return this.count;
  }

  /** Inserts `entry`; returns an entry next to it (the one before, or after when it is first), for sharing values with a neighbour. */
  insert(entry: T): T | undefined {
    const { chunks, compare } = this;
    if (chunks.length === 0) {
      chunks.push([entry]);
      this.count = 1;
      this.treeValid = false;
      return undefined;
    }
    const lastChunk = chunks[chunks.length - 1];
    let c: number;
    let at: number;
    if (compare(lastChunk[lastChunk.length - 1], entry) < 0) {
      // Appending is common (ObjectIds, counters, timestamps grow): no search.
      c = chunks.length - 1;
      at = lastChunk.length;
    } else {
      c = this.chunkFor((e) => compare(e, entry), false);
      at = searchIn(chunks[c], (e) => compare(e, entry), true);
    }
    const chunk = chunks[c];
    chunk.splice(at, 0, entry);
    this.count++;
    if (this.treeValid) this.treeAdd(c, 1);
    const neighbour = at > 0 ? chunk[at - 1] : chunk[at + 1];
    if (chunk.length > 2 * this.load) {
      chunks.splice(c + 1, 0, chunk.splice(this.load));
      this.treeValid = false;
    }
    return neighbour;
  }

  /** Removes the entry that compares equal to `entry`; returns whether there was one. */
  remove(entry: T): boolean {
    const { chunks, compare } = this;
    const probe: Probe<T> = (e) => compare(e, entry);
    const c = this.chunkFor(probe, false);
    if (c === chunks.length) return false;
    const chunk = chunks[c];
    const at = searchIn(chunk, probe, false);
    if (at === chunk.length || compare(chunk[at], entry) !== 0) return false;
    chunk.splice(at, 1);
    this.count--;
    if (chunk.length === 0) {
      chunks.splice(c, 1);
      this.treeValid = false;
    } else if (chunk.length < this.load / 2 && chunks.length > 1) {
      // Merge a small chunk into a neighbour, splitting again if that made it too large.
      const left = c > 0 ? c - 1 : c;
      const merged = chunks[left].concat(chunks[left + 1]);
      const pieces = merged.length > 2 * this.load ? [merged.slice(0, merged.length >> 1), merged.slice(merged.length >> 1)] : [merged];
      chunks.splice(left, 2, ...pieces);
      this.treeValid = false;
    } else if (this.treeValid) {
      this.treeAdd(c, -1);
    }
    return true;
  }

  /**
   * The first position whose entry is not before the target (`probe(entry) >= 0`), or, with
   * `after`, the first whose entry is after it (`probe(entry) > 0`). `size` when there is none.
   */
  bound(probe: Probe<T>, after: boolean): number {
    const c = this.chunkFor(probe, after);
    if (c === this.chunks.length) return this.count;
    return this.prefix(c) + searchIn(this.chunks[c], probe, after);
  }

  /** The first entry not before the target (`probe(entry) >= 0`), found without computing its position. */
  find(probe: Probe<T>): T | undefined {
    const c = this.chunkFor(probe, false);
    if (c === this.chunks.length) return undefined;
    const chunk = this.chunks[c];
    return chunk[searchIn(chunk, probe, false)];
  }

  /** The entry at position `pos` (0 ≤ pos < size). */
  at(pos: number): T {
    const cur = this.cursorAt(pos);
    return this.chunks[cur.chunk][cur.offset];
  }

  /** A cursor on position `pos`; `pos === size` gives the cursor just past the end. */
  cursorAt(pos: number): Cursor {
    if (pos >= this.count) return { chunk: this.chunks.length, offset: 0 };
    this.ensureTree();
    // Fenwick descent: the chunk holding the (pos + 1)-th entry.
    const tree = this.tree;
    let idx = 0;
    let rest = pos;
    for (let step = highestPowerOfTwo(this.chunks.length); step > 0; step >>= 1) {
      const next = idx + step;
      if (next <= this.chunks.length && tree[next] <= rest) {
        idx = next;
        rest -= tree[next];
      }
    }
    return { chunk: idx, offset: rest };
  }

  /** The entry under a cursor, or undefined when it is outside the list. */
  entryAt(cur: Cursor): T | undefined {
    const chunk = this.chunks[cur.chunk];
    return chunk === undefined ? undefined : chunk[cur.offset];
  }

  /** Moves a cursor one entry forward (`dir` 1) or back (-1). */
  step(cur: Cursor, dir: 1 | -1): void {
    if (dir === 1) {
      if (++cur.offset >= (this.chunks[cur.chunk]?.length ?? 0)) {
        cur.chunk++;
        cur.offset = 0;
      }
    } else if (--cur.offset < 0) {
      cur.chunk--;
      cur.offset = cur.chunk >= 0 ? this.chunks[cur.chunk].length - 1 : 0;
    }
  }

  /** Every entry, in order. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (const chunk of this.chunks) yield* chunk;
  }

  /** Replaces every entry by `f(entry)`, which must keep the order (used when slots are renumbered). */
  mapInPlace(f: (entry: T) => T): void {
    for (const chunk of this.chunks) for (let i = 0; i < chunk.length; i++) chunk[i] = f(chunk[i]);
  }

  /** The index of the first chunk whose last entry satisfies the bound, or chunks.length. */
  private chunkFor(probe: Probe<T>, after: boolean): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid];
      const r = probe(chunk[chunk.length - 1]);
      if (after ? r > 0 : r >= 0) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Entries in the chunks before chunk `c`. */
  private prefix(c: number): number {
    this.ensureTree();
    let sum = 0;
    for (let i = c; i > 0; i -= i & -i) sum += this.tree[i];
    return sum;
  }

  private treeAdd(c: number, delta: number): void {
    for (let i = c + 1; i < this.tree.length; i += i & -i) this.tree[i] += delta;
  }

  private ensureTree(): void {
    if (this.treeValid) return;
    const n = this.chunks.length;
    const tree = new Int32Array(n + 1);
    for (let i = 1; i <= n; i++) {
      tree[i] += this.chunks[i - 1].length;
      const parent = i + (i & -i);
      if (parent <= n) tree[parent] += tree[i];
    }
    this.tree = tree;
    this.treeValid = true;
  }
}

/** First index in `chunk` whose entry satisfies the bound (see SortedList.bound). */
function searchIn<T>(chunk: readonly T[], probe: Probe<T>, after: boolean): number {
  let lo = 0;
  let hi = chunk.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const r = probe(chunk[mid]);
    if (after ? r > 0 : r >= 0) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function highestPowerOfTwo(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return n === 0 ? 0 : p;
}
