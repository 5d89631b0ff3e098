/**
 * Starts Thunder Notes: configuration → database → (demo data) → listen. SIGINT/SIGTERM stop
 * accepting, let requests in flight finish (at most TN_SHUTDOWN_TIMEOUT_MS), then close
 * mongoose and the embedded server, and exit 0.
 */
import type { AddressInfo } from 'node:net';
import { config } from './config';
import { logger } from './logger';
import { connect } from './db';
import { app } from './app';
import { settleRateLimitWrites } from './controllers/rateLimitStore';
import { closeGracefully, createHttpServer } from './httpServer';
import { observeStorage } from './metrics';
import { seedDemoIfEmpty } from './seed';

async function main(): Promise<void> {
  for (const warning of config.warnings) logger.warn(warning);
  const db = await connect({ uri: config.db.uri, dataDir: config.db.dataDir, journalMaxBytes: config.db.journalMaxBytes });
  if (db.embedded) observeStorage(db.embedded);
  if (config.seedDemo) await seedDemoIfEmpty();

  const server = createHttpServer(app, config.http);
  server.listen(config.port);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  logger.info(`Thunder Notes listening on http://localhost:${port} (client at http://localhost:${port}/client/)`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received: shutting down`);
    // The database closes only after the last response: a request still running must not fail.
    closeGracefully(server, config.shutdownTimeoutMs)
      .then((cutOff) => {
        if (cutOff > 0) logger.warn(`${cutOff} requests still running after ${config.shutdownTimeoutMs} ms were cut off`);
        // A login's rate-limit count is taken back after its response: let that write land first.
        return settleRateLimitWrites();
      })
      .then(() => db.close())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'error while shutting down');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'start-up failed');
  process.stderr.write(`Start-up failed: ${(err as Error).message}\n`);
  process.exit(1);
});
