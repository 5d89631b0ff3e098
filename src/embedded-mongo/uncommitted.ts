/**
 * Changes in memory that are not durable yet, and how to take them back.
 *
 * The command layer applies a command's mutations to the catalog first and commits them to the
 * persistence after; until that commit resolves they are visible in memory but not on disk. If
 * it fails, the persistence fails every commit that had not completed and refuses new ones
 * (persistence.ts), so everything applied from the failed command's first change on is undone
 * here, newest first, and every command that made one of those changes gets an error reply.
 *
 * Reads: a read that ran while such changes existed may have seen them. It waits for them to
 * settle (`barrier`) and is run again if a rollback happened meanwhile (`epoch`), so no reply
 * ever shows a change that was later rolled back. With a persistence that cannot fail
 * (`:memory:`) none of this is used.
 */
import type { Collection } from './collection';

/** Takes back one applied mutation; returns a collection whose document order must be rebuilt. */
export type Undo = () => Collection | void;

/** Which data a change touches or a read looks at: one collection, a whole database, or everything. */
export type Scope = { db: string; coll?: string } | 'all';

/** Who made a change: one command's context. */
export interface ChangeOwner {
  /** Set when the owner's changes were rolled back: its commit must fail with this. */
  rolledBack: Error | undefined;
}

interface Entry {
  seq: number;
  owner: ChangeOwner;
  undo: Undo;
  db: string;
  /** Undefined for a change to the whole database (dropDatabase). */
  coll: string | undefined;
}

/** The not-yet-durable changes of one catalog, oldest first. */
export class Uncommitted {
  private entries: Entry[] = [];
  private nextSeq = 1;
  private waiters: Array<{ seq: number; resolve: () => void }> = [];
  /** How many rollbacks have happened; a read compares it before and after. */
  epoch = 0;

  /** Records that `owner` just applied a change to `db.coll` (or all of `db`), and how to undo it. */
  record(owner: ChangeOwner, undo: Undo, db: string, coll: string | undefined): void {
    this.entries.push({ seq: this.nextSeq++, owner, undo, db, coll });
  }

  /** Whether any change is not settled yet. */
  get pending(): boolean {
    return this.entries.length > 0;
  }

  /**
   * The sequence number of the newest unsettled change a read of `scope` could see, or 0 when
   * there is none: reads of other collections need not wait for it.
   */
  newestIn(scope: Scope): number {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (scope === 'all' || (e.db === scope.db && (e.coll === undefined || scope.coll === undefined || e.coll === scope.coll))) return e.seq;
    }
    return 0;
  }

  /** `owner`'s changes are durable: forget them. */
  settle(owner: ChangeOwner): void {
    if (this.entries.length === 0) return;
    this.entries = this.entries.filter((e) => e.owner !== owner);
    this.wake();
  }

  /**
   * `owner`'s commit failed with `cause`: undoes its changes and every later one, newest first,
   * and marks their owners. Changes of earlier commands stay (their commits complete first).
   */
  rollback(owner: ChangeOwner, cause: Error): void {
    const from = this.entries.findIndex((e) => e.owner === owner);
    if (from < 0) return;
    const undone = this.entries.splice(from);
    const reorder = new Set<Collection>();
    for (let i = undone.length - 1; i >= 0; i--) {
      const touched = undone[i].undo();
      if (touched) reorder.add(touched);
      undone[i].owner.rolledBack ??= cause;
    }
    for (const coll of reorder) coll.restoreOrder();
    this.epoch += 1;
    this.wake();
  }

  /** Resolves once every change up to `seq` is durable or rolled back. */
  barrier(seq: number): Promise<void> {
    if (this.entries.length === 0 || this.entries[0].seq > seq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const oldest = this.entries.length > 0 ? this.entries[0].seq : Infinity;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (oldest > w.seq) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}
