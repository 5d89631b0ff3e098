/**
 * Reads by a unique key, batched: every look-up made while the event loop handles one round of
 * I/O (all requests whose bytes arrived together) goes to the database as one
 * `find {key: {$in: [...]}}` when that round is over (`setImmediate`), so under concurrent load
 * the driver's per-command cost (about a quarter of a millisecond of this thread's CPU here, as
 * much as a whole bare Express request) is shared by the requests of the round. Alone, a
 * look-up waits only for the end of its own round.
 *
 * Every request of a batch arrived before its command was sent, so each sees every write
 * acknowledged before it arrived, exactly as with a command of its own; nothing is ever served
 * from an earlier read. At most MAX_BATCH keys go into one command (a full batch is sent at
 * once), so a reply stays far below 16 MiB. A failed command fails every look-up of its batch
 * with the same error, as each would have failed alone.
 */
import type { Model } from 'mongoose';
import { findMany, type Document } from './commands';

/** Keys per command at most. */
export const MAX_BATCH = 100;

interface Waiting<T> {
  resolve(doc: T | null): void;
  reject(err: unknown): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any model: only its connection and collection name are used.
type AnyModel = Model<any>;

/** Look-ups of one collection by one unique field, batched per event-loop round. */
export class BatchedLookup<T extends object> {
  private pending = new Map<string, Waiting<T>[]>();
  private scheduled = false;

  /**
   * @param model the collection
   * @param field a field with a unique index (the result maps back by it)
   * @param projection the fields returned; must include `field`
   */
  constructor(
    private readonly model: AnyModel,
    private readonly field: string,
    private readonly projection: Record<string, 0 | 1>,
  ) {
    if (projection[field] !== 1) throw new Error(`the projection must include ${field}`);
  }

  /** The document whose `field` is `key`, or null. */
  load(key: string): Promise<T | null> {
    return new Promise((resolve, reject) => {
      const waiting = this.pending.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (this.pending.size >= MAX_BATCH) this.dispatch();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.dispatch());
      }
    });
  }

  private dispatch(): void {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const keys = [...batch.keys()];
    const filter = keys.length === 1 ? { [this.field]: keys[0] } : { [this.field]: { $in: keys } };
    findMany<T>(this.model, filter satisfies Document, { projection: this.projection, limit: keys.length }).then(
      (docs) => {
        const byKey = new Map<unknown, T>();
        for (const doc of docs) byKey.set((doc as Record<string, unknown>)[this.field], doc);
        for (const [key, waiting] of batch) {
          const doc = byKey.get(key) ?? null;
          for (const w of waiting) w.resolve(doc);
        }
      },
      (err: unknown) => {
        for (const waiting of batch.values()) for (const w of waiting) w.reject(err);
      },
    );
  }
}
