/**
 * Database connection: `MONGODB_URI` when set, otherwise the embedded MongoDB-compatible
 * server, storing in `TN_DATA_DIR` (or nothing on disk for `:memory:`) and listening on a Unix
 * socket in a private directory (or, with `TN_DB_LISTEN=tcp`, on TCP with SCRAM-SHA-256).
 * Either way mongoose talks to it through the official driver.
 *
 * Where the embedded server runs (embedded.ts): a worker thread of this process by default
 * (`TN_DB_THREAD=main`: this thread); in an API process of a cluster (TN_WORKERS), the
 * primary's, reached through primaryLink.ts; or its own process (`npm run db`, scripts/db.ts),
 * which API processes reach with MONGODB_URI like any MongoDB.
 */
import cluster from 'node:cluster';
import path from 'node:path';
import mongoose from 'mongoose';
import { config } from '../config';
import type { Credentials } from '../embedded-mongo';
import { logger } from '../logger';
import { startEmbedded, type DbThread, type EmbeddedDb, type EmbeddedLogLevel, type EmbeddedStartOptions } from './embedded';
import { attachToPrimary } from './primaryLink';

export type { DbThread, EmbeddedDb } from './embedded';

/** What connect() was asked to use. */
export interface DbOptions {
  uri: string;
  dataDir: string;
  journalMaxBytes?: number;
  dbName?: string;
  /** How the embedded server listens and its connection limits; `config.db.embedded` by default. */
  embedded?: EmbeddedListen;
  /** Where the embedded server runs; `config.db.thread` (TN_DB_THREAD, default `worker`) by default. */
  thread?: DbThread;
  /** The worker thread's heap limit in MiB (0: V8's default); `config.db.maxHeapMb` by default. */
  maxHeapMb?: number;
  /** Called if the embedded server's worker stops without being asked to; by default it is logged. */
  onEmbeddedExit?: (err: Error) => void;
}

/** The embedded server's listener: a private Unix socket, or TCP with a user and password. */
export interface EmbeddedListen {
  listen: 'socket' | 'tcp';
  host: string;
  port: number;
  /** Required for TCP (config.ts refuses TCP without a password). */
  credentials?: Credentials;
  maxConnections: number;
  idleTimeoutMs: number;
  /** A fixed socket path (TN_DB_SOCKET) instead of a fresh private directory per start. */
  socketPath?: string;
}

/** A live connection, and the embedded server behind it when there is one. */
export interface DbHandle {
  uri: string;
  embedded: EmbeddedDb | null;
  /** Disconnects mongoose, then closes the embedded server if this process owns it. */
  close(): Promise<void>;
}

const DEFAULT_DB_NAME = 'thunder-notes';

function embeddedLog(level: EmbeddedLogLevel, msg: string): void {
  logger[level]({ component: 'embedded-mongo' }, msg);
}

/** The server options for a listener configuration. */
function listenOptions(listen: EmbeddedListen): Pick<EmbeddedStartOptions, 'listen' | 'host' | 'port' | 'socketPath' | 'credentials' | 'limits'> {
  const limits = { maxConnections: listen.maxConnections, idleTimeoutMs: listen.idleTimeoutMs };
  if (listen.listen === 'socket') return { listen: 'socket', socketPath: listen.socketPath, credentials: listen.credentials, limits };
  if (!listen.credentials) throw new Error('the embedded server listens on TCP only with credentials');
  return { listen: 'tcp', host: listen.host, port: listen.port, credentials: listen.credentials, limits };
}

/** What `startConfiguredEmbedded` may take from the caller instead of the configuration. */
export interface ConfiguredEmbeddedOptions {
  listen?: EmbeddedListen;
  dataDir?: string;
  journalMaxBytes?: number;
  thread?: DbThread;
  maxHeapMb?: number;
  onUnexpectedExit?: (err: Error) => void;
}

/**
 * Starts the embedded server as configured (listener, data directory, journal size, thread,
 * heap limit; TN_* variables through `config.db`), logging through the app's logger. The one
 * place that does: `connect()`, the cluster primary and `npm run db` all call it.
 */
export function startConfiguredEmbedded(options: ConfiguredEmbeddedOptions = {}): Promise<EmbeddedDb> {
  return startEmbedded({
    ...listenOptions(options.listen ?? config.db.embedded),
    dataDir: options.dataDir ?? config.db.dataDir,
    journalMaxBytes: options.journalMaxBytes ?? config.db.journalMaxBytes,
    thread: options.thread ?? config.db.thread,
    maxHeapMb: options.maxHeapMb ?? config.db.maxHeapMb,
    log: embeddedLog,
    onUnexpectedExit: options.onUnexpectedExit ?? ((err) => logger.error({ err }, err.message)),
  });
}

/**
 * The driver closes its idle pooled connections before the embedded server would: a write sent
 * on a connection the server has just closed is not retried against a standalone, so it would fail.
 */
function clientIdleTimeoutMs(listen: EmbeddedListen): number {
  return Math.floor(listen.idleTimeoutMs / 2);
}

/**
 * The connection string another process (an API process started separately) uses to reach this
 * embedded server: the idle timeout above in the URI and, for TCP, the user with a placeholder for
 * the password, which is never printed.
 */
export function connectionStringFor(embedded: Pick<EmbeddedDb, 'uri'>, listen: EmbeddedListen): string {
  const options = new URLSearchParams();
  let uri = embedded.uri;
  if (listen.credentials) {
    uri = uri.replace('mongodb://', `mongodb://${encodeURIComponent(listen.credentials.user)}:<TN_DB_PASSWORD>@`);
    options.set('authSource', 'admin');
  }
  options.set('maxIdleTimeMS', String(clientIdleTimeoutMs(listen)));
  return `${uri}/?${options.toString()}`;
}

/** Where the embedded server is, for the start-up log line. */
function describeEmbedded(embedded: EmbeddedDb, dataDir: string): string {
  const where = dataDir === ':memory:' ? 'in memory, nothing kept on disk' : `data in ${path.resolve(dataDir)}`;
  if (embedded.runsIn === 'primary') return `the cluster primary's embedded MongoDB-compatible server at ${embedded.uri}`;
  const thread = embedded.runsIn === 'worker' ? 'in a worker thread' : 'on the main thread';
  return `embedded MongoDB-compatible server at ${embedded.uri} (${where}; ${thread})`;
}

/** Connects mongoose to MongoDB, to the cluster primary's embedded server, or to a freshly started one. */
export async function connect(options: DbOptions): Promise<DbHandle> {
  let embedded: EmbeddedDb | null = null;
  let uri = options.uri;
  // No command monitoring: it decodes every reply in full for its event (about 25 µs a command);
  // src/models/commands.ts times each command where it is sent (tn_db_command_duration_seconds).
  const connectOptions: mongoose.ConnectOptions = {
    dbName: options.dbName ?? DEFAULT_DB_NAME,
    serverSelectionTimeoutMS: 10_000,
  };
  if (uri === '') {
    const listen = options.embedded ?? config.db.embedded;
    embedded = cluster.isWorker
      ? await attachToPrimary()
      : await startConfiguredEmbedded({
          listen,
          dataDir: options.dataDir,
          journalMaxBytes: options.journalMaxBytes,
          thread: options.thread,
          maxHeapMb: options.maxHeapMb,
          onUnexpectedExit: options.onEmbeddedExit,
        });
    uri = embedded.uri;
    if (listen.credentials) {
      connectOptions.auth = { username: listen.credentials.user, password: listen.credentials.password };
      connectOptions.authSource = 'admin';
    }
    connectOptions.maxIdleTimeMS = clientIdleTimeoutMs(listen);
    logger.info(`database: ${describeEmbedded(embedded, options.dataDir)}`);
  } else {
    logger.info(`database: MongoDB at ${redactUri(uri)}`);
  }
  try {
    await mongoose.connect(uri, connectOptions);
  } catch (err) {
    await embedded?.close();
    throw err;
  }
  return {
    uri,
    embedded,
    async close() {
      await mongoose.disconnect();
      logger.info('shutdown: database connection closed');
      if (embedded && embedded.runsIn !== 'primary') {
        await embedded.close();
        logger.info('shutdown: embedded database closed (journal flushed, lock released)');
      }
    },
  };
}

/** Hides credentials in a connection string before it is logged. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^@/]+)@/, '//***@');
}
