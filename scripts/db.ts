/**
 * `npm run db`: the embedded MongoDB-compatible server alone, in its own process, for API
 * processes started separately (each with MONGODB_URI set to what this prints). Same variables
 * as `npm start`: TN_DATA_DIR, TN_DB_LISTEN (socket|tcp), TN_DB_SOCKET (a fixed socket path,
 * in a directory private to this user), TN_DB_HOST/PORT/USER/PASSWORD, TN_DB_MAX_CONNECTIONS,
 * TN_DB_IDLE_TIMEOUT, TN_JOURNAL_MAX_MB. Prints one line `MONGODB_URI=<connection string>` on
 * stdout (for TCP the password is left as a placeholder); SIGTERM/SIGINT close it (journal
 * flushed, lock released) and exit 0.
 */
import path from 'node:path';
import { config } from '../src/config';
import { connectionStringFor, startConfiguredEmbedded } from '../src/db';
import { logger } from '../src/logger';

async function main(): Promise<void> {
  for (const warning of config.warnings) logger.warn(warning);
  if (config.db.uri !== '') throw new Error('MONGODB_URI is set: `npm run db` starts the embedded server, for API processes to reach; unset MONGODB_URI');
  const listen = config.db.embedded;
  // Its own process has no HTTP thread to protect: the server runs on the main thread.
  const embedded = await startConfiguredEmbedded({ thread: 'main' });
  const uri = connectionStringFor(embedded, listen);
  const where = config.db.dataDir === ':memory:' ? 'in memory, nothing kept on disk' : `data in ${path.resolve(config.db.dataDir)}`;
  logger.info(`database: embedded MongoDB-compatible server for API processes (${where}); start them with MONGODB_URI=${uri}`);
  if (listen.credentials) logger.info('replace <TN_DB_PASSWORD> with the password, percent-encoded');
  process.stdout.write(`MONGODB_URI=${uri}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal} received: closing the database`);
    embedded
      .close()
      .then(() => {
        logger.info('shutdown: embedded database closed (journal flushed, lock released)');
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'error while closing the database');
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
