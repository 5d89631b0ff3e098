/**
 * A small pool for password hashing. argon2 runs on libuv's threadpool (four threads by default),
 * which the embedded server's journal fsyncs and all of Node's file I/O share: an unbounded login
 * flood would occupy every thread and stall writes. At most `concurrency` hashes run at once, at
 * most `maxQueue` wait; past that the work is refused at once with a BusyError (503) rather than
 * queued without bound.
 */
import { config } from '../config';
import { hashPoolActive, hashPoolQueued, hashPoolRejections } from '../metrics';
import { BusyError } from '../utils/BusyError';

/** What a pool is doing, for metrics and tests. */
export interface PoolStats {
  active: number;
  queued: number;
  /** The most tasks that have ever run at once. */
  peakActive: number;
  rejected: number;
}

/** Runs async tasks with bounded concurrency and a bounded FIFO queue. */
export class WorkPool {
  private active = 0;
  private peakActive = 0;
  private rejected = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    readonly maxQueue: number,
  ) {}

  /** Runs `task` when a slot is free; throws BusyError at once when the queue is full. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.concurrency) {
      this.active += 1;
    } else if (this.waiting.length < this.maxQueue) {
      // The slot is handed over by release(): `active` already counts this task when it resumes.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.rejected += 1;
      hashPoolRejections.inc();
      throw new BusyError('The server is busy checking passwords; try again shortly.', 1);
    }
    this.peakActive = Math.max(this.peakActive, this.active);
    this.publish();
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active -= 1;
    this.publish();
  }

  private publish(): void {
    hashPoolActive.set(this.active);
    hashPoolQueued.set(this.waiting.length);
  }

  /** Current and peak load. */
  stats(): PoolStats {
    return { active: this.active, queued: this.waiting.length, peakActive: this.peakActive, rejected: this.rejected };
  }

  /** Forgets the peak (tests measure one burst at a time). */
  resetPeak(): void {
    this.peakActive = this.active;
  }
}

/** The pool every argon2 hash and verify of this process goes through. */
export const hashPool = new WorkPool(config.hashPool.concurrency, config.hashPool.queue);
