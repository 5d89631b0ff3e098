/**
 * Audit lines: security-relevant events as their own log lines (warn, or error for 5xx), apart
 * from the access log, each carrying the request id (`req.log`) and an `event` name to filter on:
 * - `auth.login_failed`: POST /auth answered 401; the account as a pseudonym (see
 *   accountPseudonym), the client address; never the email or the password;
 * - `auth.token_rejected`: a bearer token refused (bad signature, expired, unknown user); never
 *   the token;
 * - `auth.password_change_failed` (PATCH /users/{id} answered 403: a wrong current password),
 *   `auth.password_changed` and `account.deleted` (info): the account as a pseudonym and the
 *   user id; never a password or the email;
 * - `rate_limit.exceeded`: a client or account went over its limit (the lockout), written once per
 *   window by the rate limiter (middlewares/rateLimit.ts); later refusals are access-log lines;
 * - `http.overloaded` (503 from a full hashing queue) and `http.server_error` (every other 5xx,
 *   with the error and its stack, which the response never shows).
 */
import type { Request, RequestHandler } from 'express';
import { logOf } from '../logger';
import { inputOf } from '../requestContext';
import * as authSchemas from '../schemas/authSchemas';
import { accountPseudonym } from '../utils/accountPseudonym';
import type { AppError } from '../utils/AppError';
import { BusyError } from '../utils/BusyError';
import { pathOf } from './accessLog';

/** POST /auth, after validation: writes `auth.login_failed` when the answer is a 401. */
export const auditLogin: RequestHandler = (req, res, next) => {
  const { email } = inputOf(res, authSchemas.login).body;
  res.once('finish', () => {
    if (res.statusCode !== 401) return;
    logOf(req).warn({ event: 'auth.login_failed', account: accountPseudonym(email), client: req.ip }, 'login failed: wrong email or password');
  });
  next();
};

/** The caller's account as a pseudonym and id, when the request was authenticated. */
function callerFields(req: Request): { account?: string; user?: string } {
  const caller = req.res?.locals.context?.caller;
  return caller ? { account: accountPseudonym(caller.email), user: caller.id } : {};
}

/** After a successful password change (every older token now refused). */
export function auditPasswordChanged(req: Request): void {
  logOf(req).info({ event: 'auth.password_changed', ...callerFields(req), client: req.ip }, 'password changed: earlier tokens are refused');
}

/** After an account and its notes were deleted. */
export function auditAccountDeleted(req: Request): void {
  logOf(req).info({ event: 'account.deleted', ...callerFields(req), client: req.ip }, 'account deleted with its notes');
}

/** The `WWW-Authenticate` value an error carries, whatever the spelling of the name. */
function challengeOf(error: AppError): string {
  const entry = Object.entries(error.headers ?? {}).find(([name]) => name.toLowerCase() === 'www-authenticate');
  return entry ? entry[1] : '';
}

/** Called by the error middleware for every problem it answers: logs refused tokens and every 5xx. */
export function auditProblem(req: Request, error: AppError, cause: unknown): void {
  const log = logOf(req);
  const where = { method: req.method, path: pathOf(req), client: req.ip, status: error.status };
  if (error.status === 401 && challengeOf(error).includes('invalid_token')) {
    log.warn({ event: 'auth.token_rejected', ...where, reason: error.message }, 'bearer token refused');
  } else if (error.status === 403 && req.method === 'PATCH') {
    log.warn({ event: 'auth.password_change_failed', ...where, ...callerFields(req) }, 'password change refused: wrong current password');
  } else if (cause instanceof BusyError) {
    log.warn({ event: 'http.overloaded', ...where }, cause.message);
  } else if (error.status >= 500) {
    log.error({ event: 'http.server_error', ...where, err: cause }, 'server error');
  }
}
