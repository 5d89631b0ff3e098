/**
 * Builds the Express application: request ids, access logs and request timings, security
 * headers, CORS, body parsing, the route table (with its rate limits and the operations
 * endpoints), the bundled page, the API reference page (/docs), JSON 404s and the error middleware. No listening and no database connection
 * here, so tests can drive the app with supertest.
 */
import path from 'node:path';
import express, { type Express } from 'express';
import { config } from './config';
import { docsPage } from './docsPage';
import { logger as processLogger, type Logger } from './logger';
import { accessLog } from './middlewares/accessLog';
import { apiVersion } from './middlewares/apiVersion';
import { errorHandler } from './middlewares/errorHandler';
import { verifyJsonDepth } from './middlewares/jsonDepth';
import { notFound } from './middlewares/notFound';
import { literalBadEscapes } from './middlewares/pathEscapes';
import { NOTE_PATCH_TYPES } from './middlewares/requireJson';
import { securityHeaders } from './middlewares/securityHeaders';
import { serverTiming } from './middlewares/serverTiming';
import { createRouter, type RouterOptions } from './routes';
import { PROJECT_ROOT } from './utils/projectRoot';
import { setWidgetHeaders, WIDGET_FILES } from './widget';

const CLIENT_DIR = path.join(PROJECT_ROOT, 'client');

/**
 * What the page and the widget (src/widget.ts) need, and nothing else of client/ (not its
 * TypeScript sources or tsconfig).
 * The source map only outside production: it is for a developer's debugger, and it carries the
 * sources inside it (sourcesContent), so src/ is never needed.
 */
const CLIENT_FILES = ['/', '/index.html', '/styles.css', '/dist/app.js', ...WIDGET_FILES];
const CLIENT_DEV_FILES = ['/dist/app.js.map'];

/** How an app instance is built. */
export interface AppOptions {
  /** Serve the page's source map (/client/dist/app.js.map) and Swagger UI's (/docs/*.map); default: outside production. */
  clientSourceMap?: boolean;
  /** Where the app's access, audit and error lines go; default: the process logger. */
  logger?: Logger;
  /** Whether to write access-log lines; default `TN_ACCESS_LOG`. */
  accessLog?: boolean;
  /** Express's `trust proxy`, deciding `req.ip`; default `TN_TRUST_PROXY`. */
  trustProxy?: boolean | number | readonly string[];
  /** Rate limits; default `config.rateLimits`. */
  rateLimits?: RouterOptions['rateLimits'];
  /** Who may read /metrics; default `config.metrics`. */
  metrics?: RouterOptions['metrics'];
  /** Writes need If-Match or If-Unmodified-Since (else 428); default `config.requireIfMatch`. */
  requireIfMatch?: boolean;
  /** Send `Server-Timing` (database commands and time) on every answer; default `TN_SERVER_TIMING`. */
  serverTiming?: boolean;
}

/** Creates a fresh app instance. */
export function createApp({
  clientSourceMap = !config.isProduction,
  logger = processLogger,
  accessLog: writeAccessLog = config.accessLog,
  trustProxy = config.trustProxy,
  rateLimits = config.rateLimits,
  metrics = config.metrics,
  requireIfMatch = config.requireIfMatch,
  serverTiming: timeRequests = config.serverTiming,
}: AppOptions = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // ETags are computed per resource by the caching helpers.
  app.set('query parser', 'extended');
  app.set('trust proxy', Array.isArray(trustProxy) ? [...trustProxy] : trustProxy);

  // First, so that every answer (also a 413 from the body parser) has a request id, a log line and a timing.
  app.use(accessLog(logger, writeAccessLog));
  // Then the request's database tally and its Server-Timing header, when on.
  if (timeRequests) app.use(serverTiming);
  // Then `API-Version` on every answer (errors, 404s, /client too) and the version a request asks for.
  app.use(apiVersion);

  app.use(
    securityHeaders({
      // The server speaks plain HTTP itself: asking browsers to upgrade subresources to https would
      // break the bundled page when opened by a LAN address. Put TLS in front and add it there.
      helmet: { contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } },
      // The route table answers preflights, so OPTIONS on a path that does not exist is a 404.
      cors: {
        exposedHeaders: ['X-Access-Token', 'Location', 'ETag', 'Link', 'X-Total-Count', 'Allow', 'Accept-Patch', 'Last-Modified', 'Preference-Applied', 'Content-Location', 'Idempotent-Replayed', 'WWW-Authenticate', 'X-Request-Id', 'RateLimit', 'RateLimit-Policy', 'Retry-After', 'API-Version', 'Server-Timing'],
      },
    }),
  );
  // JSON, and the JSON-based patch formats (which only PATCH routes let through: requirePatchBody).
  app.use(express.json({ type: [...NOTE_PATCH_TYPES], limit: '100kb', strict: false, verify: verifyJsonDepth }));
  app.use(literalBadEscapes);

  app.use(createRouter({ rateLimits, metrics, logger, requireIfMatch }));
  const clientFiles = new Set(clientSourceMap ? [...CLIENT_FILES, ...CLIENT_DEV_FILES] : CLIENT_FILES);
  const serveClient = express.static(CLIENT_DIR, { index: 'index.html', redirect: true, setHeaders: setWidgetHeaders });
  app.use('/client', (req, res, next) => (clientFiles.has(req.path) ? serveClient(req, res, next) : next()));
  // The API reference page (Swagger UI) at /docs and its files: like the page, no token and no rate limit.
  app.use(docsPage({ sourceMaps: clientSourceMap }));

  app.use(notFound);
  app.use(errorHandler);
  return app;
}

/** The application, built once. */
export const app = createApp();
