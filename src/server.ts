/**
 * Starts Thunder Notes: configuration → database → (demo data) → listen. SIGINT/SIGTERM close
 * the HTTP server, then mongoose, then the embedded server, and exit 0.
 */
import type { AddressInfo } from 'node:net';
import { config } from './config';
import { logger } from './logger';
import { connect } from './db';
import { app } from './app';
import { seedDemoIfEmpty } from './seed';

async function main(): Promise<void> {
  for (const warning of config.warnings) logger.warn(warning);
  const db = await connect({ uri: config.db.uri, dataDir: config.db.dataDir, journalMaxBytes: config.db.journalMaxBytes });
  if (config.seedDemo) await seedDemoIfEmpty();

  const server = app.listen(config.port);
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
    server.closeIdleConnections();
    server.close(() => {
      db.close()
        .then(() => process.exit(0))
        .catch((err: unknown) => {
          logger.error({ err }, 'error while closing the database');
          process.exit(1);
        });
    });
    // Keep-alive clients must not hold the process open past a short grace period.
    setTimeout(() => server.closeAllConnections(), 2000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  logger.fatal({ err }, 'start-up failed');
  process.stderr.write(`Start-up failed: ${(err as Error).message}\n`);
  process.exit(1);
});
