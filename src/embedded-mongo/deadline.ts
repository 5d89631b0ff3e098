/**
 * `maxTimeMS`: a command's time limit, checked cooperatively. Scans, sorts, aggregation stages
 * and cursor batches call `tick()` once per unit of work (a key, a document, a comparison); every
 * CHECK_EVERY ticks the clock is read, and past the limit the command fails with MongoDB's
 * MaxTimeMSExpired (code 50, "operation exceeded time limit").
 *
 * What cannot be interrupted: one call into V8 that does not come back to this code, chiefly a
 * single regular-expression match. A pathological pattern over a long string runs to its end;
 * the limit is noticed at the next tick after it.
 */
import { performance } from 'node:perf_hooks';
import type { Document } from 'bson';
import { CommandError } from './errors';

/** Ticks between two readings of the clock: a reading costs ~30 ns, a tick a decrement. */
const CHECK_EVERY = 64;
/** MongoDB's upper limit for maxTimeMS (a signed 32-bit integer). */
const MAX_TIME_MS = 2 ** 31 - 1;

/** The error of a command that ran out of time. */
export function maxTimeExpired(): CommandError {
  return new CommandError('MaxTimeMSExpired', 'operation exceeded time limit');
}

/** A point in time a command must finish by; `NO_DEADLINE` never expires. */
export class Deadline {
  private countdown = CHECK_EVERY;

  /** `at` is in `performance.now()` milliseconds. */
  constructor(private readonly at: number) {}

  /** A deadline `ms` from now. */
  static in(ms: number): Deadline {
    return new Deadline(performance.now() + ms);
  }

  /**
   * The deadline of a command's `maxTimeMS`, NO_DEADLINE when it is absent or 0 (MongoDB's "no
   * limit"); BadValue for anything but a non-negative 32-bit integer.
   */
  static of(cmd: Document): Deadline {
    const ms = parseMaxTimeMS(cmd.maxTimeMS);
    return ms === undefined ? NO_DEADLINE : Deadline.in(ms);
  }

  /** One unit of work done: reads the clock now and then. */
  tick(): void {
    if (--this.countdown > 0) return;
    this.countdown = CHECK_EVERY;
    this.check();
  }

  /** Reads the clock: throws MaxTimeMSExpired when the time is up. */
  check(): void {
    if (performance.now() >= this.at) throw maxTimeExpired();
  }

  /** Milliseconds left (Infinity without a limit). */
  remaining(): number {
    return this.at - performance.now();
  }

  /** The earlier of two deadlines. */
  min(other: Deadline): Deadline {
    return other.at < this.at ? other : this;
  }
}

class NoDeadline extends Deadline {
  override tick(): void {}
  override check(): void {}
}

/** A deadline that never expires. */
export const NO_DEADLINE: Deadline = new NoDeadline(Infinity);

/** A `maxTimeMS` field: undefined when absent or 0, else the milliseconds; BadValue when malformed. */
export function parseMaxTimeMS(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof (v as { toNumber?: unknown }).toNumber === 'function') n = (v as { toNumber(): number }).toNumber();
  else throw new CommandError('BadValue', 'maxTimeMS must be a number');
  if (!Number.isInteger(n) || n < 0 || n > MAX_TIME_MS) {
    throw new CommandError('BadValue', `${String(n)} value for maxTimeMS is out of range [0, ${MAX_TIME_MS}]`);
  }
  return n === 0 ? undefined : n;
}
