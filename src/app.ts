/**
 * Builds the Express application: security headers, CORS, body parsing, the route table, the
 * bundled page, JSON 404s and the error middleware. No listening and no database connection
 * here, so tests can drive the app with supertest.
 */
import path from 'node:path';
import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { errorHandler } from './middlewares/errorHandler';
import { notFound } from './middlewares/notFound';
import { router } from './routes';
import { PROJECT_ROOT } from './utils/projectRoot';

const CLIENT_DIR = path.join(PROJECT_ROOT, 'client');

/** Creates a fresh app instance. */
export function createApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // ETags are computed per resource by the caching helpers.
  app.set('query parser', 'extended');

  // The server speaks plain HTTP itself: asking browsers to upgrade subresources to https would
  // break the bundled page when opened by a LAN address. Put TLS in front and add it there.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.use(
    cors({
      exposedHeaders: ['X-Access-Token', 'Location', 'ETag', 'Link', 'X-Total-Count', 'Allow', 'Accept-Patch', 'Last-Modified', 'WWW-Authenticate'],
    }),
  );
  app.use(express.json({ limit: '100kb', strict: false }));

  app.use(router);
  app.use('/client', express.static(CLIENT_DIR, { index: 'index.html', redirect: true }));

  app.use(notFound);
  app.use(errorHandler);
  return app;
}

/** The application, built once. */
export const app = createApp();
