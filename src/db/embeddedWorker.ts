/**
 * The embedded server's worker thread: started by embedded.ts with its options in `workerData`,
 * it runs startEmbeddedServer and answers over `parentPort`. Its log lines go to the main
 * thread's logger; its storage health is pushed whenever it changes (see pushHealth); counters
 * are read on request. Imports nothing of the app: no config, no logger, no mongoose.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startEmbeddedServer, type EmbeddedServer } from '../embedded-mongo';
import type { EmbeddedLogLevel, FromWorker, ToWorker, WorkerStartOptions } from './workerProtocol';

/** How often health is compared with the last copy sent, besides after every log line. */
const HEALTH_INTERVAL_MS = 250;

if (!parentPort) throw new Error('embeddedWorker.ts runs only as a worker thread (src/db/embedded.ts starts it)');
const port = parentPort;
const send = (message: FromWorker) => port.postMessage(message);

let server: EmbeddedServer | undefined;
let lastHealth = '';

/**
 * Sends the storage health when it differs from the last copy sent. The journal logs every change
 * of writability (a failed write, a recovery) the moment it happens, before the failed command is
 * answered; checking after each log line therefore puts the new health on the port before that
 * reply is written to the socket. The interval is the safety net for any other change.
 */
function pushHealth(): void {
  if (!server) return;
  const health = server.health();
  const key = JSON.stringify(health);
  if (key === lastHealth) return;
  lastHealth = key;
  send({ type: 'health', health });
}

function log(level: EmbeddedLogLevel, msg: string): void {
  send({ type: 'log', level, msg });
  pushHealth();
}

async function main(): Promise<void> {
  const options = workerData as WorkerStartOptions;
  const listen =
    options.listen === 'tcp'
      ? { listen: 'tcp' as const, host: options.host, port: options.port }
      : { listen: 'socket' as const, socketPath: options.socketPath };
  try {
    server = await startEmbeddedServer({
      ...listen,
      credentials: options.credentials,
      limits: options.limits,
      dataDir: options.dataDir,
      journalMaxBytes: options.journalMaxBytes,
      log,
    });
  } catch (err) {
    // startEmbeddedServer has released whatever it opened (files, the lock, the socket).
    send({ type: 'failed', message: (err as Error).message });
    return;
  }
  const running = server;
  const health = running.health();
  lastHealth = JSON.stringify(health);
  send({ type: 'ready', uri: running.uri, port: running.port, socketPath: running.socketPath, health });
  const timer = setInterval(pushHealth, HEALTH_INTERVAL_MS);
  port.on('message', (message: ToWorker) => {
    if (message.type === 'stats') {
      send({ type: 'stats', id: message.id, stats: running.storageStats() });
      return;
    }
    clearInterval(timer);
    running.close().then(
      () => send({ type: 'closed' }),
      (err: unknown) => send({ type: 'closed', error: (err as Error).message }),
    );
  });
}

void main();
