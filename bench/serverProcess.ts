/**
 * The API under test, in a process of its own: connects to the embedded database (in memory
 * or on disk, from `TN_DATA_DIR`), listens on an ephemeral loopback port and reports it to the
 * orchestrator over IPC. The orchestrator then asks it to `seed` (straight through the models),
 * for memory `stats` and for document and index `sizes` (bench/storageSizes.ts); `stop` closes the HTTP server, mongoose and the embedded server.
 *
 * `profileStart`/`profileStop` run V8's CPU profiler (the one behind `node --cpu-prof`) over
 * exactly the load window, not over start-up and seeding, and write a `.cpuprofile` file.
 *
 * Configuration comes from the environment the orchestrator sets (NODE_ENV=production, a fixed
 * TN_JWT_PRIVATE_KEY, LOG_LEVEL=warn, ...), read once by src/config.ts as in `npm start`.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import mongoose from 'mongoose';
import { app } from '../src/app';
import { config } from '../src/config';
import { connect } from '../src/db';
import { observeStorage } from '../src/metrics';
import { heapAfterGc } from './heap';
import { planOf, type QueryPlan } from './plan';
import { reportFatal, reportReady, serveIpc } from './ipc';
import { ensureIndexes, seed, type SeedSpec } from './seedData';
import { measureSizes, type SizesRequest } from './storageSizes';

let session: Session | null = null;

async function profileStart(intervalUs: number): Promise<void> {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
}

async function profileStop(file: string): Promise<string> {
  if (!session) throw new Error('the profiler is not running');
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  session = null;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(profile));
  return file;
}

function connectedDb() {
  const db = mongoose.connection.db;
  if (!db) throw new Error('not connected');
  return db;
}

/** Explains a find on the API's own connection (the peer's queries, to see whether they use an index). */
async function explainFind(message: Record<string, unknown>): Promise<QueryPlan> {
  const db = connectedDb();
  const options = (message.options ?? {}) as { sort?: Record<string, 1 | -1>; skip?: number; limit?: number };
  const cursor = db.collection(String(message.collection)).find((message.filter ?? {}) as Record<string, unknown>, {
    sort: options.sort,
    skip: options.skip,
    limit: options.limit,
  });
  return planOf((await cursor.explain()) as Parameters<typeof planOf>[0]);
}

async function main(): Promise<void> {
  const db = await connect({ uri: config.db.uri, dataDir: config.db.dataDir, journalMaxBytes: config.db.journalMaxBytes });
  await ensureIndexes();
  // As src/server.ts does: the journal's counters (tn_journal_*) on GET /metrics.
  if (db.embedded) observeStorage(db.embedded);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  serveIpc(
    {
      seed: (message) => seed(message.spec as SeedSpec),
      profileStart: (message) => profileStart(Number(message.intervalUs ?? 200)),
      profileStop: (message) => profileStop(String(message.file)),
      heap: () => heapAfterGc(),
      explain: (message) => explainFind(message),
      sizes: (message) => measureSizes(connectedDb(), message as unknown as SizesRequest),
      gc: () => {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (gc) gc();
        return gc !== undefined;
      },
    },
    async () => {
      // Stop accepting, drop the (idle) benchmark connections, and give requests still in
      // flight when the load generator went away a moment to finish before the database closes.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await new Promise((resolve) => setTimeout(resolve, 500));
      await db.close();
    },
  );
  reportReady((server.address() as AddressInfo).port, { dataDir: config.db.dataDir, env: config.env, dbUri: db.uri, dbName: mongoose.connection.name });
}

main().catch(reportFatal);
