/**
 * The seam between the command layer and whatever keeps data across restarts.
 *
 * The command layer owns the in-memory catalog (databases, collections, documents, indexes)
 * and describes every change it makes as a list of `Mutation`s. A `Persistence` records those
 * lists and, at start-up, hands them back in order so the catalog can be rebuilt.
 *
 * Every mutation is idempotent and state-setting (`put` carries the whole document), so
 * replaying one that a snapshot already reflects is harmless. That is what lets a snapshot be
 * taken while later writes are still queued for the journal.
 */
import type { Document } from 'bson';
import type { CollectionOptions } from '../collection-options';

/** An index definition as stored in the catalog and in the journal. */
export interface IndexSpec {
  name: string;
  key: Record<string, 1 | -1>;
  unique?: boolean;
  /** Documents missing every indexed field are left out of the index (and its uniqueness). */
  sparse?: boolean;
  /** A partial index: only documents matching this filter are in it (index-options.ts). */
  partialFilterExpression?: Document;
  /** A TTL index: documents whose indexed date is older than this many seconds are deleted (ttl.ts). */
  expireAfterSeconds?: number;
  /** Kept and enforced (unique) but never chosen by the planner. */
  hidden?: boolean;
  /** Other options MongoDB keeps without acting on them here (`background`, `storageEngine`...), echoed by listIndexes. */
  options?: Document;
  /** The index's collation (full specification): its strings are ordered, and unique, under it. */
  collation?: Document;
}

/** One logical change to stored data. */
export type Mutation =
  /** `collation`: the collection's default collation (full specification), when not simple; `options`: validator and the like (collection-options.ts). */
  | { op: 'createCollection'; db: string; coll: string; collation?: Document; options?: CollectionOptions }
  | { op: 'dropCollection'; db: string; coll: string }
  | { op: 'dropDatabase'; db: string }
  | { op: 'createIndex'; db: string; coll: string; index: IndexSpec }
  | { op: 'dropIndex'; db: string; coll: string; name: string }
  /** Insert, or replace the whole document with the same `_id`. */
  | { op: 'put'; db: string; coll: string; doc: Document }
  | { op: 'delete'; db: string; coll: string; id: unknown };

/** Whether a persistence takes writes now: for readiness checks and for refusing writes early. */
export interface PersistenceHealth {
  /** False from a failed write or fsync until the persistence has recovered. */
  writable: boolean;
  /** Why writes are refused (the failure's message), while they are. */
  lastError?: string;
  /** The failure's errno code (`ENOSPC`, `EIO`...), when it had one. */
  errorCode?: string;
  /** When writes started to be refused (ISO 8601). */
  since?: string;
}

/** A commit that could not be made durable: nothing of it was kept, and it may work later. */
export class StorageUnavailableError extends Error {
  /** The errno code of the underlying failure, e.g. `ENOSPC`, when there was one. */
  readonly errno?: string;

  constructor(message: string, options: { cause?: unknown; errno?: string } = {}) {
    super(message, { cause: options.cause });
    this.name = 'StorageUnavailableError';
    this.errno = options.errno;
  }
}

/** Where mutations go so that they outlive the process. */
export interface Persistence {
  /** Replays what was stored, oldest first, through `apply`. Called once, before any commit. */
  load(apply: (mutation: Mutation) => void): Promise<void>;
  /**
   * Records the mutations of one command. Resolves only once they are durable; the command
   * layer sends its reply after that.
   *
   * Commits complete in the order they were made. A commit that fails takes every commit that
   * has not completed yet with it, and every later one fails too until the persistence is
   * writable again: the command layer has applied all of them to memory, in that order, and
   * rolls all of them back (commands/context.ts).
   */
  commit(mutations: Mutation[]): Promise<void>;
  /**
   * Gives the persistence a way to read the whole current state as mutations, for writing a
   * snapshot (compaction). The source is read synchronously.
   */
  setSnapshotSource(source: () => Iterable<Mutation>): void;
  /** Flushes anything pending and releases files and locks. */
  close(): Promise<void>;
  /** True when `commit` can never fail (nothing is stored): the command layer then keeps no undo records. */
  readonly infallible?: boolean;
  /** Whether commits are accepted now; absent means always. */
  health?(): PersistenceHealth;
  /** Cumulative counters of the storage's work (commits, fsyncs and their time), when it keeps any. */
  stats?(): StorageStats;
  /**
   * Asks a persistence that refuses writes to try to recover now, unless it tried very recently;
   * resolves with its health afterwards. Writes call it before they run while `health()` says
   * not writable.
   */
  recover?(): Promise<PersistenceHealth>;
}

/** Cumulative counters a persistence may report (the journal does; memory keeps none). */
export interface StorageStats {
  commits: number;
  fsyncs: number;
  /** Milliseconds spent waiting for fsyncs, in all. */
  fsyncMsTotal: number;
  compactions: number;
  failures: number;
  recoveries: number;
}

/** Keeps nothing: the `:memory:` mode used by tests and benchmarks. */
export class MemoryPersistence implements Persistence {
  readonly infallible = true;
  async load(): Promise<void> {}
  async commit(): Promise<void> {}
  setSnapshotSource(): void {}
  async close(): Promise<void> {}
}
