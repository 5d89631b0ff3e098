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
import * as openapiHandlers from './handlers/openapiHandlers';
import * as opsHandlers from './handlers/opsHandlers';
import * as relHandlers from './handlers/relHandlers';
import * as rootHandlers from './handlers/rootHandlers';
import * as userHandlers from './handlers/userHandlers';
import type { Logger } from './logger';
import { auditLogin } from './middlewares/audit';
import { metricsAccess, type MetricsAccessSettings } from './middlewares/metricsAccess';
import { mountMethodNotAllowed } from './middlewares/methodNotAllowed';
import { createRateLimiters, type RateLimitSettings } from './middlewares/rateLimit';
import { idempotencyKey } from './middlewares/idempotencyKey';
import { negotiate } from './middlewares/negotiate';
import { preconditions } from './middlewares/preconditions';
import { acceptPatch, NOTE_PATCH_TYPES, PROFILE_PATCH_TYPES, requireJson, requirePatchBody } from './middlewares/requireJson';
import { validate, validateByBodyType } from './middlewares/validate';
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
  /** Writes of notes and of the profile need If-Match or If-Unmodified-Since (else 428). */
  requireIfMatch: boolean;
}

/** Builds the route table; each app gets its own limiters (their counts live in the database). */
export function createRouter(options: RouterOptions): Router {
  const router = Router();
  const limit = createRateLimiters(options.rateLimits, options.logger);

  // Every resource of the API is negotiated first (JSON, HAL, HAL-FORMS; 406 otherwise): `negotiate`
  // opens each of their chains (a handler, not a route of its own, so no request walks extra layers).

  router.route('/').get(negotiate, rootHandlers.getRoot);

  router
    .route('/auth')
    .post(negotiate, requireJson, validate(authSchemas.login), limit.authClients, limit.authAccounts, auditLogin, authHandlers.authenticate);

  router.route('/users').post(negotiate, requireJson, idempotencyKey, validate(userSchemas.register), limit.registrations, userHandlers.register);
  router
    .route('/users/:id')
    .get(negotiate, verifyToken, userHandlers.getProfile)
    .patch(
      negotiate,
      requirePatchBody(PROFILE_PATCH_TYPES),
      verifyToken,
      preconditions(options.requireIfMatch),
      validateByBodyType({ 'application/json': userSchemas.editProfile, 'application/merge-patch+json': userSchemas.mergePatchProfile }),
      limit.passwordChecks,
      userHandlers.editProfile,
    )
    .delete(negotiate, verifyToken, preconditions(options.requireIfMatch), userHandlers.deleteProfile);

  router
    .route('/notes')
    .get(negotiate, verifyToken, validate(noteSchemas.listNotes), noteHandlers.listNotes)
    .post(negotiate, requireJson, verifyToken, idempotencyKey, validate(noteSchemas.createNote), noteHandlers.createNote);

  const conditional = preconditions(options.requireIfMatch);
  router
    .route('/notes/:id')
    .get(negotiate, verifyToken, validateNote, validate(noteSchemas.getNote), noteHandlers.getNote)
    .put(negotiate, requireJson, verifyToken, validateNote, conditional, validate(noteSchemas.replaceNote), noteHandlers.replaceNote)
    .patch(
      negotiate,
      requirePatchBody(NOTE_PATCH_TYPES),
      verifyToken,
      validateNote,
      conditional,
      validateByBodyType({
        'application/json': noteSchemas.editNote,
        'application/merge-patch+json': noteSchemas.mergePatchNote,
        'application/json-patch+json': noteSchemas.jsonPatchNote,
      }),
      noteHandlers.editNote,
    )
    .delete(negotiate, verifyToken, validateNote, conditional, noteHandlers.deleteNote);

  router.route('/health').get(opsHandlers.getHealth);
  router.route('/ready').get(opsHandlers.getReady);
  router.route('/metrics').get(metricsAccess(options.metrics), opsHandlers.getMetrics);

  // The API's OpenAPI 3.1 description (issue 14; `service-desc` of `/`): public, cacheable, not negotiated.
  router.route('/openapi.json').get(openapiHandlers.getOpenApi);

  // The documentation of our own link relations (static HTML, no token, not negotiated: there is no JSON of it).
  router.route('/rels').get(relHandlers.listRels);
  router.route('/rels/:rel').get(relHandlers.getRel);

  mountMethodNotAllowed(router, { '/notes/:id': acceptPatch(NOTE_PATCH_TYPES), '/users/:id': acceptPatch(PROFILE_PATCH_TYPES) });
  return router;
}
