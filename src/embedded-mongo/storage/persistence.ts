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

/** An index definition as stored in the catalog and in the journal. */
export interface IndexSpec {
  name: string;
  key: Record<string, 1 | -1>;
  unique?: boolean;
  /** Documents missing every indexed field are left out of the index (and its uniqueness). */
  sparse?: boolean;
}

/** One logical change to stored data. */
export type Mutation =
  | { op: 'createCollection'; db: string; coll: string }
  | { op: 'dropCollection'; db: string; coll: string }
  | { op: 'dropDatabase'; db: string }
  | { op: 'createIndex'; db: string; coll: string; index: IndexSpec }
  | { op: 'dropIndex'; db: string; coll: string; name: string }
  /** Insert, or replace the whole document with the same `_id`. */
  | { op: 'put'; db: string; coll: string; doc: Document }
  | { op: 'delete'; db: string; coll: string; id: unknown };

/** Where mutations go so that they outlive the process. */
export interface Persistence {
  /** Replays what was stored, oldest first, through `apply`. Called once, before any commit. */
  load(apply: (mutation: Mutation) => void): Promise<void>;
  /**
   * Records the mutations of one command. Resolves only once they are durable; the command
   * layer sends its reply after that.
   */
  commit(mutations: Mutation[]): Promise<void>;
  /**
   * Gives the persistence a way to read the whole current state as mutations, for writing a
   * snapshot (compaction). The source is read synchronously.
   */
  setSnapshotSource(source: () => Iterable<Mutation>): void;
  /** Flushes anything pending and releases files and locks. */
  close(): Promise<void>;
}

/** Keeps nothing: the `:memory:` mode used by tests and benchmarks. */
export class MemoryPersistence implements Persistence {
  async load(): Promise<void> {}
  async commit(): Promise<void> {}
  setSnapshotSource(): void {}
  async close(): Promise<void> {}
}
