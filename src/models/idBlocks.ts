/**
 * Hi/lo id blocks (issue 17): instead of one `$inc` on a shared counter document per create,
 * each process reserves a block of `size` numbers with one `$inc: {seq: size}` and hands them
 * out from memory, so the counter document sees one write per `size` creates (no hot spot).
 *
 * - One reservation at a time per sequence: creates arriving while one is in flight wait for it
 *   (no stampede, no number handed out twice).
 * - Prefetch: when a quarter of the block or less is left, the next block is reserved in the
 *   background, so creates rarely wait a round trip. A failed prefetch fails the creates that
 *   were waiting for it (the database's error); the next create that needs numbers reserves again.
 * - Never reused: a block lost with its process (kill -9) is skipped; numbers follow creation
 *   order within one process, not across processes.
 * - `release` (graceful shutdown) gives back the unissued tail, only when nobody reserved after
 *   this process (compare-and-set on the counter's value), so one process restarted gracefully
 *   continues 1, 2, 3 without a gap. A number already taken counts as issued, even if its insert
 *   is still in flight.
 * - `advance` (the demo seed moved the counter past ids it wrote) skips those numbers in the
 *   blocks held; `reset` forgets every block (the counters were deleted).
 */

/** How the blocks reach the database: the two counter commands this module needs. */
export interface CounterStore {
  /** Adds `by` to the sequence (creating it at 0 first) and returns the new value: one atomic command. */
  increment(name: string, by: number): Promise<number>;
  /** Sets the sequence to `to` only if it is still `from`; true when it was set. */
  compareAndSet(name: string, from: number, to: number): Promise<boolean>;
}

/** What the owner of the blocks may add: how a prefetch is started, and what is done with its failure. */
export interface IdBlockHooks {
  /** Runs `start` outside the work of the create that triggered it (it did not wait for the prefetch). */
  background?: (start: () => Promise<void>) => Promise<void>;
  /** A failed prefetch (creates waiting for it fail with its error; the next create that needs numbers reserves again). */
  onPrefetchError?: (err: unknown) => void;
}

/** Numbers `next`..`end` (inclusive) not handed out yet. */
interface Block {
  next: number;
  end: number;
}

/** One sequence's state in this process. */
interface Sequence {
  current?: Block;
  /** The block reserved ahead (prefetch, or the reservation creates waited for). */
  spare?: Block;
  /** The reservation in flight, if any: every create needing numbers waits for this one. */
  pending?: Promise<void>;
  /** Numbers at or below this were written by the demo seed (advance): a block landing later skips them too. */
  floor?: number;
}

/** The largest block size (TN_ID_BLOCK's bound): a lost block wastes at most this many ids. */
export const MAX_BLOCK = 1_000_000;

function left(block: Block | undefined): number {
  return block ? Math.max(0, block.end - block.next + 1) : 0; // a block the seed's floor passed entirely is empty
}

/** Hands out numbers of named sequences from blocks reserved in the database. */
export class IdBlocks {
  private readonly sequences = new Map<string, Sequence>();
  /** Bumped by reset/release: a reservation started before lands nowhere (its block is skipped). */
  private generation = 0;

  constructor(
    private readonly store: CounterStore,
    readonly size: number,
    private readonly hooks: IdBlockHooks = {},
  ) {
    if (!Number.isInteger(size) || size < 1 || size > MAX_BLOCK) throw new RangeError(`block size must be an integer 1..${MAX_BLOCK}, not ${size}`);
  }

  private sequence(name: string): Sequence {
    let seq = this.sequences.get(name);
    if (!seq) this.sequences.set(name, (seq = {}));
    return seq;
  }

  /** The next number of `name`: from memory when a block is held, else after the (one) reservation in flight. */
  async next(name: string): Promise<number> {
    for (;;) {
      const seq = this.sequence(name); // again after each wait: a reset meanwhile starts the sequence afresh
      if (left(seq.current) === 0 && seq.spare) [seq.current, seq.spare] = [seq.spare, undefined];
      const block = seq.current;
      if (block && left(block) > 0) {
        const id = block.next++;
        this.prefetchIfLow(name, seq, block);
        return id;
      }
      await this.reserve(name, seq);
    }
  }

  private prefetchIfLow(name: string, seq: Sequence, block: Block): void {
    if (seq.spare || seq.pending || left(block) > Math.floor(this.size / 4)) return;
    const { background = (fn) => fn(), onPrefetchError = () => {} } = this.hooks;
    background(() => this.reserve(name, seq)).catch(onPrefetchError);
  }

  /** Reserves one block into `spare`, or joins the reservation already in flight. */
  private reserve(name: string, seq: Sequence): Promise<void> {
    if (seq.pending) return seq.pending;
    const generation = this.generation;
    const pending = this.store
      .increment(name, this.size)
      .then((end) => {
        if (generation === this.generation && this.sequences.get(name) === seq) seq.spare = { next: Math.max(end - this.size, seq.floor ?? 0) + 1, end };
      })
      .finally(() => {
        if (seq.pending === pending) seq.pending = undefined;
      });
    seq.pending = pending;
    return pending;
  }

  /**
   * The demo seed wrote ids up to `value` and moved the counter there: numbers at or below it
   * in the blocks held are skipped, so none of them is handed out again.
   */
  advance(name: string, value: number): void {
    const seq = this.sequence(name);
    seq.floor = Math.max(seq.floor ?? 0, value); // for a reservation still in flight
    for (const block of [seq?.current, seq?.spare]) if (block && block.next <= value) block.next = Math.min(value, block.end) + 1;
  }

  /** Forgets every block and every reservation in flight (the counters were emptied). */
  reset(): void {
    this.generation++;
    this.sequences.clear();
  }

  /**
   * Gives back the numbers reserved but not handed out, when nobody reserved after this process
   * (the counter still stands at the end of its last block), then forgets every block. Waits
   * for a reservation in flight first. Returns how many numbers went back per sequence.
   */
  async release(): Promise<Record<string, number>> {
    await Promise.allSettled([...this.sequences.values()].map((seq) => seq.pending));
    const held = [...this.sequences];
    this.reset();
    const returned: Record<string, number> = {};
    for (const [name, seq] of held) {
      const tail = unissuedTail(seq);
      if (tail && (await this.store.compareAndSet(name, tail.end, tail.next - 1))) returned[name] = tail.end - tail.next + 1;
    }
    return returned;
  }
}

/** The unissued numbers at the top of what a sequence reserved, as one range (a spare block joins the current one only when they touch). */
function unissuedTail(seq: Sequence): Block | undefined {
  const { current, spare } = seq;
  if (spare) return current && current.end + 1 === spare.next ? { next: current.next, end: spare.end } : { ...spare };
  return current && left(current) > 0 ? { ...current } : undefined;
}
