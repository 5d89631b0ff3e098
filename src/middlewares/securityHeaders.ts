/**
 * Security headers (helmet) and CORS (cors), the same on every response. Both packages decide
 * their headers from their options alone, so they run once, at start-up, against a recording
 * response, and each request gets the recorded headers in the same order. A CORS preflight
 * (OPTIONS) depends on the request's own Access-Control-Request-* headers: it still goes through
 * `cors` itself, which leaves the answer to the route table (`preflightContinue`), so only paths
 * that exist answer a preflight.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import cors, { type CorsOptions } from 'cors';
import type { RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/** A header to set, or (value null) to remove. */
type HeaderChange = readonly [name: string, value: string | null];

/** Runs a header-only middleware once against a response that records what it does. */
export function recordHeaders(middleware: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void, req: Partial<IncomingMessage> = {}): HeaderChange[] {
  const changes: HeaderChange[] = [];
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      changes.push([name, String(value)]);
      return recorder;
    },
    removeHeader(name: string) {
      changes.push([name, null]);
    },
    getHeader: () => undefined,
  };
  let done = false;
  middleware({ method: 'GET', headers: {}, ...req } as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err) throw err;
    done = true;
  });
  // Anything that did not finish synchronously, or that depends on the request, cannot be replayed.
  if (!done) throw new Error('a header middleware did not call next() synchronously');
  return changes;
}

/** What the app's header policy is made of. */
export interface HeaderOptions {
  helmet: HelmetOptions;
  cors: CorsOptions;
}

/** Sets helmet's and CORS's headers: recorded once, replayed per request; preflights go through `cors`. */
export function securityHeaders(options: HeaderOptions): RequestHandler {
  // With any origin allowed, a simple request's CORS headers do not depend on the request.
  if (options.cors.origin !== undefined && options.cors.origin !== '*') throw new Error('securityHeaders replays CORS headers only for origin "*"');
  const corsMiddleware = cors({ ...options.cors, preflightContinue: true });
  const helmetChanges = recordHeaders(helmet(options.helmet));
  const changes = [...helmetChanges, ...recordHeaders(corsMiddleware)];
  const names = changes.map(([name]) => name);
  const values = changes.map(([, value]) => value);
  return (req, res, next) => {
    const preflight = req.method === 'OPTIONS';
    const count = preflight ? helmetChanges.length : changes.length;
    for (let i = 0; i < count; i++) {
      const value = values[i];
      if (value === null) res.removeHeader(names[i]);
      else res.setHeader(names[i], value);
    }
    if (preflight) corsMiddleware(req, res, next);
    else next();
  };
}
