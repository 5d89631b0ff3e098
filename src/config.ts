/**
 * The only reader of `process.env`. Loads `.env` once, validates every variable with a schema
 * and exports a frozen, typed configuration. An invalid value stops the process with one line
 * that names the variable.
 */
import crypto from 'node:crypto';
import dotenv from 'dotenv';
import { z } from 'zod';

dotenv.config({ quiet: true });

const MIN_KEY_LENGTH = 32;

const durationPattern = /^\d+(\s*(ms|s|m|h|d))?$/;

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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
});

/** Turns `15m`, `1h`, `3600` into seconds. */
export function parseDurationSeconds(value: string): number {
  const match = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) throw new Error(`invalid duration: ${value}`);
  const n = Number(match[1]);
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }[match[2] ?? 's'] ?? 1;
  return Math.max(1, Math.floor(n * factor));
}

/** Builds the configuration from an environment; throws one line naming the bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
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
    if (jwtKey !== '') warnings.push(`TN_JWT_PRIVATE_KEY is shorter than ${MIN_KEY_LENGTH} characters; using a random key instead`);
    else if (!isTest) warnings.push('TN_JWT_PRIVATE_KEY is not set; using a random key, so tokens end with the process');
    jwtKey = crypto.randomBytes(48).toString('base64url');
  }

  // argon2id: OWASP's second recommended profile (19 MiB, t=2) by default; cheap only in tests.
  const argonTime = e.TN_ARGON2_TIME_COST ?? (isTest ? 1 : 2);
  const argonMemory = e.TN_ARGON2_MEMORY_KIB ?? (isTest ? 1024 : 19_456);
  if (isProduction && (argonTime < 2 || argonMemory < 19_456)) {
    throw new Error('Invalid configuration: TN_ARGON2_TIME_COST/TN_ARGON2_MEMORY_KIB are below the production minimum (2, 19456)');
  }

  return Object.freeze({
    env: e.NODE_ENV,
    isProduction,
    isTest,
    port: e.PORT,
    db: Object.freeze({
      uri: e.MONGODB_URI,
      dataDir: e.TN_DATA_DIR,
      journalMaxBytes: Math.round(e.TN_JOURNAL_MAX_MB * 1024 * 1024),
    }),
    jwt: Object.freeze({
      key: crypto.createSecretKey(Buffer.from(jwtKey, 'utf8')),
      expiresInSeconds: parseDurationSeconds(e.TN_JWT_EXPIRES_IN),
    }),
    argon2: Object.freeze({ timeCost: argonTime, memoryCost: argonMemory }),
    seedDemo: !isProduction && e.TN_SEED_DEMO !== 'false',
    logLevel: e.LOG_LEVEL ?? (isTest ? 'silent' : 'info'),
    warnings: Object.freeze(warnings),
  });
}

export type Config = ReturnType<typeof loadConfig>;

function loadOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    // One clear line and a non-zero exit: nothing else can run without a valid configuration.
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}

/** The process-wide configuration, validated once at first import. */
export const config: Config = loadOrExit();
