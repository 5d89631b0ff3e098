/**
 * The child side of the benchmark's process protocol. A server under test (the API or a
 * baseline) runs in its own process, forked by the orchestrator with an IPC channel:
 *
 * - it sends `{ type: 'ready', port }` once it listens (or `{ type: 'fatal', error }`);
 * - it answers requests `{ id, type, ...payload }` with `{ id, type: 'reply', ok, result | error }`;
 * - it samples its own memory every 100 ms so `stats` can report the peak.
 *
 * This file has no dependency on the application, so baselines stay bare.
 */

/** A request handler of the child: receives the message, returns the result (JSON-able). */
export type Handler = (message: Record<string, unknown>) => unknown;

/** Memory as reported by `stats`, in MiB. */
export interface MemoryStats {
  rssMiB: number;
  /** Largest RSS seen by the 100 ms sampler since start (or since the last `resetPeak`). */
  peakRssMiB: number;
  /** Peak RSS of the whole process life as the kernel counts it (getrusage ru_maxrss). */
  maxRssMiB: number;
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

const MiB = 1024 * 1024;
let peakRss = 0;

function sampleMemory(): void {
  const rss = process.memoryUsage.rss();
  if (rss > peakRss) peakRss = rss;
}

/** Current memory figures; `gc` is taken first when the process was started with --expose-gc. */
export function memoryStats(): MemoryStats {
  sampleMemory();
  const usage = process.memoryUsage();
  const round = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;
  return {
    rssMiB: round(usage.rss),
    peakRssMiB: round(peakRss),
    maxRssMiB: round(process.resourceUsage().maxRSS * 1024),
    heapUsedMiB: round(usage.heapUsed),
    heapTotalMiB: round(usage.heapTotal),
    externalMiB: round(usage.external),
  };
}

function send(message: unknown): void {
  if (process.send) process.send(message);
}

/**
 * Starts the memory sampler and answers IPC requests with `handlers` (plus the built-in
 * `stats` and `resetPeak`). `onStop` runs for a `stop` request or when the parent goes away;
 * the process exits after it.
 */
export function serveIpc(handlers: Record<string, Handler>, onStop: () => Promise<void>): void {
  sampleMemory();
  setInterval(sampleMemory, 100).unref();

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await onStop();
    } catch (err) {
      process.stderr.write(`error while stopping: ${(err as Error).message}\n`);
      code = 1;
    }
    process.exit(code);
  };

  const all: Record<string, Handler> = {
    stats: () => memoryStats(),
    resetPeak: () => {
      peakRss = 0;
      sampleMemory();
      return memoryStats();
    },
    ...handlers,
  };

  process.on('message', (raw: unknown) => {
    const message = raw as Record<string, unknown>;
    const id = message.id;
    const type = String(message.type);
    if (type === 'stop') {
      send({ id, type: 'reply', ok: true, result: null });
      void stop(0);
      return;
    }
    const handler = all[type];
    if (!handler) {
      send({ id, type: 'reply', ok: false, error: `unknown request type ${type}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message))
      .then(
        (result) => send({ id, type: 'reply', ok: true, result: result ?? null }),
        (err: unknown) => send({ id, type: 'reply', ok: false, error: (err as Error)?.stack ?? String(err) }),
      );
  });
  // The orchestrator died or closed the channel: never outlive it.
  process.on('disconnect', () => void stop(0));
  process.on('SIGINT', () => void stop(130));
  process.on('SIGTERM', () => void stop(143));
}

/** Tells the parent the server listens on `port`. */
export function reportReady(port: number, extra: Record<string, unknown> = {}): void {
  send({ type: 'ready', port, pid: process.pid, ...extra });
}

/** Tells the parent start-up failed, then exits. */
export function reportFatal(err: unknown): void {
  const error = (err as Error)?.stack ?? String(err);
  process.stderr.write(`${error}\n`);
  if (!process.send) {
    process.exit(1);
    return;
  }
  // Exit once the message is flushed to the channel (or after a short grace period).
  process.send({ type: 'fatal', error }, () => process.exit(1));
  setTimeout(() => process.exit(1), 1000).unref();
}
