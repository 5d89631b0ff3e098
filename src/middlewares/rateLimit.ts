/**
 * Rate limits (express-rate-limit) with the IETF `RateLimit` / `RateLimit-Policy` header fields
 * (draft-ietf-httpapi-ratelimit-headers, the structured-field syntax of drafts 08 to 11:
 * `"auth-client";r=99;t=842` and `"auth-client";q=100;w=900;pk=:…:`), counted in the database
 * (DatabaseStore) so every API process shares them. A refusal is a 429 problem with
 * `Retry-After` and one count in `tn_rate_limit_refusals_total`; the first refusal of a window
 * (the lockout) also writes an audit line.
 *
 * - `auth-client`: POST /auth per client address, every attempt counted (bounds what one client
 *   can make the server hash).
 * - `auth-account`: failed logins (401) per account, whatever the address; other answers are
 *   taken back. The window is fixed and ends on its own, so a lockout never outlasts it however
 *   many more attempts arrive, and a success does not reset it (an attacker cannot use the
 *   owner's logins to earn more guesses). Wrong current passwords of a password change
 *   (PATCH /users/{id}, 403) count against the same account in the same count, so a stolen
 *   token cannot be used to guess the password faster than a login could.
 * - `register-client`: POST /users per client address, every attempt counted.
 */
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, type AugmentedRequest, type Options } from 'express-rate-limit';
import { DatabaseStore } from '../controllers/rateLimitStore';
import { logOf, type Logger } from '../logger';
import { rateLimitRefusals } from '../metrics';
import { callerOf, inputOf } from '../requestContext';
import * as authSchemas from '../schemas/authSchemas';
import { accountPseudonym } from '../utils/accountPseudonym';
import { AppError } from '../utils/AppError';

/** The limits, as `config.rateLimits` holds them. */
export interface RateLimitSettings {
  authPerClient: number;
  authFailuresPerAccount: number;
  authWindowMs: number;
  registerPerClient: number;
  registerWindowMs: number;
  /**
   * How long a 429 is held before it is sent. A refusal costs the server a full pass through the
   * middleware; answered at once, a client looping on its connections gets hundreds a second
   * and keeps the event loop busy. Held, each connection gets one per delay, for a timer's cost.
   */
  refusalDelayMs: number;
}

/** The limiters of one app: each with its own store instance over the shared collection. */
export interface RateLimiters {
  authClients: RequestHandler;
  authAccounts: RequestHandler;
  /** PATCH /users/{id} that proves a password change: the caller's account, the `auth-account` count. */
  passwordChecks: RequestHandler;
  registrations: RequestHandler;
}

interface Policy {
  name: string;
  limit: number;
  windowMs: number;
  /** What the 429 says, given the seconds until the window ends. */
  detail: (seconds: number) => string;
}

function limiter(policy: Policy, delayMs: number, log: Logger, extra: Partial<Options> = {}): RequestHandler {
  return rateLimit({
    windowMs: policy.windowMs,
    limit: policy.limit,
    identifier: policy.name,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store: new DatabaseStore(`${policy.name}:`, log),
    logger: { error: (err, msg) => log.error({ err }, msg ?? 'rate limit error'), warn: (err, msg) => log.warn({ err }, msg ?? 'rate limit warning') },
    handler: (req: Request, res: Response, next) => {
      const seconds = Number(res.getHeader('Retry-After')) || Math.ceil(policy.windowMs / 1000);
      const info = (req as AugmentedRequest).rateLimit;
      rateLimitRefusals.inc({ policy: policy.name });
      // One audit line when a partition goes over its limit (the database count reaches limit + 1
      // once per window, whichever process sees it); the refusals after it are in the access log
      // and the counter, so a flood does not turn into a flood of audit lines. The partition is a
      // client address or an account pseudonym, never an email.
      if (info?.used === policy.limit + 1) {
        logOf(req).warn({ event: 'rate_limit.exceeded', policy: policy.name, partition: info.key, retryAfter: seconds }, 'rate limit exceeded: refusing until the window ends');
      }
      const refusal = new AppError(429, policy.detail(seconds), { title: 'Too Many Requests' });
      if (delayMs > 0) setTimeout(() => next(refusal), delayMs);
      else next(refusal);
    },
    ...extra,
  });
}

/** Whether a PATCH body asks the server to check a password (only those count against the account). */
function checksPassword(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'currentPassword' in body;
}

/** Builds the limiters from the settings; `log` receives their store and validation errors. */
export function createRateLimiters(settings: RateLimitSettings, log: Logger): RateLimiters {
  return {
    authClients: limiter(
      {
        name: 'auth-client',
        limit: settings.authPerClient,
        windowMs: settings.authWindowMs,
        detail: (s) => `Too many login attempts from this client. Try again in ${s} seconds.`,
      },
      settings.refusalDelayMs,
      log,
    ),
    authAccounts: limiter(
      {
        name: 'auth-account',
        limit: settings.authFailuresPerAccount,
        windowMs: settings.authWindowMs,
        detail: (s) => `Too many failed logins for this account. Try again in ${s} seconds.`,
      },
      settings.refusalDelayMs,
      log,
      {
        keyGenerator: (_req, res) => accountPseudonym(inputOf(res, authSchemas.login).body.email),
        skipSuccessfulRequests: true,
        // Wrong passwords count against the account, and so do the refusals once it is locked
        // (the window still ends on time); a success, a 503 or a 500 is taken back.
        requestWasSuccessful: (_req, res) => res.statusCode !== 401 && res.statusCode !== 429,
      },
    ),
    passwordChecks: limiter(
      {
        // The same name, limit and window as failed logins: the same counter in the database.
        name: 'auth-account',
        limit: settings.authFailuresPerAccount,
        windowMs: settings.authWindowMs,
        detail: (s) => `Too many wrong passwords for this account. Try again in ${s} seconds.`,
      },
      settings.refusalDelayMs,
      log,
      {
        // The caller's stored email, normalized: the key failed logins of this account use.
        keyGenerator: (_req, res) => accountPseudonym(callerOf(res).email),
        skip: (req) => !checksPassword(req.body),
        skipSuccessfulRequests: true,
        requestWasSuccessful: (_req, res) => res.statusCode !== 403 && res.statusCode !== 429,
      },
    ),
    registrations: limiter(
      {
        name: 'register-client',
        limit: settings.registerPerClient,
        windowMs: settings.registerWindowMs,
        detail: (s) => `Too many registrations from this client. Try again in ${s} seconds.`,
      },
      settings.refusalDelayMs,
      log,
    ),
  };
}
