/**
 * TN_WORKERS=N: N API processes share the port (node:cluster: this primary accepts connections
 * and hands them to the API processes in turn) and one database. Without MONGODB_URI the primary
 * starts the embedded server once (in its worker thread, as a single process would) and the API
 * processes connect to it through its socket (db/primaryLink.ts tells them where). Everything
 * they share across processes is in the database: ids, rate-limit counts, the /ready probe.
 *
 * An API process that dies after it has served is replaced, at most MAX_RESTARTS times per
 * RESTART_WINDOW_MS; beyond that, or if one fails before it ever listened (a bad port, a bad
 * configuration: a restart would fail alike), or if the database stops, the primary stops
 * everything and exits 1. SIGTERM/SIGINT: the API processes drain and exit first, then the
 * database closes (journal flushed, lock released), then the primary exits 0.
 */
import cluster, { type Worker } from 'node:cluster';
import { config } from './config';
import { connectionStringFor, startConfiguredEmbedded, type EmbeddedDb } from './db';
import { shareWithWorkers } from './db/primaryLink';
import { logger } from './logger';

/** Replacements of API processes allowed per window before the primary gives up. */
export const MAX_RESTARTS = 5;
export const RESTART_WINDOW_MS = 60_000;
/** A crashing process is replaced after this pause, so a crash loop cannot spin. */
export const RESTART_DELAY_MS = 1_000;
/** After the API processes' own drain time, how much longer the primary waits before SIGKILL. */
const STOP_GRACE_MS = 5_000;

/** Runs the cluster primary until SIGTERM/SIGINT (exit 0) or a failure it cannot repair (exit 1). */
export async function runPrimary(): Promise<void> {
  const count = config.workers;
  let embedded: EmbeddedDb | null = null;
  let stopping = false;
  const restarts: number[] = [];
  const served = new Set<number>();
  let announced = false;

  const waitForWorkers = async (): Promise<void> => {
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
    for (const worker of alive) worker.process.kill('SIGTERM');
    const exits = alive.map((worker) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))));
    const deadline = setTimeout(() => {
      for (const worker of alive) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }, config.shutdownTimeoutMs + STOP_GRACE_MS);
    await Promise.all(exits);
    clearTimeout(deadline);
  };

  const shutdown = (reason: string, exitCode: number): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`${reason}: stopping ${count} API processes, then the database`);
    waitForWorkers()
      .then(() => {
        logger.info('shutdown: API processes stopped');
        return embedded?.close().then(() => logger.info('shutdown: embedded database closed (journal flushed, lock released)'));
      })
      .then(() => process.exit(exitCode))
      .catch((err: unknown) => {
        logger.error({ err }, 'error while shutting down');
        process.exit(1);
      });
  };

  if (config.db.uri === '') {
    const listen = config.db.embedded;
    embedded = await startConfiguredEmbedded({
      onUnexpectedExit: (err) => {
        logger.fatal({ err }, err.message);
        process.stderr.write(`Database lost: ${err.message}\n`);
        shutdown('the database stopped', 1);
      },
    });
    shareWithWorkers(embedded);
    logger.info(`database: embedded MongoDB-compatible server for ${count} API processes at ${connectionStringFor(embedded, listen)}`);
  }

  const fork = (): void => {
    const worker = cluster.fork();
    worker.once('listening', () => {
      served.add(worker.id);
      logger.info(`API process ${worker.process.pid} serving on port ${config.port}`);
      if (!announced && served.size >= count) {
        announced = true;
        logger.info(`Thunder Notes listening on http://localhost:${config.port} with ${count} API processes (primary ${process.pid})`);
      }
    });
  };

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const how = signal ?? `exit code ${code}`;
    if (!served.has(worker.id)) {
      logger.fatal(`API process ${worker.process.pid} stopped before it served (${how}): stopping`);
      shutdown('an API process could not start', 1);
      return;
    }
    const now = Date.now();
    while (restarts.length > 0 && now - restarts[0] > RESTART_WINDOW_MS) restarts.shift();
    if (restarts.length >= MAX_RESTARTS) {
      logger.fatal(`API process ${worker.process.pid} stopped (${how}), the ${MAX_RESTARTS + 1}th within ${RESTART_WINDOW_MS / 1000} s: stopping`);
      shutdown('too many API processes stopped', 1);
      return;
    }
    restarts.push(now);
    logger.error(`API process ${worker.process.pid} stopped (${how}); starting another in ${RESTART_DELAY_MS} ms (restart ${restarts.length} of ${MAX_RESTARTS} allowed per ${RESTART_WINDOW_MS / 1000} s)`);
    setTimeout(() => {
      if (!stopping) fork();
    }, RESTART_DELAY_MS);
  });

  process.on('SIGINT', () => shutdown('SIGINT received', 0));
  process.on('SIGTERM', () => shutdown('SIGTERM received', 0));
  for (let i = 0; i < count; i++) fork();
}
