/**
 * The HTTP server around the app, with its limits: how long a request may take to arrive, how
 * long an idle keep-alive connection stays open, how many connections are open at once, and a
 * graceful close. Every answer Node would otherwise give on its own (a malformed request, headers
 * too large, a timeout, an unsupported `Expect`, a missing `Host`) is a problem+json document.
 *
 * The connection cap keeps the process within its file descriptors whoever connects: at the cap,
 * the connection idle the longest (no request in flight; one that has not finished sending its
 * headers counts as idle) is closed to make room, so clients holding sockets open cannot lock
 * real clients out. Only when every connection has a request in flight is a new one refused,
 * with a 503 problem and `Retry-After`.
 */
import http from 'node:http';
import type net from 'node:net';
import { logger } from './logger';
import { problemBody } from './middlewares/errorHandler';
import { CURRENT_VERSION } from './middlewares/apiVersion';
import { AppError } from './utils/AppError';

/** The server's limits (config.http). */
export interface HttpLimits {
  /** Time to receive a request's headers (Node's `headersTimeout`); 408 after it. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included (`requestTimeout`); 408 after it. */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open (`keepAliveTimeout`). */
  keepAliveTimeoutMs: number;
  /** Open connections at most; see the module comment for what happens at the cap. */
  maxConnections: number;
}

/** How long a refused connection may take to send the request its 503 answers. */
const REFUSAL_GRACE_MS = 1_000;
/** Refused connections waiting for their request at once, at most; beyond that they are closed at once. */
const MAX_PENDING_REFUSALS = 64;
/** How long an error answer written straight to the socket waits for the client to close. */
const LINGER_MS = 2_000;
/** At most one log line per this interval about connections evicted or refused at the cap. */
const CAP_LOG_INTERVAL_MS = 10_000;

/** Tracks every connection, which ones are idle and in which order, and the requests in flight. */
class ConnectionGuard {
  /** Open connections that count towards the cap. */
  private readonly open = new Set<net.Socket>();
  /** Idle connections in the order they became idle: the first is the one idle the longest. */
  private readonly idle = new Set<net.Socket>();
  /** Responses in flight per connection (more than one when a client pipelines). */
  private readonly busy = new Map<net.Socket, Set<http.ServerResponse>>();
  /** Connections over the cap whose request gets a 503. */
  private readonly refused = new Set<net.Socket>();
  /**
   * Every response whose handler may still be running: from its request until it closes having
   * been ended, or, when its client went away first, until the handler ends it anyway (Express
   * does, for an answer or an error). A closed connection does not stop a handler in the middle
   * of a hash or a database command, and closing the database under it would turn its work into
   * an error, so a graceful close waits for this set to empty, not only for the connections.
   */
  private readonly running = new Set<http.ServerResponse>();
  private onSettled: (() => void) | undefined;
  private draining = false;
  private evictedSinceLog = 0;
  private refusedSinceLog = 0;
  private logTimer: NodeJS.Timeout | undefined;

  constructor(private readonly maxConnections: number) {}

  /** A new connection: counted, making room at the cap, or marked refused. */
  admit(socket: net.Socket): void {
    if (this.open.size >= this.maxConnections) {
      const longestIdle = this.idle.values().next();
      if (longestIdle.done) {
        this.refuse(socket);
        return;
      }
      this.forget(longestIdle.value);
      longestIdle.value.destroy();
      this.evictedSinceLog++;
      this.scheduleCapLog();
    }
    this.open.add(socket);
    this.idle.add(socket);
    socket.once('close', () => this.forget(socket));
  }

  /** Whether this connection was refused at the cap (its request is answered 503). */
  isRefused(socket: net.Socket): boolean {
    return this.refused.has(socket);
  }

  /** Whether the server is closing (responses then close their connection). */
  isDraining(): boolean {
    return this.draining;
  }

  /** A request arrived on the connection; `res` is its response. */
  requestStarted(socket: net.Socket, res: http.ServerResponse): void {
    this.running.add(res);
    this.idle.delete(socket);
    const responses = this.busy.get(socket) ?? new Set();
    responses.add(res);
    this.busy.set(socket, responses);
  }

  /** A response on the connection is complete (or the connection went away). */
  requestEnded(socket: net.Socket, res: http.ServerResponse): void {
    const responses = this.busy.get(socket);
    responses?.delete(res);
    if (responses && responses.size > 0) return;
    this.busy.delete(socket);
    if (!this.open.has(socket)) return;
    if (this.draining) socket.destroy();
    else this.idle.add(socket); // re-added at the end: now the most recently idle
  }

  /**
   * The response closed: done when it was ended. When its client went away first, its handler is
   * still running and stays counted until it calls `res.end()`; only such responses pay for the
   * wrapped `end`.
   */
  responseClosed(res: http.ServerResponse): void {
    if (res.writableEnded) {
      this.settle(res);
      return;
    }
    const end = res.end;
    const settle = () => this.settle(res);
    res.end = function (this: http.ServerResponse, ...args: unknown[]) {
      settle();
      return (end as (...a: unknown[]) => http.ServerResponse).apply(this, args);
    } as typeof res.end;
  }

  private settle(res: http.ServerResponse): void {
    if (this.running.delete(res) && this.running.size === 0) this.onSettled?.();
  }

  /** Resolves once no handler is running (at once when none is). */
  handlersSettled(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.onSettled = resolve;
    });
  }

  /** Requests whose handlers are still running, whether or not their client is still there. */
  inFlight(): number {
    return this.running.size;
  }

  /** Whether a response on this connection has begun: nothing else may be written to it then. */
  isResponding(socket: net.Socket): boolean {
    for (const res of this.busy.get(socket) ?? []) if (res.headersSent) return true;
    return false;
  }

  /** Starts closing: idle and refused connections now, busy ones as their responses complete. */
  drain(): void {
    this.draining = true;
    for (const socket of [...this.idle, ...this.refused]) socket.destroy();
  }

  /** Closes every connection, busy or not. */
  destroyAll(): void {
    for (const socket of [...this.open, ...this.refused]) socket.destroy();
  }

  private refuse(socket: net.Socket): void {
    this.refusedSinceLog++;
    this.scheduleCapLog();
    if (this.refused.size >= MAX_PENDING_REFUSALS) {
      socket.destroy();
      return;
    }
    this.refused.add(socket);
    socket.once('close', () => this.refused.delete(socket));
    setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS).unref();
  }

  private forget(socket: net.Socket): void {
    this.open.delete(socket);
    this.idle.delete(socket);
    this.busy.delete(socket);
  }

  private scheduleCapLog(): void {
    this.logTimer ??= setTimeout(() => {
      logger.warn(
        `connection cap (${this.maxConnections}) reached: ${this.evictedSinceLog} idle connections closed, ${this.refusedSinceLog} new connections refused in the last ${CAP_LOG_INTERVAL_MS / 1000} s`,
      );
      this.evictedSinceLog = 0;
      this.refusedSinceLog = 0;
      this.logTimer = undefined;
    }, CAP_LOG_INTERVAL_MS).unref();
  }
}

const guards = new WeakMap<http.Server, ConnectionGuard>();

// Answers Express never sees carry the API version too (middlewares/apiVersion.ts).
const SECURITY_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', 'API-Version': CURRENT_VERSION };

/** Writes a problem+json answer through a ServerResponse (one Express never saw). */
function writeProblem(res: http.ServerResponse, error: AppError): void {
  const body = JSON.stringify(problemBody(error));
  res.writeHead(error.status, {
    ...SECURITY_HEADERS,
    ...error.headers,
    'Content-Type': 'application/problem+json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** A whole problem+json response as bytes, for a socket that has no ServerResponse. */
function rawProblem(error: AppError): string {
  const body = JSON.stringify(problemBody(error));
  const headers = {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/problem+json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return `HTTP/1.1 ${error.status} ${http.STATUS_CODES[error.status]}\r\n${lines.join('')}\r\n${body}`;
}

/** The problem for an error Node's HTTP parser or its timers raised on a connection. */
export function clientErrorProblem(err: NodeJS.ErrnoException & { reason?: unknown }, limits: HttpLimits): AppError {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AppError(
        408,
        `The request did not arrive in time: headers are awaited ${limits.headersTimeoutMs} ms, a whole request ${limits.requestTimeoutMs} ms.`,
      );
    case 'HPE_HEADER_OVERFLOW':
      return new AppError(431, `The request's headers are larger than ${http.maxHeaderSize} bytes.`);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new AppError(413, "The request body's chunk extensions are too large.");
    default: {
      // llhttp's reasons name the rule broken ("Invalid method encountered"), never data.
      const reason = typeof err.reason === 'string' && err.reason.length <= 100 ? ` (${err.reason})` : '';
      return new AppError(400, `The request is not valid HTTP/1.1${reason}.`);
    }
  }
}

/**
 * Creates the HTTP server for `handler` (the Express app) with the given limits. Listen on it
 * with `server.listen(port)`; close it with `closeGracefully`.
 */
export function createHttpServer(handler: http.RequestListener, limits: HttpLimits): http.Server {
  const guard = new ConnectionGuard(limits.maxConnections);
  const answered = new WeakSet<net.Socket>();

  const track = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const { socket } = req;
    guard.requestStarted(socket, res);
    res.once('close', () => {
      guard.requestEnded(socket, res);
      guard.responseClosed(res);
    });
    if (guard.isDraining()) res.setHeader('Connection', 'close');
  };

  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node checks the two timeouts above only this often (30 s by default).
      connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
      // A missing Host is answered below as a problem, not by Node's bare 400.
      requireHostHeader: false,
    },
    (req, res) => {
      if (guard.isRefused(req.socket)) {
        writeProblem(
          res,
          new AppError(503, `The server is at its limit of ${limits.maxConnections} connections, all busy. Try again shortly.`, {
            headers: { 'Retry-After': '1', Connection: 'close' },
          }),
        );
        return;
      }
      track(req, res);
      if (req.httpVersion === '1.1' && req.headers.host === undefined) {
        const detail = 'An HTTP/1.1 request must have a Host header (RFC 9112 §3.2).';
        writeProblem(res, new AppError(400, detail, { headers: { Connection: 'close' } }));
        return;
      }
      handler(req, res);
    },
  );

  server.on('connection', (socket: net.Socket) => guard.admit(socket));

  // Node calls this instead of writing its own bare 417 for an `Expect` other than 100-continue.
  server.on('checkExpectation', (req: http.IncomingMessage, res: http.ServerResponse) => {
    track(req, res);
    // The body the client holds back would otherwise be read as the next request: close after.
    writeProblem(
      res,
      new AppError(417, 'The only expectation this server meets is "Expect: 100-continue".', { headers: { Connection: 'close' } }),
    );
  });

  // Node calls this instead of writing its own bare 400/408/431: answer once, then close.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: net.Socket) => {
    if (answered.has(socket)) return; // later bytes on a failed connection report again
    answered.add(socket);
    if (err.code === 'ECONNRESET' || !socket.writable || guard.isResponding(socket)) {
      socket.destroy();
      return;
    }
    socket.end(rawProblem(clientErrorProblem(err, limits)));
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });

  guards.set(server, guard);
  return server;
}

/**
 * Closes the server gracefully: stops accepting at once, closes idle connections at once and
 * busy ones as their responses complete, and after `timeoutMs` closes whatever is left. Resolves
 * once every connection is closed and every handler whose client went away has ended its response
 * (or `timeoutMs` passed), with the number of requests that were cut off: only then may the
 * database close under the app.
 */
export function closeGracefully(server: http.Server, timeoutMs: number): Promise<number> {
  const guard = guards.get(server);
  if (!guard) throw new Error('closeGracefully() needs a server made by createHttpServer()');
  return new Promise((resolve) => {
    let cutOff = 0;
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      cutOff = guard.inFlight();
      guard.destroyAll();
      server.closeAllConnections();
      resolve(cutOff);
    }, timeoutMs);
    server.close(() => {
      // A connection can count as closed before its response's 'close' event: wait for the handlers.
      void guard.handlersSettled().then(() => {
        if (timedOut) return;
        clearTimeout(deadline);
        resolve(cutOff);
      });
    });
    guard.drain();
  });
}
