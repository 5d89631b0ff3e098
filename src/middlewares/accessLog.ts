/**
 * Access logs (pino-http): one line per request at info — method, path (the query is left out:
 * it can hold search text), status, duration in ms and the request id. The same middleware gives
 * every request `req.log`, a child logger whose lines all carry `reqId`, also when access lines
 * are off. Successful probes of /health, /ready and /metrics are not logged: an orchestrator
 * polling them every few seconds would drown everything else.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../logger';

const PROBES = new Set(['/health', '/ready', '/metrics']);

/** The path of a request without its query string. */
export function pathOf(req: IncomingMessage): string {
  const url = (req as Request).originalUrl ?? req.url ?? '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function line(req: IncomingMessage, res: ServerResponse, responseTime: number) {
  return { method: req.method, path: pathOf(req), status: res.statusCode, durationMs: responseTime };
}

/** The access-log middleware; `enabled: false` keeps `req.log` but writes no access lines. */
export function accessLog(logger: Logger, enabled: boolean): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req) => req.id, // set by requestId, which runs first
    quietReqLogger: true,
    quietResLogger: true,
    // The lines are built by line() below; pino-http still makes a child logger bound to `req`,
    // which with its standard serializers would copy every header of every request for nothing.
    wrapSerializers: false,
    serializers: { req: (req: IncomingMessage) => req.id },
    autoLogging: enabled,
    customLogLevel: (req, res) => (res.statusCode < 400 && PROBES.has(pathOf(req)) ? 'silent' : 'info'),
    customSuccessObject: (req, res, val: { responseTime: number }) => line(req, res, val.responseTime),
    customErrorObject: (req, res, _err, val: { responseTime: number }) => line(req, res, val.responseTime),
    customSuccessMessage: (req, res, ms) => `${req.method} ${pathOf(req)} ${res.statusCode} ${ms} ms`,
    customErrorMessage: (req, res) => `${req.method} ${pathOf(req)} ${res.statusCode}`,
  }) as unknown as RequestHandler;
}
