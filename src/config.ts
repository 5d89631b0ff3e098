/**
 * The only reader of `process.env`. Loads `.env` once, validates every variable with a schema
 * and exports a frozen, typed configuration. An invalid value stops the process with one line
 * that names the variable.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import dotenv from 'dotenv';
import { z } from 'zod';
import { MAX_BLOCK } from './models/idBlocks';

dotenv.config({ quiet: true });

const MIN_KEY_LENGTH = 32;
/** TN_DB_PASSWORD's minimum length in production, when the embedded server listens on TCP. */
const MIN_DB_PASSWORD_LENGTH = 16;

const durationPattern = /^\d+(\s*(ms|s|m|h|d))?$/;

/** Splits a comma-separated list, dropping empty items. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `10.0.0.0/8`, `::1`, `192.0.2.7/32`: an IP address with an optional prefix length. */
export function isCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  const family = net.isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function isAddressList(value: string): boolean {
  return splitList(value).every(isCidr);
}

function isTrustProxy(value: string): boolean {
  if (/^(true|false|\d+)$/.test(value)) return true;
  const names = new Set(['loopback', 'linklocal', 'uniquelocal']);
  return splitList(value).every((item) => names.has(item) || isCidr(item));
}

/** Express's `trust proxy` setting from its text form: a boolean, a hop count, or a list. */
function trustProxySetting(value: string): boolean | number | string[] {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return splitList(value);
}

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  MONGODB_URI: z
    .string()
    .trim()
    .default('')
    .refine((v) => v === '' || /^mongodb(\+srv)?:\/\//.test(v), 'must start with mongodb:// or mongodb+srv://'),
  TN_DATA_DIR: z.string().trim().min(1).default('./data'),
  TN_JWT_PRIVATE_KEY: z.string().default(''),
  TN_JWT_EXPIRES_IN: z.string().trim().regex(durationPattern, 'must be a number of seconds or like 15m, 1h, 7d').default('1h'),
  TN_ARGON2_TIME_COST: z.coerce.number().int().min(1).max(20).optional(),
  TN_ARGON2_MEMORY_KIB: z.coerce.number().int().min(1024).max(4_194_304).optional(),
  TN_SEED_DEMO: z.enum(['true', 'false']).optional(),
  TN_JOURNAL_MAX_MB: z.coerce.number().positive().default(64),
  TN_DB_LISTEN: z.enum(['socket', 'tcp']).default('socket'),
  TN_DB_HOST: z.string().trim().min(1).default('127.0.0.1'),
  TN_DB_PORT: z.coerce.number().int().min(0).max(65535).default(27017),
  TN_DB_USER: z.string().trim().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 . _ @ -').default('thunder-notes'),
  TN_DB_PASSWORD: z.string().default('').refine((v) => /^[\x20-\x7e]*$/.test(v), 'must be printable ASCII (SCRAM would otherwise need SASLprep)'),
  TN_DB_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(100_000).default(1000),
  TN_DB_IDLE_TIMEOUT: z
    .string()
    .trim()
    .regex(durationPattern, 'must be a number of seconds or like 10m')
    .default('10m')
    // Above the driver's 10 s heartbeat with margin, or its monitoring connection would be cut.
    .refine((v) => durationPattern.test(v) && parseDurationSeconds(v) >= 60, 'must be at least 60 seconds'),
  // Where the embedded server runs: a worker thread (default), or the HTTP thread for debugging and comparison.
  TN_DB_THREAD: z.enum(['worker', 'main']).default('worker'),
  // A fixed path for its Unix socket (empty: a fresh private directory per start); sun_path holds 103 bytes.
  TN_DB_SOCKET: z
    .string()
    .trim()
    .default('')
    .refine((v) => v === '' || Buffer.byteLength(path.resolve(v)) <= 103, 'must be at most 103 bytes once made absolute (a Unix socket path)'),
  // The worker thread's heap limit in MiB (0: V8's default); past it the worker stops and the process exits 1.
  TN_DB_MAX_HEAP_MB: z.coerce
    .number()
    .int()
    .refine((v) => v === 0 || (v >= 32 && v <= 1_048_576), 'must be 0 (V8 default) or between 32 and 1048576')
    .default(0),
  // API processes sharing the port (node:cluster); 1 runs everything in this process.
  TN_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  TN_LOG_FORMAT: z.enum(['pretty', 'json']).optional(),
  TN_ACCESS_LOG: z.enum(['true', 'false']).default('true'),
  TN_REQUIRE_IF_MATCH: z.enum(['true', 'false']).default('false'),
  TN_TRUST_PROXY: z.string().trim().default('loopback').refine(isTrustProxy, 'must be true, false, a hop count, or a comma-separated list of addresses, CIDRs, loopback, linklocal, uniquelocal'),
  TN_RATE_LIMIT_AUTH_PER_CLIENT: z.coerce.number().int().min(1).optional(),
  TN_RATE_LIMIT_AUTH_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).optional(),
  TN_RATE_LIMIT_AUTH_WINDOW: z.string().trim().regex(durationPattern, 'must be a number of seconds or like 15m, 1h').default('15m'),
  TN_RATE_LIMIT_REGISTER_PER_CLIENT: z.coerce.number().int().min(1).optional(),
  TN_RATE_LIMIT_REGISTER_WINDOW: z.string().trim().regex(durationPattern, 'must be a number of seconds or like 15m, 1h').default('1h'),
  TN_RATE_LIMIT_REFUSAL_DELAY_MS: z.coerce.number().int().min(0).max(10_000).optional(),
  TN_HASH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  TN_HASH_QUEUE: z.coerce.number().int().min(0).max(10_000).default(32),
  TN_METRICS_ALLOW: z.string().trim().default('127.0.0.0/8,::1').refine(isAddressList, 'must be a comma-separated list of IP addresses or CIDRs'),
  TN_METRICS_TOKEN: z.string().default('').refine((v) => v === '' || v.length >= 32, 'must be at least 32 characters when set'),
  TN_METRICS_DB_COMMANDS: z.enum(['true', 'false']).default('true'),
  TN_SERVER_TIMING: z.enum(['true', 'false']).optional(),
  // How long a user found to exist is trusted without asking the database again (a deleted user's
  // token is refused within this time), and how many such users each process remembers.
  TN_USER_CACHE_MS: z.coerce.number().int().min(0).max(1000).default(1000),
  TN_USER_CACHE_SIZE: z.coerce.number().int().min(0).max(1_000_000).default(10_000),
  TN_HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(20_000),
  TN_HTTP_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1).max(3_600_000).default(60_000),
  TN_HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(1).max(600_000).default(5_000),
  TN_HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).max(1_000_000).default(1_000),
  TN_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  // Ids each process reserves with one counter write (hi/lo, src/models/idBlocks.ts); a killed process skips the rest of its block.
  TN_ID_BLOCK: z.coerce.number().int().min(1).max(MAX_BLOCK).default(100),
});

/** Turns `15m`, `1h`, `3600` into seconds. */
export function parseDurationSeconds(value: string): number {
  const match = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new Error(`invalid duration: ${value}`);
  const n = Number(match[1]);
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[match[2] ?? 's'] ?? 1;
  return Math.max(1, Math.floor(n * factor));
}

/** The file in the data directory that keeps the development JWT key between restarts. */
export const DEV_JWT_KEY_FILE = 'dev-jwt-key';

/**
 * The development JWT key kept in `dataDir` (issue 15: tokens survive restarts): read when the
 * file exists, otherwise generated into it, readable by its owner only (0600). Created under a
 * temporary name and linked into place, so processes starting together (TN_WORKERS) all read
 * the one key that won, never a half-written file.
 */
function developmentJwtKey(dataDir: string): { key: string; file: string; created: boolean } {
  const file = path.resolve(dataDir, DEV_JWT_KEY_FILE);
  let created = false;
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const temporary = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(temporary, `${crypto.randomBytes(48).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    try {
      fs.linkSync(temporary, file);
      created = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(temporary, { force: true });
    }
  }
  const key = fs.readFileSync(file, 'utf8').trim();
  if (key.length < MIN_KEY_LENGTH) throw new Error(`Invalid configuration: ${file} holds no usable key (at least ${MIN_KEY_LENGTH} characters); delete it to get a new one`);
  return { key, file, created };
}

/** `developmentJwtKey`, with a failure (an unwritable data directory) explained as configuration. */
function keptKeyOrExplain(dataDir: string): ReturnType<typeof developmentJwtKey> {
  try {
    return developmentJwtKey(dataDir);
  } catch (err) {
    const message = (err as Error).message;
    if (message.startsWith('Invalid configuration')) throw err;
    throw new Error(`Invalid configuration: TN_DATA_DIR cannot keep the development JWT key (${message}); set TN_JWT_PRIVATE_KEY or fix the directory`, { cause: err });
  }
}

/** What `loadConfig` may do besides reading the environment. */
export interface LoadOptions {
  /**
   * Keep the development JWT key in the data directory (see `developmentJwtKey`). The process's
   * configuration does; other callers (tests of single settings) build a configuration without
   * writing files unless they ask.
   */
  keepDevelopmentKey?: boolean;
}

/** Builds the configuration from an environment; throws one line naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, { keepDevelopmentKey = false }: LoadOptions = {}) {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Invalid configuration: ${String(issue.path[0])} ${issue.message}`);
  }
  const e = parsed.data;
  const isProduction = e.NODE_ENV === 'production';
  const isTest = e.NODE_ENV === 'test';
  const warnings: string[] = [];

  let jwtKey = e.TN_JWT_PRIVATE_KEY;
  if (jwtKey.length < MIN_KEY_LENGTH) {
    if (isProduction) {
      throw new Error(
        `Invalid configuration: TN_JWT_PRIVATE_KEY must be set to at least ${MIN_KEY_LENGTH} characters in production`,
      );
    }
    // Development on disk keeps its generated key in the data directory; test runs and `:memory:` never write one.
    const keepsKey = keepDevelopmentKey && jwtKey === '' && e.NODE_ENV === 'development' && e.TN_DATA_DIR !== ':memory:';
    if (keepsKey) {
      const kept = keptKeyOrExplain(e.TN_DATA_DIR);
      warnings.push(`TN_JWT_PRIVATE_KEY is not set; using the development key ${kept.created ? 'generated into' : 'kept in'} ${kept.file}, so tokens survive restarts`);
      jwtKey = kept.key;
    } else {
      if (jwtKey !== '') warnings.push(`TN_JWT_PRIVATE_KEY is shorter than ${MIN_KEY_LENGTH} characters; using a random key instead`);
      else if (!isTest) warnings.push('TN_JWT_PRIVATE_KEY is not set; using a random key, so tokens end with the process');
      jwtKey = crypto.randomBytes(48).toString('base64url');
    }
  }

  // argon2id: OWASP's second recommended profile (19 MiB, t=2) by default; cheap only in tests.
  const argonTime = e.TN_ARGON2_TIME_COST ?? (isTest ? 1 : 2);
  const argonMemory = e.TN_ARGON2_MEMORY_KIB ?? (isTest ? 1024 : 19_456);
  if (isProduction && (argonTime < 2 || argonMemory < 19_456)) {
    throw new Error('Invalid configuration: TN_ARGON2_TIME_COST/TN_ARGON2_MEMORY_KIB are below the production minimum (2, 19456)');
  }
  // Node refuses a headers timeout longer than the whole request's.
  if (e.TN_HTTP_HEADERS_TIMEOUT_MS > e.TN_HTTP_REQUEST_TIMEOUT_MS) {
    throw new Error('Invalid configuration: TN_HTTP_HEADERS_TIMEOUT_MS must not exceed TN_HTTP_REQUEST_TIMEOUT_MS');
  }

  // A TCP listener is reachable by every local process: it must require a password (a socket needs none).
  if (e.TN_DB_LISTEN === 'tcp' && e.MONGODB_URI === '') {
    if (e.TN_DB_PASSWORD === '') throw new Error('Invalid configuration: TN_DB_PASSWORD is required when TN_DB_LISTEN=tcp');
    if (e.TN_DB_PASSWORD.length < MIN_DB_PASSWORD_LENGTH) {
      if (isProduction) {
        throw new Error(`Invalid configuration: TN_DB_PASSWORD must be at least ${MIN_DB_PASSWORD_LENGTH} characters in production`);
      }
      warnings.push(`TN_DB_PASSWORD is shorter than ${MIN_DB_PASSWORD_LENGTH} characters; production refuses it`);
    }
  }

  if (e.TN_DB_SOCKET !== '' && e.TN_DB_LISTEN === 'tcp') warnings.push('TN_DB_SOCKET is ignored: TN_DB_LISTEN=tcp');

  return Object.freeze({
    env: e.NODE_ENV,
    isProduction,
    isTest,
    port: e.PORT,
    db: Object.freeze({
      uri: e.MONGODB_URI,
      dataDir: e.TN_DATA_DIR,
      journalMaxBytes: Math.round(e.TN_JOURNAL_MAX_MB * 1024 * 1024),
      // How the embedded server listens (MONGODB_URI empty): a private Unix socket, or TCP with a password.
      embedded: Object.freeze({
        listen: e.TN_DB_LISTEN,
        host: e.TN_DB_HOST,
        port: e.TN_DB_PORT,
        credentials: e.TN_DB_LISTEN === 'tcp' ? Object.freeze({ user: e.TN_DB_USER, password: e.TN_DB_PASSWORD }) : undefined,
        maxConnections: e.TN_DB_MAX_CONNECTIONS,
        idleTimeoutMs: parseDurationSeconds(e.TN_DB_IDLE_TIMEOUT) * 1000,
        socketPath: e.TN_DB_SOCKET === '' ? undefined : path.resolve(e.TN_DB_SOCKET),
      }),
      thread: e.TN_DB_THREAD,
      maxHeapMb: e.TN_DB_MAX_HEAP_MB,
    }),
    jwt: Object.freeze({
      key: crypto.createSecretKey(Buffer.from(jwtKey, 'utf8')),
      expiresInSeconds: parseDurationSeconds(e.TN_JWT_EXPIRES_IN),
    }),
    argon2: Object.freeze({ timeCost: argonTime, memoryCost: argonMemory }),
    seedDemo: !isProduction && e.TN_SEED_DEMO !== 'false',
    logLevel: e.LOG_LEVEL ?? (isTest ? 'silent' : 'info'),
    // Pretty lines for a person at a terminal in development; JSON for log collectors elsewhere.
    logFormat: e.TN_LOG_FORMAT ?? (e.NODE_ENV === 'development' ? 'pretty' : 'json'),
    accessLog: e.TN_ACCESS_LOG === 'true',
    // Writes of notes and of the profile without If-Match/If-Unmodified-Since are 428 when true.
    requireIfMatch: e.TN_REQUIRE_IF_MATCH === 'true',
    trustProxy: trustProxySetting(e.TN_TRUST_PROXY),
    // Under NODE_ENV=test the limits default to numbers no suite reaches (as argon2 is cheap there):
    // the suites register and log in hundreds of times from 127.0.0.1. Tests of the limits set their own.
    rateLimits: Object.freeze({
      authPerClient: e.TN_RATE_LIMIT_AUTH_PER_CLIENT ?? (isTest ? 1_000_000 : 100),
      authFailuresPerAccount: e.TN_RATE_LIMIT_AUTH_FAILURES_PER_ACCOUNT ?? (isTest ? 1_000_000 : 10),
      authWindowMs: parseDurationSeconds(e.TN_RATE_LIMIT_AUTH_WINDOW) * 1000,
      registerPerClient: e.TN_RATE_LIMIT_REGISTER_PER_CLIENT ?? (isTest ? 1_000_000 : 20),
      registerWindowMs: parseDurationSeconds(e.TN_RATE_LIMIT_REGISTER_WINDOW) * 1000,
      refusalDelayMs: e.TN_RATE_LIMIT_REFUSAL_DELAY_MS ?? (isTest ? 0 : 1000),
    }),
    hashPool: Object.freeze({ concurrency: e.TN_HASH_CONCURRENCY, queue: e.TN_HASH_QUEUE }),
    userCache: Object.freeze({ ttlMs: e.TN_USER_CACHE_MS, maxEntries: e.TN_USER_CACHE_SIZE }),
    metrics: Object.freeze({
      allow: Object.freeze(splitList(e.TN_METRICS_ALLOW)),
      token: e.TN_METRICS_TOKEN,
      // Timed where each command is sent (src/models/commands.ts), about a microsecond a command.
      dbCommands: e.TN_METRICS_DB_COMMANDS === 'true',
    }),
    // JSON bodies indented for people reading curl output in development, compact elsewhere (src/utils/jsonBody.ts).
    prettyJson: e.NODE_ENV === 'development',
    // Server-Timing on every answer (database commands and time per request): by default in development only.
    serverTiming: e.TN_SERVER_TIMING === undefined ? e.NODE_ENV === 'development' : e.TN_SERVER_TIMING === 'true',
    http: Object.freeze({
      headersTimeoutMs: e.TN_HTTP_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: e.TN_HTTP_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: e.TN_HTTP_KEEP_ALIVE_TIMEOUT_MS,
      maxConnections: e.TN_HTTP_MAX_CONNECTIONS,
    }),
    shutdownTimeoutMs: e.TN_SHUTDOWN_TIMEOUT_MS,
    ids: Object.freeze({ block: e.TN_ID_BLOCK }),
    workers: e.TN_WORKERS,
    warnings: Object.freeze(warnings),
  });
}

export type Config = ReturnType<typeof loadConfig>;

function loadOrExit(): Config {
  try {
    return loadConfig(process.env, { keepDevelopmentKey: true });
  } catch (err) {
    // One clear line and a non-zero exit: nothing else can run without a valid configuration.
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}

/** The process-wide configuration, validated once at first import. */
export const config: Config = loadOrExit();
