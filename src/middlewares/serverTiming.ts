/**
 * `Server-Timing` (issue 15, the layered system made visible): every answer says how many
 * database commands its request waited for and how long they took, and how long the request
 * spent in the app, e.g.
 *
 *     Server-Timing: db;dur=1.73;desc="2 database commands", app;dur=4.12
 *
 * `db` is the sum of the commands' durations, each from sending it to its result (the round trip
 * over the socket to the database server, plus the driver's work); `app` runs from this
 * middleware to the moment the headers go out. The header is written when the status line is
 * (`writeHead`), so 304s, errors and HEAD answers carry it too. On when `TN_SERVER_TIMING` is
 * (by default in development only): it tells anyone how much database work a request costs.
 */
import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { RequestTally, withTally } from '../requestTiming';

/** The header's value for a tally and the request's time in the app so far. */
function serverTimingValue(tally: RequestTally, appMs: number): string {
  return `db;dur=${tally.dbMs.toFixed(2)};desc="${tally.commands} database commands", app;dur=${appMs.toFixed(2)}`;
}

/** Sets the header just before the status line and headers are written. */
function stampOnWriteHead(res: ServerResponse, tally: RequestTally, started: number): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    if (!this.headersSent) this.setHeader('Server-Timing', serverTimingValue(tally, performance.now() - started));
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
}

/**
 * Starts the request's tally and makes it current for the rest of the chain (the body parser and
 * every handler after it run in the request's async context). Mounted right after the access log,
 * so `app` covers nearly all of the request's time in the app.
 */
export const serverTiming: RequestHandler = (_req, res, next) => {
  const tally = new RequestTally();
  stampOnWriteHead(res, tally, performance.now());
  withTally(tally, next);
};
