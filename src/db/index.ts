/**
 * Database connection: `MONGODB_URI` when set, otherwise the embedded MongoDB-compatible
 * server, storing in `TN_DATA_DIR` (or nothing on disk for `:memory:`) and listening on a Unix
 * socket in a private directory (or, with `TN_DB_LISTEN=tcp`, on TCP with SCRAM-SHA-256).
 * Either way mongoose talks to it through the official driver.
 */
import path from 'node:path';
import mongoose from 'mongoose';
import { config } from '../config';
import { startEmbeddedServer, type Credentials, type EmbeddedServer, type EmbeddedServerOptions, type ListenOptions } from '../embedded-mongo';
import { logger } from '../logger';

/** What connect() was asked to use. */
export interface DbOptions {
  uri: string;
  dataDir: string;
  journalMaxBytes?: number;
  dbName?: string;
  /** How the embedded server listens and its connection limits; `config.db.embedded` by default. */
  embedded?: EmbeddedListen;
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
}

/** A live connection, and the embedded server behind it when there is one. */
export interface DbHandle {
  uri: string;
  embedded: EmbeddedServer | null;
  close(): Promise<void>;
}

const DEFAULT_DB_NAME = 'thunder-notes';

function embeddedLog(level: 'info' | 'warn' | 'error', msg: string): void {
  logger[level]({ component: 'embedded-mongo' }, msg);
}

/** The server options for a listener configuration. */
function listenOptions(listen: EmbeddedListen): ListenOptions & Pick<EmbeddedServerOptions, 'credentials' | 'limits'> {
  const limits = { maxConnections: listen.maxConnections, idleTimeoutMs: listen.idleTimeoutMs };
  if (listen.listen === 'socket') return { listen: 'socket', credentials: listen.credentials, limits };
  if (!listen.credentials) throw new Error('the embedded server listens on TCP only with credentials');
  return { listen: 'tcp', host: listen.host, port: listen.port, credentials: listen.credentials, limits };
}

/** Connects mongoose to MongoDB or to a freshly started embedded server. */
export async function connect(options: DbOptions): Promise<DbHandle> {
  let embedded: EmbeddedServer | null = null;
  let uri = options.uri;
  // monitorCommands: src/metrics.ts times every command (tn_db_command_duration_seconds).
  const connectOptions: mongoose.ConnectOptions = {
    dbName: options.dbName ?? DEFAULT_DB_NAME,
    serverSelectionTimeoutMS: 10_000,
    monitorCommands: config.metrics.dbCommands,
  };
  if (uri === '') {
    const listen = options.embedded ?? config.db.embedded;
    embedded = await startEmbeddedServer({
      ...listenOptions(listen),
      dataDir: options.dataDir,
      journalMaxBytes: options.journalMaxBytes,
      log: embeddedLog,
    });
    uri = embedded.uri;
    if (listen.credentials) {
      connectOptions.auth = { username: listen.credentials.user, password: listen.credentials.password };
      connectOptions.authSource = 'admin';
    }
    // The driver closes its idle pooled connections before the server would: a write sent on a
    // connection the server has just closed is not retried against a standalone, so it would fail.
    connectOptions.maxIdleTimeMS = Math.floor(listen.idleTimeoutMs / 2);
    const where = options.dataDir === ':memory:' ? 'in memory, nothing kept on disk' : `data in ${path.resolve(options.dataDir)}`;
    logger.info(`database: embedded MongoDB-compatible server at ${uri} (${where})`);
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
      await embedded?.close();
    },
  };
}

/** Hides credentials in a connection string before it is logged. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^@/]+)@/, '//***@');
}
