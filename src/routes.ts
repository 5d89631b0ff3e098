/**
 * Every route of the API, one line each. The same table yields the 405 answers (with `Allow`)
 * for known paths, so no method list is written twice. Cheap checks come first: the body's
 * media type (`requireJson`) before the token's user is read, the path's note id before the
 * body is parsed against its schema, the body's shape before a rate-limit counter is written;
 * the handler then makes one controller call. The operations endpoints (/health, /ready,
 * /metrics) are not linked from `/`, need no token and count against no rate limit.
 */
import { Router } from 'express';
import * as authHandlers from './handlers/authHandlers';
import * as noteHandlers from './handlers/noteHandlers';
import * as opsHandlers from './handlers/opsHandlers';
import * as rootHandlers from './handlers/rootHandlers';
import * as userHandlers from './handlers/userHandlers';
import type { Logger } from './logger';
import { auditLogin } from './middlewares/audit';
import { metricsAccess, type MetricsAccessSettings } from './middlewares/metricsAccess';
import { mountMethodNotAllowed } from './middlewares/methodNotAllowed';
import { createRateLimiters, type RateLimitSettings } from './middlewares/rateLimit';
import { requireJson } from './middlewares/requireJson';
import { validate } from './middlewares/validate';
import { validateNote } from './middlewares/validateNote';
import { verifyToken } from './middlewares/verifyToken';
import * as authSchemas from './schemas/authSchemas';
import * as noteSchemas from './schemas/noteSchemas';
import * as userSchemas from './schemas/userSchemas';

/** What the route table needs from its app: the rate limits, who may read metrics, the logger. */
export interface RouterOptions {
  rateLimits: RateLimitSettings;
  metrics: MetricsAccessSettings;
  logger: Logger;
}

/** Builds the route table; each app gets its own limiters (their counts live in the database). */
export function createRouter(options: RouterOptions): Router {
  const router = Router();
  const limit = createRateLimiters(options.rateLimits, options.logger);

  router.route('/').get(rootHandlers.getRoot);

  router
    .route('/auth')
    .post(requireJson, validate(authSchemas.login), limit.authClients, limit.authAccounts, auditLogin, authHandlers.authenticate);

  router.route('/users').post(requireJson, validate(userSchemas.register), limit.registrations, userHandlers.register);
  router.route('/users/:id').get(verifyToken, userHandlers.getProfile);

  router
    .route('/notes')
    .get(verifyToken, validate(noteSchemas.listNotes), noteHandlers.listNotes)
    .post(requireJson, verifyToken, validate(noteSchemas.createNote), noteHandlers.createNote);

  router
    .route('/notes/:id')
    .get(verifyToken, validateNote, noteHandlers.getNote)
    .put(requireJson, verifyToken, validateNote, validate(noteSchemas.replaceNote), noteHandlers.replaceNote)
    .patch(requireJson, verifyToken, validateNote, validate(noteSchemas.editNote), noteHandlers.editNote)
    .delete(verifyToken, validateNote, noteHandlers.deleteNote);

  router.route('/health').get(opsHandlers.getHealth);
  router.route('/ready').get(opsHandlers.getReady);
  router.route('/metrics').get(metricsAccess(options.metrics), opsHandlers.getMetrics);

  mountMethodNotAllowed(router);
  return router;
}
