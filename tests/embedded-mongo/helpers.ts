/**
 * Test database for the embedded-mongo suite: a fresh embedded server per test file, or the
 * real MongoDB named by MONGODB_URI (then with a unique database, dropped at the end).
 */
import { appendFileSync } from 'node:fs';
import mongoose from 'mongoose';
import { startEmbeddedServer, type EmbeddedServer, type EmbeddedServerOptions } from '../../src/embedded-mongo';
import { usingRealMongo } from '../helpers/mongoTarget';

/** `describe` for tests that inspect embedded-only internals. */
export const describeEmbedded = usingRealMongo ? describe.skip : describe;

/** A mongoose connection to a private database, and the embedded server behind it if any. */
export interface TestDb {
  conn: mongoose.Connection;
  server?: EmbeddedServer;
  close(): Promise<void>;
}

let counter = 0;

/**
 * Collects the names of the wire commands a server receives. With EMBEDDED_MONGO_COMMAND_LOG
 * set to a file path, `flush()` appends them to it, one per line.
 */
export function commandRecorder(): { onCommand: (name: string) => void; flush: () => void } {
  const commands = new Set<string>();
  return {
    onCommand: (name) => commands.add(name),
    flush() {
      const logFile = process.env.EMBEDDED_MONGO_COMMAND_LOG;
      if (logFile && commands.size) appendFileSync(logFile, [...commands].join('\n') + '\n');
      commands.clear();
    },
  };
}

/**
 * Opens a test database (the embedded server started with `serverOptions`, if any). Set EMBEDDED_MONGO_COMMAND_LOG to a file path to have the names of all
 * wire commands the server received appended to it (one per line) when the database closes.
 */
export async function openTestDb(label: string, serverOptions: EmbeddedServerOptions = {}): Promise<TestDb> {
  const recorder = commandRecorder();
  let server: EmbeddedServer | undefined;
  let uri = process.env.MONGODB_URI ?? '';
  if (!uri) {
    server = await startEmbeddedServer({ ...serverOptions, onCommand: recorder.onCommand });
    uri = server.uri;
  }
  const dbName = `tn_test_${label}_${process.pid}_${++counter}`;
  const conn = await mongoose.createConnection(uri, { dbName }).asPromise();
  return {
    conn,
    server,
    async close() {
      await conn.dropDatabase();
      await conn.close();
      await server?.close();
      recorder.flush();
    },
  };
}

/** The raw driver's collection `name` of a test database. */
export function rawCollection(db: TestDb, name: string): mongoose.mongo.Collection {
  if (!db.conn.db) throw new Error('no database');
  return db.conn.db.collection(name);
}

/** A collection created afresh with `options` (dropped first if it exists). */
export async function freshCollection(db: TestDb, name: string, options: mongoose.mongo.CreateCollectionOptions): Promise<mongoose.mongo.Collection> {
  await rawCollection(db, name).drop().catch(() => undefined);
  return rawCollection(db, name).db.createCollection(name, options);
}

/** The winning plan `explain()` reports for a find, as JSON text (to look for stage names). */
export async function winningPlanText(cursor: { explain(): Promise<unknown> }): Promise<string> {
  const explained = (await cursor.explain()) as { queryPlanner: { winningPlan: unknown } };
  return JSON.stringify(explained.queryPlanner.winningPlan);
}
