/**
 * Database connection: `MONGODB_URI` when set, otherwise the embedded MongoDB-compatible
 * server on 127.0.0.1 with an ephemeral port, storing in `TN_DATA_DIR` (or nothing on disk for
 * `:memory:`). Either way mongoose talks to it through the official driver over TCP.
 */
import path from 'node:path';
import mongoose from 'mongoose';
import { startEmbeddedServer, type EmbeddedServer } from '../embedded-mongo';
import { logger } from '../logger';

/** What connect() was asked to use. */
export interface DbOptions {
  uri: string;
  dataDir: string;
  journalMaxBytes?: number;
  dbName?: string;
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

/** Connects mongoose to MongoDB or to a freshly started embedded server. */
export async function connect(options: DbOptions): Promise<DbHandle> {
  let embedded: EmbeddedServer | null = null;
  let uri = options.uri;
  if (uri === '') {
    embedded = await startEmbeddedServer({
      host: '127.0.0.1',
      port: 0,
      dataDir: options.dataDir,
      journalMaxBytes: options.journalMaxBytes,
      log: embeddedLog,
    });
    uri = embedded.uri;
    const where = options.dataDir === ':memory:' ? 'in memory, nothing kept on disk' : `data in ${path.resolve(options.dataDir)}`;
    logger.info(`database: embedded MongoDB-compatible server at ${uri} (${where})`);
  } else {
    logger.info(`database: MongoDB at ${redactUri(uri)}`);
  }
  try {
    await mongoose.connect(uri, { dbName: options.dbName ?? DEFAULT_DB_NAME, serverSelectionTimeoutMS: 10_000 });
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
