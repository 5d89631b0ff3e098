/**
 * Starts Thunder Notes: configuration → database → legacy notes indexes migrated
 * (models/legacyIndexes.ts) → (demo data) → listen. SIGINT/SIGTERM stop accepting, let requests
 * in flight finish (at most TN_SHUTDOWN_TIMEOUT_MS), give back the unissued ids of this process's
 * block (models/Counter.ts), then close mongoose, then the embedded server (its worker thread:
 * connections, listener, journal), and exit 0. If the embedded server's worker stops by itself,
 * the process exits 1 rather than serve without a database.
 *
 * With TN_WORKERS > 1 this process is the cluster primary (cluster.ts): it starts the database
 * once and runs that many API processes, each of which runs this file's runApi().
 */
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { config } from './config';
import { logger } from './logger';
import { connect } from './db';
import { app } from './app';
import { runPrimary } from './cluster';
import { settleRateLimitWrites } from './controllers/rateLimitStore';
import { closeGracefully, createHttpServer } from './httpServer';
import { releaseIdBlocks } from './models/Counter';
import { observeStorage } from './metrics';
import { dropLegacyNoteIndexes } from './models/legacyIndexes';
import { seedDemoIfEmpty } from './seed';

/** Logs a fatal error with one plain line on stderr, and exits 1. */
function fail(context: string, err: Error): never {
  logger.fatal({ err }, `${context}: ${err.message}`);
  process.stderr.write(`${context}: ${err.message}\n`);
  process.exit(1);
}

async function runApi(): Promise<void> {
  const db = await connect({
    uri: config.db.uri,
    dataDir: config.db.dataDir,
    journalMaxBytes: config.db.journalMaxBytes,
    onEmbeddedExit: (err) => fail('Database lost', err),
  });
  if (db.embedded) observeStorage(db.embedded);
  // Owner-prefixed indexes in place of a database's legacy ones; with the legacy ones kept the API still works.
  await dropLegacyNoteIndexes().catch((err: Error) => logger.error({ err }, `notes: legacy indexes not migrated: ${err.message}`));
  // In a cluster the first API process seeds; the others share its database.
  if (config.seedDemo && (cluster.isPrimary || cluster.worker?.id === 1)) await seedDemoIfEmpty();

  const server = createHttpServer(app, config.http);
  server.listen(config.port);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  // In a cluster the primary announces each API process once it is in the rotation.
  if (!cluster.isWorker) logger.info(`Thunder Notes listening on http://localhost:${port} (client at http://localhost:${port}/client/)`);

  let stopping = false;
  const stop = (reason: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${reason}: shutting down`);
    // The database closes only after the last response: a request still running must not fail.
    closeGracefully(server, config.shutdownTimeoutMs)
      .then((cutOff) => {
        if (cutOff > 0) logger.warn(`${cutOff} requests still running after ${config.shutdownTimeoutMs} ms were cut off`);
        logger.info('shutdown: HTTP server closed');
        // A login's rate-limit count is taken back after its response: let that write land first.
        return settleRateLimitWrites();
      })
      // Ids reserved but not handed out go back if nobody reserved after us (a cut-off create's id counts as handed out).
      .then(() => releaseIdBlocks())
      .then(() => db.close())
      .then(() => process.exit(exitCode))
      .catch((err: unknown) => {
        logger.error({ err }, 'error while shutting down');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT received'));
  process.on('SIGTERM', () => stop('SIGTERM received'));
  // An API process whose primary is gone (killed) has no database and no new connections: it stops too.
  if (cluster.isWorker) process.on('disconnect', () => stop('the cluster primary is gone', 1));
}

async function main(): Promise<void> {
  if (!cluster.isWorker) for (const warning of config.warnings) logger.warn(warning);
  if (cluster.isPrimary && config.workers > 1) await runPrimary();
  else await runApi();
}

main().catch((err: unknown) => fail('Start-up failed', err as Error));
