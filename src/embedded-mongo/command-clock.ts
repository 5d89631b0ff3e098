/**
 * `$$NOW` as MongoDB defines it: one value for the whole command. mingo reads the time lazily
 * per evaluation (each document of a pipeline, each `$expr` test, each updated document gets a
 * fresh `Date.now()`), unless the options it is given already carry a timestamp in their locals.
 * This module holds the command's clock — reset when a command starts (commands/context.ts
 * runCommand), read on first use — and builds mingo options carrying it.
 *
 * mingo's `ComputeOptions` (the class whose locals hold the timestamp, and which every mingo
 * entry point copies, locals included) is not exported by the package; it is taken once, at
 * load, from the options object mingo hands to a pipeline operator.
 */
import { Aggregator as CoreAggregator } from 'mingo/aggregator';
import { Context } from 'mingo/core';
import type { Options } from 'mingo/types';

/** The part of mingo's ComputeOptions used here. */
interface ComputeOptions extends Options {
  readonly options: Options;
}

/** mingo's ComputeOptions class: `init` normalises options, the constructor takes locals. */
interface ComputeOptionsClass {
  init(options: Partial<Options>): ComputeOptions;
  new (options: Options, locals: { timestamp: number }): ComputeOptions;
}

/** The ComputeOptions class, from the options a pipeline operator receives. */
function computeOptionsClass(): ComputeOptionsClass {
  let seen: object | undefined;
  const capture = (collection: unknown, _expr: unknown, options: object): unknown => {
    seen = options;
    return collection;
  };
  const context = Context.init({ pipeline: { $captureOptions: capture } } as unknown as Parameters<typeof Context.init>[0]);
  new CoreAggregator([{ $captureOptions: 1 }], { context }).stream([]);
  if (seen === undefined) throw new Error('mingo did not hand its options to a pipeline operator');
  return seen.constructor as unknown as ComputeOptionsClass;
}

const ComputeOptionsOf = computeOptionsClass();

/** The current command's `$$NOW` in milliseconds; 0 until first read. */
let timestamp = 0;

/** Starts a command: the next `$$NOW` read fixes the command's time. */
export function startCommandClock(): void {
  timestamp = 0;
}

/** The current command's time (fixed by the first read since the command started). */
export function commandNow(): number {
  if (timestamp === 0) timestamp = Date.now();
  return timestamp;
}

/**
 * mingo options equal to `options` whose `$$NOW` is the command's time: every evaluation made
 * with them (and with the copies mingo makes of them) sees the same date.
 */
export function withCommandNow(options: Partial<Options>): Options {
  const base = ComputeOptionsOf.init(options);
  return new ComputeOptionsOf(base.options, { timestamp: commandNow() });
}

/** Whether `options` is a mingo ComputeOptions (e.g. from withCommandNow), to be passed on as it is. */
export function isComputeOptions(options: unknown): options is Options {
  return options instanceof ComputeOptionsOf;
}
