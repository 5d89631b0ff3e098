/**
 * Request ids: the client's `X-Request-Id` when it is sane (1 to 128 characters of letters,
 * digits and `-_.:+/=~`, so it can be logged and echoed without escaping or injection),
 * otherwise a new UUID. Set on `req.id` (every log line of the request carries it) and echoed
 * in the response's `X-Request-Id`, also on errors.
 */
import crypto from 'node:crypto';
import type { RequestHandler } from 'express';

const SANE_ID = /^[A-Za-z0-9._:+/=~-]{1,128}$/;

/** The id a request will be known by: the one it brought, if sane, or a fresh UUID. */
export function requestIdFor(header: string | undefined): string {
  return header !== undefined && SANE_ID.test(header) ? header : crypto.randomUUID();
}

/** Assigns the request id and echoes it; mounted first, so every answer has one. */
export const requestId: RequestHandler = (req, res, next) => {
  const id = requestIdFor(req.get('x-request-id'));
  req.id = id;
  res.setHeader('X-Request-Id', id);
  next();
};
