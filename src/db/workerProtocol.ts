/**
 * The messages between the main thread and the embedded server's worker thread
 * (embeddedWorker.ts). Only structured-clonable values cross: options in, addresses, log lines,
 * health and counters out. Type-only on both sides, so the worker loads nothing of the app.
 */
import type { Credentials, PersistenceHealth, StorageStats, WireLimits } from '../embedded-mongo';

/** Log levels the embedded server uses. */
export type EmbeddedLogLevel = 'info' | 'warn' | 'error';

/** What the worker starts: startEmbeddedServer's options without the functions. */
export interface WorkerStartOptions {
  listen: 'socket' | 'tcp';
  host?: string;
  port?: number;
  socketPath?: string;
  credentials?: Credentials;
  limits: Partial<WireLimits>;
  dataDir: string;
  journalMaxBytes?: number;
}

/** Main thread → worker. */
export type ToWorker = { type: 'stats'; id: number } | { type: 'close' };

/** Worker → main thread. */
export type FromWorker =
  | { type: 'log'; level: EmbeddedLogLevel; msg: string }
  | { type: 'ready'; uri: string; port: number; socketPath: string | undefined; health: PersistenceHealth }
  | { type: 'failed'; message: string }
  | { type: 'health'; health: PersistenceHealth }
  | { type: 'stats'; id: number; stats: StorageStats | null }
  | { type: 'closed'; error?: string };
