/**
 * Starting the servers under test, each in a child process with the environment it would have
 * in production: the API (NODE_ENV=production, production argon2 cost, fixed JWT key, logs at
 * `warn`), the two bare-Express baselines (same JWT key), the peer (express-restify-mongoose
 * over the API's database) and the API as `npm start` runs it with `TN_WORKERS`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BenchChild, ScriptServer, freePort } from './children';

/** One key per run, shared by the API and the JWT baseline. */
export const JWT_KEY = crypto.randomBytes(36).toString('base64url');

/** Environment of the API child; `dataDir` is `:memory:` or a directory for the journal. */
export function apiEnv(dataDir: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    PORT: '0',
    MONGODB_URI: '',
    TN_DATA_DIR: dataDir,
    TN_JWT_PRIVATE_KEY: JWT_KEY,
    TN_JWT_EXPIRES_IN: '12h',
    TN_SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
  };
}

/** Starts the API on the embedded database. */
export function startApi(label: string, dataDir: string, execArgv: string[] = []): Promise<BenchChild> {
  return BenchChild.start({ label, entry: 'serverProcess.js', env: apiEnv(dataDir), execArgv, readyTimeoutMs: 120_000 });
}

/** Starts a bare Express baseline (`bare`) or bare Express + JWT verification (`jwt`). */
export function startBaseline(kind: 'bare' | 'jwt'): Promise<BenchChild> {
  return BenchChild.start({
    label: `baseline-${kind}`,
    entry: 'baselineServer.js',
    args: [kind],
    env: { NODE_ENV: 'production', TN_JWT_PRIVATE_KEY: JWT_KEY },
  });
}

/** Starts express-restify-mongoose over the database `dbName` at `dbUri` (the API child's). */
export function startPeer(dbUri: string, dbName: string): Promise<BenchChild> {
  return BenchChild.start({ label: 'peer-erm', entry: 'peerServer.js', env: { NODE_ENV: 'production', BENCH_PEER_DB_URI: dbUri, BENCH_PEER_DB_NAME: dbName } });
}

/** The built server, as `npm start` runs it. */
export const SERVER_SCRIPT = path.join(__dirname, '..', 'src', 'server.js');

/**
 * Whether this build knows `TN_WORKERS` (src/config.ts reads every variable, so a build without
 * it would silently start one process): null when it does, otherwise why not.
 */
export function workersUnsupported(configFile = path.join(__dirname, '..', 'src', 'config.js')): string | null {
  let source: string;
  try {
    source = fs.readFileSync(configFile, 'utf8');
  } catch {
    return `${path.relative(process.cwd(), configFile)} is missing`;
  }
  return source.includes('TN_WORKERS') ? null : 'this build has no TN_WORKERS (src/config.ts does not read it)';
}

/**
 * Starts `count` API processes with `TN_WORKERS` (node:cluster, one port) on the database at
 * `dbUri` through MONGODB_URI: the API processes and one database process, as in a deployment
 * with `npm run db`.
 */
export async function startWorkers(count: number, dbUri: string): Promise<ScriptServer> {
  const port = await freePort();
  const env = { ...apiEnv(':memory:'), MONGODB_URI: dbUri, TN_WORKERS: String(count) };
  return ScriptServer.start({ label: `api-workers-${count}`, script: SERVER_SCRIPT, env, port, readyTimeoutMs: 120_000 });
}

/**
 * Workers start one after the other: waits (bounded) until `count` of them run under the
 * primary of `server`, and returns their pids (fewer when the bound passed first).
 */
export async function awaitWorkers(server: ScriptServer, count: number, timeoutMs = 30_000): Promise<number[]> {
  const deadline = performance.now() + timeoutMs;
  let pids = server.workerPids();
  while (pids.length < count && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    pids = server.workerPids();
  }
  return pids;
}
