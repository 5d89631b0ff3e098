/**
 * The first middleware of every request: its id (see requestId.ts), its access-log line and its
 * timing in `tn_http_request_duration_seconds`, all from one 'close' listener (a response emits
 * 'close' after 'finish', and also when its connection drops first).
 *
 * The access line is one info line per request — method, path (the query is left out: it can
 * hold search text), status, duration in ms and the request id — written as a plain object by
 * the app's logger, with no per-request child logger: `logOf(req)` makes one only for a request
 * that logs something else. Successful probes of /health, /ready and /metrics are not logged:
 * an orchestrator polling them every few seconds would drown everything else. A response that
 * never finished (the client went away) gets a line saying so, without a status, and no timing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { attachLogger, type Logger } from '../logger';
import { httpRequestDuration } from '../metrics';
import { requestIdFor } from './requestId';

const PROBES = new Set(['/health', '/ready', '/metrics']);

/** The path of a request without its query string. */
export function pathOf(req: IncomingMessage): string {
  const url = (req as Request).originalUrl ?? req.url ?? '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Writes the request's access line: `info`, or nothing for a successful probe. */
function writeLine(logger: Logger, req: IncomingMessage, res: ServerResponse, durationMs: number): void {
  const path = pathOf(req);
  if (!res.writableFinished) {
    // The client went away before the answer was complete: no status reached it (the handler may
    // still be running; the graceful close waits for it).
    logger.info({ reqId: req.id, method: req.method, path, aborted: true, durationMs }, `${req.method} ${path} closed by the client after ${durationMs} ms`);
    return;
  }
  const status = res.statusCode;
  if (status < 400 && PROBES.has(path)) return;
  const line = { reqId: req.id, method: req.method, path, status, durationMs };
  // The message of a 5xx leaves out the time (as pino-http, which wrote these lines before, did).
  logger.info(line, status >= 500 ? `${req.method} ${path} ${status}` : `${req.method} ${path} ${status} ${durationMs} ms`);
}

/** Observes the request's duration, by method, route pattern (never the raw path) and status. */
function observe(req: Request, res: ServerResponse, seconds: number): void {
  const route = typeof req.route?.path === 'string' ? req.route.path : 'none';
  httpRequestDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
}

/** The first middleware: request id, access line (when `enabled` and the logger writes info), timing. */
export function accessLog(logger: Logger, enabled: boolean): RequestHandler {
  return (req, res, next) => {
    const id = requestIdFor(req.headers['x-request-id'] as string | undefined);
    req.id = id;
    res.setHeader('X-Request-Id', id);
    attachLogger(req, logger);
    const startedMs = Date.now();
    const started = performance.now();
    res.on('close', () => {
      if (res.writableFinished) observe(req, res, (performance.now() - started) / 1000);
      if (enabled && logger.isLevelEnabled('info')) writeLine(logger, req, res, Date.now() - startedMs);
    });
    next();
  };
}
