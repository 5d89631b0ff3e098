/**
 * Request ids: the client's `X-Request-Id` when it is sane (1 to 128 characters of letters,
 * digits and `-_.:+/=~`, so it can be logged and echoed without escaping or injection),
 * otherwise a new UUID. The first middleware (accessLog.ts) sets it on `req.id` (every log line
 * of the request carries it) and echoes it in the response's `X-Request-Id`, also on errors.
 */
import crypto from 'node:crypto';

const SANE_ID = /^[A-Za-z0-9._:+/=~-]{1,128}$/;

/** The id a request will be known by: the one it brought, if sane, or a fresh UUID. */
export function requestIdFor(header: string | undefined): string {
  return header !== undefined && SANE_ID.test(header) ? header : crypto.randomUUID();
}
