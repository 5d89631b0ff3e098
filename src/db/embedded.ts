/**
 * Where the embedded server runs. By default in a `worker_threads` worker of this process
 * (embeddedWorker.ts): its CPU is then not the HTTP thread's, so a slow command (a large sort or
 * group) never stalls requests; mongoose still reaches it through the driver over its socket.
 * `thread: 'main'` runs it on the calling thread, for debugging and comparison.
 *
 * Either way the caller gets an EmbeddedDb: its address, its storage health (a copy, kept current
 * by the worker: sync, for /metrics and /ready), its journal counters (asked of the worker, so a
 * scrape right after a write sees that write) and close(). A worker that stops by itself (an
 * uncaught error, its heap limit) is reported through `onUnexpectedExit`: serving on without a
 * database is not an option, so server.ts exits non-zero.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { startEmbeddedServer, type EmbeddedServer, type PersistenceHealth, type StorageStats } from '../embedded-mongo';
import type { EmbeddedLogLevel, FromWorker, ToWorker, WorkerStartOptions } from './workerProtocol';

export type { EmbeddedLogLevel } from './workerProtocol';

/** Where the embedded server's JavaScript runs. */
export type DbThread = 'worker' | 'main';

/** How long close() waits for the worker to close its server and journal before terminating it. */
export const WORKER_CLOSE_TIMEOUT_MS = 30_000;
/** How long a counters request waits for a busy worker before the last known counters are used. */
export const STATS_TIMEOUT_MS = 1_000;

/** How to start the embedded server. */
export interface EmbeddedStartOptions extends WorkerStartOptions {
  thread: DbThread;
  /** The worker's old-generation heap limit in MiB; 0 or absent: V8's default. */
  maxHeapMb?: number;
  log: (level: EmbeddedLogLevel, msg: string) => void;
  /** Called once if the worker stops without being asked to (never for `thread: 'main'`). */
  onUnexpectedExit?: (err: Error) => void;
}

/** A running embedded server, wherever it runs. */
export interface EmbeddedDb {
  /** The driver's connection string, without credentials. */
  readonly uri: string;
  /** The TCP port; 0 on a Unix socket. */
  readonly port: number;
  /** The Unix socket's path; undefined on TCP. */
  readonly socketPath: string | undefined;
  /** `worker`: a worker thread of this process; `main`: this thread; `primary`: the cluster primary's. */
  readonly runsIn: DbThread | 'primary';
  /** Whether the storage takes writes now (a copy, current by the time a reply that changed it arrives). */
  health(): PersistenceHealth;
  /** The journal's counters (null in memory), asked of the server; the last known ones if it is busy. */
  storageStats(): Promise<StorageStats | null>;
  /** Calls `listener` with every new health. */
  onHealthChange(listener: (health: PersistenceHealth) => void): void;
  /** Closes the server: its connections, its listener, then the journal (flushed, lock released). */
  close(): Promise<void>;
}

/** Starts the embedded server on the thread the options name. */
export function startEmbedded(options: EmbeddedStartOptions): Promise<EmbeddedDb> {
  return options.thread === 'main' ? startOnThisThread(options) : startInWorker(options);
}

async function startOnThisThread(options: EmbeddedStartOptions): Promise<EmbeddedDb> {
  const listeners: ((health: PersistenceHealth) => void)[] = [];
  const listen =
    options.listen === 'tcp'
      ? { listen: 'tcp' as const, host: options.host, port: options.port }
      : { listen: 'socket' as const, socketPath: options.socketPath };
  let last = '';
  let server: EmbeddedServer | undefined = undefined;
  const started = await startEmbeddedServer({
    ...listen,
    credentials: options.credentials,
    limits: options.limits,
    dataDir: options.dataDir,
    journalMaxBytes: options.journalMaxBytes,
    log: (level, msg) => {
      options.log(level, msg);
      // As in the worker: the journal logs every change of writability when it happens.
      const health = server?.health();
      if (health && JSON.stringify(health) !== last) {
        last = JSON.stringify(health);
        for (const listener of listeners) listener(health);
      }
    },
  });
  server = started;
  last = JSON.stringify(started.health());
  return {
    uri: started.uri,
    port: started.port,
    socketPath: started.socketPath,
    runsIn: 'main',
    health: () => started.health(),
    storageStats: () => Promise.resolve(started.storageStats()),
    onHealthChange: (listener) => listeners.push(listener),
    close: () => started.close(),
  };
}

/**
 * The worker's entry: the compiled embeddedWorker.js next to this file, or, when running from the
 * TypeScript sources (jest, `npm run dev`), embeddedWorker.ts compiled as it loads by esbuild (a
 * development dependency; production runs dist/ and never takes this path).
 */
function createWorker(data: WorkerStartOptions, maxHeapMb: number | undefined): Worker {
  const resourceLimits = maxHeapMb ? { maxOldGenerationSizeMb: maxHeapMb } : undefined;
  const entry = path.join(__dirname, `embeddedWorker${path.extname(__filename)}`);
  if (!entry.endsWith('.ts')) return new Worker(entry, { workerData: data, resourceLimits });
  const bootstrap = `
    const fs = require('node:fs');
    const esbuild = require(${JSON.stringify(require.resolve('esbuild'))});
    process.setSourceMapsEnabled(true);
    require.extensions['.ts'] = (module, filename) => {
      const source = fs.readFileSync(filename, 'utf8');
      const { code } = esbuild.transformSync(source, { loader: 'ts', format: 'cjs', target: 'node20', sourcemap: 'inline', sourcefile: filename });
      module._compile(code, filename);
    };
    require(${JSON.stringify(entry)});`;
  return new Worker(bootstrap, { eval: true, workerData: data, resourceLimits });
}

/** Why a worker stopped, in words. */
function describeExit(code: number, err: Error | undefined, maxHeapMb: number | undefined): string {
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
    return `it ran out of memory (heap limit ${maxHeapMb ? `${maxHeapMb} MiB, TN_DB_MAX_HEAP_MB` : "V8's default"})`;
  }
  if (err) return `uncaught error: ${err.message}`;
  return `exit code ${code}`;
}

/**
 * Removes what a worker that never closed left: its socket (and the fresh private directory it
 * was in). A worker's own exit handlers do not run when it is terminated or the process exits.
 */
function removeSocket(socketPath: string | undefined, fixedPath: boolean): void {
  if (!socketPath) return;
  if (fixedPath) fs.rmSync(socketPath, { force: true });
  else fs.rmSync(path.dirname(socketPath), { recursive: true, force: true });
}

function startInWorker(options: EmbeddedStartOptions): Promise<EmbeddedDb> {
  const { maxHeapMb, log, onUnexpectedExit } = options;
  const data: WorkerStartOptions = {
    listen: options.listen,
    host: options.host,
    port: options.port,
    socketPath: options.socketPath,
    credentials: options.credentials,
    limits: options.limits,
    dataDir: options.dataDir,
    journalMaxBytes: options.journalMaxBytes,
  };
  const worker = createWorker(data, maxHeapMb);
  let state: 'starting' | 'running' | 'closing' | 'stopped' = 'starting';
  let health: PersistenceHealth = { writable: false, lastError: 'starting' };
  let lastStats: StorageStats | null = null;
  let error: Error | undefined;
  let socketPath: string | undefined;
  const listeners: ((health: PersistenceHealth) => void)[] = [];
  const pendingStats = new Map<number, (stats: StorageStats | null) => void>();
  let nextId = 1;
  let inFlightStats: Promise<StorageStats | null> | null = null;
  let closed: { resolve: () => void; reject: (err: Error) => void } | undefined;
  let closing: Promise<void> | undefined;
  const cleanUpOnExit = () => removeSocket(socketPath, data.socketPath !== undefined);
  const post = (message: ToWorker) => worker.postMessage(message);

  const askStats = (): Promise<StorageStats | null> => {
    if (state !== 'running') return Promise.resolve(lastStats);
    // The counters of concurrent requests (one scrape reads five) come from one round trip.
    inFlightStats ??= new Promise<StorageStats | null>((resolve) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pendingStats.delete(id);
        resolve(lastStats);
      }, STATS_TIMEOUT_MS);
      timer.unref();
      pendingStats.set(id, (stats) => {
        clearTimeout(timer);
        lastStats = stats;
        resolve(stats);
      });
      post({ type: 'stats', id });
    }).finally(() => {
      inFlightStats = null;
    });
    return inFlightStats;
  };

  return new Promise<EmbeddedDb>((resolve, reject) => {
    const db: EmbeddedDb = {
      uri: '',
      port: 0,
      socketPath: undefined,
      runsIn: 'worker',
      health: () => health,
      storageStats: askStats,
      onHealthChange: (listener) => listeners.push(listener),
      close() {
        if (closing) return closing;
        if (state === 'stopped') return Promise.resolve();
        state = 'closing';
        closing = new Promise<void>((resolveClose, rejectClose) => {
          closed = { resolve: resolveClose, reject: rejectClose };
        });
        const timer = setTimeout(() => {
          closed?.reject(new Error(`the embedded database did not close within ${WORKER_CLOSE_TIMEOUT_MS} ms: its worker was terminated (every acknowledged write was already on disk)`));
          void worker.terminate();
        }, WORKER_CLOSE_TIMEOUT_MS);
        post({ type: 'close' });
        closing = closing.finally(() => clearTimeout(timer));
        return closing;
      },
    };

    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'log':
          log(message.level, message.msg);
          return;
        case 'ready':
          state = 'running';
          health = message.health;
          socketPath = message.socketPath;
          process.once('exit', cleanUpOnExit);
          Object.assign(db, { uri: message.uri, port: message.port, socketPath: message.socketPath });
          resolve(db);
          return;
        case 'failed':
          state = 'stopped';
          void worker.terminate();
          reject(new Error(message.message));
          return;
        case 'health':
          health = message.health;
          for (const listener of listeners) listener(health);
          return;
        case 'stats':
          pendingStats.get(message.id)?.(message.stats);
          pendingStats.delete(message.id);
          return;
        case 'closed':
          state = 'stopped';
          health = { writable: false, lastError: 'closed' };
          process.off('exit', cleanUpOnExit);
          // Everything is flushed and released: what keeps the thread alive now is nothing of ours.
          void worker.terminate();
          if (message.error) closed?.reject(new Error(message.error));
          else closed?.resolve();
          return;
      }
    });
    worker.on('error', (err) => {
      error = err;
    });
    worker.on('exit', (code) => {
      const previous = state;
      state = 'stopped';
      for (const deliver of pendingStats.values()) deliver(lastStats);
      pendingStats.clear();
      if (previous === 'stopped') return;
      cleanUpOnExit();
      process.off('exit', cleanUpOnExit);
      const why = describeExit(code, error, maxHeapMb);
      if (previous === 'starting') reject(new Error(`the embedded database worker stopped during start-up: ${why}`));
      else if (previous === 'closing') closed?.reject(new Error(`the embedded database worker stopped while closing: ${why}`));
      else {
        health = { writable: false, lastError: `the embedded database worker stopped: ${why}` };
        onUnexpectedExit?.(new Error(`the embedded database worker stopped unexpectedly: ${why}`));
      }
    });
  });
}
