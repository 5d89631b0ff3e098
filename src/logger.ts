/**
 * The application logger (pino). JSON lines on stdout, written asynchronously outside tests so a
 * log line never waits for the terminal or the collector; pretty lines (pino-pretty, a worker
 * thread) in development. Passwords, tokens and credentials are redacted wherever they appear in
 * a logged object.
 */
import type { IncomingMessage } from 'node:http';
import pino, { type DestinationStream, type Logger } from 'pino';
import { config } from './config';

export type { Logger } from 'pino';

/** Object paths that never reach a log line, whatever logs them. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'res.headers["x-access-token"]',
];

/** How a logger writes: level, and either a format for stdout or a stream of the caller's (tests). */
export interface LoggerOptions {
  level: string;
  format?: 'pretty' | 'json';
  destination?: DestinationStream;
}

/** pino-pretty is a development dependency: a production install without it still logs, as JSON. */
function prettyAvailable(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

function destinationFor(options: LoggerOptions): DestinationStream {
  if (options.destination) return options.destination;
  if (options.format === 'pretty' && prettyAvailable()) {
    return pino.transport({ target: 'pino-pretty', options: { destination: 1, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true } });
  }
  // Asynchronous writes (flushed on exit by pino) keep logging off the request path; tests write
  // synchronously so that a line is there the moment the assertion reads it.
  return pino.destination({ dest: 1, sync: config.isTest });
}

/** Builds a logger: the process one below, or one writing into a test's stream. */
export function createLogger(options: LoggerOptions): Logger {
  return pino({ level: options.level, base: undefined, redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, destinationFor(options));
}

/** The process-wide logger. */
export const logger: Logger = createLogger({ level: config.logLevel, format: config.logFormat });

/** Where a request keeps its app's logger and, once made, its own child logger. */
const APP_LOGGER = Symbol('appLogger');

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (middlewares/requestId.ts), on every line logged for the request. */
    id?: string;
    /** The request's logger, made by `logOf` the first time the request logs something. */
    log?: Logger;
    [APP_LOGGER]?: Logger;
  }
}

/** Records which logger a request's lines go to (the app's); `logOf` makes the child only when needed. */
export function attachLogger(req: IncomingMessage, appLogger: Logger): void {
  req[APP_LOGGER] = appLogger;
}

/**
 * The logger of a request (its lines carry the request id), or the process logger outside one.
 * Made on first use: most requests log nothing but their access line, which needs no child.
 */
export function logOf(req: IncomingMessage): Logger {
  if (req.log) return req.log;
  const appLogger = req[APP_LOGGER];
  // Unit tests call middlewares with bare requests that never went through the app.
  if (!appLogger) return logger;
  req.log = appLogger.child({ reqId: req.id });
  return req.log;
}
