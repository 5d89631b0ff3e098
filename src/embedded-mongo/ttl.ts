/**
 * The TTL monitor: MongoDB's background pass that deletes documents expired by a TTL index
 * (`expireAfterSeconds` on a single-field index). Like MongoDB's TTLMonitor it wakes every
 * `ttlMonitorSleepSecs` seconds (60 by default, MongoDB's period) and, for each TTL index,
 * deletes the documents whose indexed field is a date — or an array holding a date — earlier
 * than now − expireAfterSeconds (for an array, its earliest date decides, which is what `$lt`
 * on an array does). Other values (strings, numbers, missing) never expire. A partial TTL index
 * only expires documents matching its filter; a hidden one still expires them, as in MongoDB.
 *
 * Deletes go through the ordinary write path (`runCommand` with a delete handler): they are
 * journaled and durable like a client's delete, so a restart does not bring expired documents
 * back, and a storage failure rolls them back. The work is bounded: at most BATCH documents per
 * command, yielding to the event loop between batches; `stop()` ends the pass at the next batch.
 */
import type { Document } from 'bson';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Catalog } from './catalog';
import { CommandError } from './errors';
import { CommandContext, runCommand, type CommandHandler } from './commands/context';
import { deleteDoc } from './commands/writes';
import type { CursorStore } from './cursors';
import type { LogFn } from './server';
import type { Persistence } from './storage/persistence';

/** MongoDB's default `ttlMonitorSleepSecs`. */
export const DEFAULT_TTL_MONITOR_SLEEP_SECS = 60;
/** Documents deleted per command (and per turn of the event loop). */
const BATCH = 1000;

/** What the monitor needs of the server. */
export interface TtlMonitorState {
  catalog: Catalog;
  cursors: CursorStore;
  persistence: Persistence;
  log: LogFn;
}

/** One TTL index to expire documents by. */
interface TtlTarget {
  db: string;
  coll: string;
  field: string;
  expireAfterSeconds: number;
  partialFilterExpression?: Document;
}

/** Deletes up to `limit` documents matching `q` in the named collection (the TTL pass's write). */
const expire: CommandHandler = (cmd, ctx) => {
  const coll = ctx.catalog.get(ctx.db, String(cmd.delete));
  if (!coll) return { n: 0 };
  const docs = coll.match(cmd.q as Document, Number(cmd.limit));
  for (const doc of docs) deleteDoc(ctx, coll, doc);
  return { n: docs.length };
};

/** The background TTL pass of one server. */
export class TtlMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly state: TtlMonitorState,
    /** Seconds between passes (MongoDB's `ttlMonitorSleepSecs`). */
    private sleepSecs: number = DEFAULT_TTL_MONITOR_SLEEP_SECS,
  ) {}

  /** Starts the periodic passes (the timer does not keep the process alive). */
  start(): void {
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.runPass(), Math.max(1, this.sleepSecs * 1000));
    this.timer.unref();
  }

  /** The period as `setParameter ttlMonitorSleepSecs` sees it: read, and changed from the next pass on. */
  readonly parameter = {
    get: (): number => this.sleepSecs,
    set: (value: unknown): void => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw new CommandError('BadValue', `ttlMonitorSleepSecs must be a positive whole number of seconds, got ${String(value)}`);
      }
      this.sleepSecs = value;
      if (!this.stopped && this.timer) this.start();
    },
  };

  /** Runs one pass now, unless one is running; resolves when it is done. */
  runPass(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops the passes; resolves once a running pass has stopped (after its current batch). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async pass(): Promise<void> {
    for (const target of this.targets()) {
      try {
        await this.expireBy(target);
      } catch (err) {
        this.state.log('warn', `TTL monitor: deleting expired documents of ${target.db}.${target.coll} failed: ${String(err)}`);
      }
      if (this.stopped) return;
    }
  }

  /** Every TTL index of every collection, read once at the start of a pass. */
  private targets(): TtlTarget[] {
    const out: TtlTarget[] = [];
    for (const [db, colls] of this.state.catalog.dbs) {
      for (const [coll, c] of colls) {
        for (const index of c.indexes.values()) {
          const { expireAfterSeconds, partialFilterExpression, key } = index.spec;
          if (expireAfterSeconds === undefined) continue;
          out.push({ db, coll, field: Object.keys(key)[0], expireAfterSeconds: Number(expireAfterSeconds), partialFilterExpression });
        }
      }
    }
    return out;
  }

  /** Deletes the documents one TTL index has expired, a batch per command, until none is left or the monitor stops. */
  private async expireBy(t: TtlTarget): Promise<void> {
    const cutoff = new Date(Date.now() - t.expireAfterSeconds * 1000);
    const expired: Document = { [t.field]: { $lt: cutoff } };
    const q = t.partialFilterExpression ? { $and: [t.partialFilterExpression, expired] } : expired;
    const { catalog, cursors, persistence } = this.state;
    for (;;) {
      const reply = await runCommand('delete', expire, { delete: t.coll, q, limit: BATCH }, persistence, () => new CommandContext(catalog, cursors, persistence, t.db, 0));
      if (reply.ok !== 1) throw new Error(String(reply.errmsg));
      if (Number(reply.n) < BATCH || this.stopped) return;
      await yieldToEventLoop();
    }
  }
}
