/**
 * Named sequences for string ids: one document per sequence (`users`, `notes`). Processes take
 * numbers from it in blocks of TN_ID_BLOCK (hi/lo, see idBlocks.ts): one `$inc` of the block size
 * per block, not one per create, so the counter document is no hot spot. Numbers are unique and
 * never reused; they follow creation order within one process only.
 */
import { Schema, model } from 'mongoose';
import { config } from '../config';
import { logger } from '../logger';
import { withTally } from '../requestTiming';
import { timed } from './commands';
import { IdBlocks, type CounterStore } from './idBlocks';

/** A named sequence; `_id` is the sequence's name (`users`, `notes`). */
export interface CounterDoc {
  _id: string;
  seq: number;
}

const counterSchema = new Schema<CounterDoc>(
  {
    _id: { type: String, required: true },
    seq: { type: Number, required: true, default: 0 },
  },
  { versionKey: false, collection: 'counters' },
);
// Counters deleted through the model (tests, resets): the blocks this process holds came from them.
counterSchema.post(['deleteMany', 'deleteOne'], () => resetIdBlocks());

export const Counter = model<CounterDoc>('Counter', counterSchema);

/**
 * Counter writes wait for a majority of a replica set: a block reserved with w:1 and rolled back
 * after a failover would be reserved again by another process, and its ids issued twice (only
 * `{owner, id}` is unique in the database). One such write per block; a standalone treats it as w:1.
 */
const MAJORITY = { w: 'majority' } as const;

/** The two counter commands of the blocks, sent with the driver's own methods (no query layer). */
export const counterStore: CounterStore = {
  async increment(name, by) {
    const counter = await timed('findAndModify', () =>
      Counter.collection.findOneAndUpdate({ _id: name } as object, { $inc: { seq: by } }, { upsert: true, returnDocument: 'after', writeConcern: MAJORITY }),
    );
    if (!counter) throw new Error(`counter ${name} was not returned`);
    return Number(counter.seq);
  },
  async compareAndSet(name, from, to) {
    const result = await timed('update', () => Counter.collection.updateOne({ _id: name, seq: from } as object, { $set: { seq: to } }, { writeConcern: MAJORITY }));
    return result.modifiedCount === 1;
  },
};

const idBlocks = new IdBlocks(counterStore, config.ids.block, {
  // A prefetch is no command of the request that happened to start it (its Server-Timing).
  background: (start) => withTally(undefined, start),
  onPrefetchError: (err) => logger.warn({ err }, 'reserving the next block of ids failed; the creates that waited for it fail, the next one tries again'),
});

/** Allocates the next number of a sequence; never returns the same number twice, in any process. */
export function nextSeq(name: string): Promise<number> {
  return idBlocks.next(name);
}

/** Moves a sequence forward to at least `value`, so ids up to it are never allocated again (also from blocks held here). */
export async function advanceSeq(name: string, value: number): Promise<void> {
  await timed('update', () => Counter.updateOne({ _id: name }, { $max: { seq: value } }, { upsert: true }));
  idBlocks.advance(name, value);
}

/**
 * Starts a sequence at `value` if it has never been used (no counter document yet): true when
 * this call created it. The demo seed claims its ids this way before it writes them, so a
 * process that already reserved a block (another API process of a cluster, serving while the
 * first one seeds) can never hand out a demo id: if any block was reserved, the claim fails and
 * the seed is skipped.
 */
export async function claimSeq(name: string, value: number): Promise<boolean> {
  try {
    await timed('insert', () => Counter.collection.insertOne({ _id: name, seq: value } as never));
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === 11000) return false;
    throw err;
  }
}

/** Forgets the blocks this process holds: called when the counters were emptied (resetDemo, Counter.deleteMany). */
export function resetIdBlocks(): void {
  idBlocks.reset();
}

/** How long a shutdown waits for the give-back (the database may be gone: server selection alone waits 10 s). */
const GIVE_BACK_MS = 2000;

/**
 * Graceful shutdown: gives back the numbers this process reserved but did not hand out, when no
 * process reserved after it, so a lone process restarted continues without a gap. Best effort
 * and bounded (GIVE_BACK_MS): a failure only leaves the gap, which is allowed.
 */
export async function releaseIdBlocks(): Promise<void> {
  const giveBack = idBlocks.release().then(
    (returned) => {
      if (Object.keys(returned).length > 0) logger.info({ returned }, 'shutdown: unissued ids given back');
    },
    (err: unknown) => logger.warn({ err }, 'shutdown: could not give back unissued ids (they are skipped)'),
  );
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      logger.warn(`shutdown: no answer to the give-back of unissued ids within ${GIVE_BACK_MS} ms (they are skipped)`);
      resolve();
    }, GIVE_BACK_MS);
  });
  await Promise.race([giveBack, late]);
  clearTimeout(timer);
}
