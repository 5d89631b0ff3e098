/**
 * A bounded map that forgets its least recently used entry when full. A `Map` keeps insertion
 * order, so moving an entry to the end on every hit makes its first key the least recently
 * used one. Small on purpose: expiry is the caller's business (it stores the deadline in the
 * value), since what "expired" means differs per use.
 */
export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  /** @param maxEntries at most this many entries are kept (0 keeps none). */
  constructor(readonly maxEntries: number) {}

  /** The value for `key`, now the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** The value for `key` without changing its place. */
  peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  /** Stores `value` as the most recently used, forgetting the least recently used entry when full. */
  set(key: K, value: V): void {
    if (this.maxEntries <= 0) return;
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, value);
  }

  /** Forgets `key`; true when it was there. */
  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  /** Forgets everything. */
  clear(): void {
    this.entries.clear();
  }

  /** How many entries are kept now. */
  get size(): number {
    return this.entries.size;
  }
}
