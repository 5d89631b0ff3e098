/**
 * Starting the servers under test, each in a child process with the environment it would have
 * in production: the API (NODE_ENV=production, production argon2 cost, fixed JWT key, logs at
 * `warn`) and the two bare-Express baselines (same JWT key).
 */
import crypto from 'node:crypto';
import { BenchChild } from './children';

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
