/**
 * Per-request database tallies for the `Server-Timing` header (issue 15, the layered-system
 * view): how many database commands a request waited for and how long they took. A request's
 * tally travels with its async context (AsyncLocalStorage), so concurrent requests never count
 * each other's commands; `timed` (src/models/commands.ts) records into whatever tally is
 * current. A command shared by several requests (the batched reads of src/models/batchedReads.ts)
 * is sent through `BatchTallies`, so each of those requests counts it once, with its full duration.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Something that counts database commands: one request's tally, or several at once. */
export interface DbTally {
  /** Counts one command that took `ms` milliseconds (from sending it to its result). */
  record(ms: number): void;
}

/** One request's database work so far. */
export class RequestTally implements DbTally {
  commands = 0;
  dbMs = 0;

  record(ms: number): void {
    this.commands += 1;
    this.dbMs += ms;
  }
}

const current = new AsyncLocalStorage<DbTally>();

/** The tally of the request being served here, if its timing is on. */
export function currentTally(): DbTally | undefined {
  return current.getStore();
}

/** Runs `fn` (and everything it starts) with `tally` as the current one. */
export function withTally<T>(tally: DbTally | undefined, fn: () => T): T {
  return tally === undefined ? current.exit(fn) : current.run(tally, fn);
}

/**
 * The tallies of the requests one batched command serves (src/models/batchedReads.ts): each
 * request adds its current tally as it joins the batch, and `run` sends the command so that it
 * counts once for each of them (those without timing add nothing) and for nobody else. With
 * timing off nothing is ever added, so a batch allocates nothing for it.
 */
export class BatchTallies {
  private tallies: DbTally[] | undefined;

  /** Joins the current request's tally, if it has one. */
  addCurrent(): void {
    const tally = current.getStore();
    if (tally === undefined) return;
    this.tallies ??= [];
    if (!this.tallies.includes(tally)) this.tallies.push(tally);
  }

  /** Runs `fn` (the batch's command) counted for every tally that joined. */
  run<T>(fn: () => T): T {
    const present = this.tallies ?? [];
    if (present.length <= 1) return withTally(present[0], fn);
    return withTally({ record: (ms) => present.forEach((t) => t.record(ms)) }, fn);
  }
}
