/** `/users` and `/users/{id}`: registration and the caller's profile (read, change, delete). */
import type { Request, Response } from 'express';
import { paths, registeredLinks } from '../controllers/hateoasController';
import { representationEtag } from '../controllers/conditionalWrites';
import { fingerprintOf } from '../controllers/idempotency';
import * as users from '../controllers/usersController';
import { auditAccountDeleted, auditPasswordChanged } from '../middlewares/audit';
import { acceptPatch, bodyTypeOf, PROFILE_PATCH_TYPES } from '../middlewares/requireJson';
import { callerOf, idempotencyKeyOf, inputOf, preconditionsOf } from '../requestContext';
import * as userSchemas from '../schemas/userSchemas';
import { addLinks, sendRepresentation, sendWritten } from './respond';

/**
 * POST /users — 201 with Location and the new profile (`Prefer: return=minimal`: no body). With an
 * Idempotency-Key, a retry gets the same profile back, marked `Idempotent-Replayed: true`.
 */
export async function register(req: Request, res: Response): Promise<void> {
  const { body } = inputOf(res, userSchemas.register);
  const key = idempotencyKeyOf(res);
  let profile: users.ProfileView;
  if (key === undefined) profile = await users.registerUser(body);
  else {
    const result = await users.registerUserOnce(body, { key, fingerprint: fingerprintOf(req.method, paths.users(), body) });
    profile = result.profile;
    if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
  }
  addLinks(res, registeredLinks(profile.id)); // the body (frozen) links to /notes, which needs a token: log in first
  sendWritten(req, res, true, { representation: profile, etag: representationEtag(profile), location: paths.user(profile.id) });
}

/** GET /users/{id} — the caller's own profile, cacheable; any other id is 404. `Accept-Patch` names the PATCH formats it takes. */
export function getProfile(req: Request, res: Response): void {
  const { profile, updatedAt } = users.getProfile(callerOf(res), String(req.params.id));
  res.setHeader('Accept-Patch', acceptPatch(PROFILE_PATCH_TYPES));
  sendRepresentation(req, res, profile, { isPrivate: true, lastModified: updatedAt });
}

/** The PATCH document of this request (validated for its media type by `validateByBodyType`). */
function profilePatchOf(req: Request, res: Response): unknown {
  return bodyTypeOf(req, PROFILE_PATCH_TYPES) === 'application/merge-patch+json'
    ? inputOf(res, userSchemas.mergePatchProfile).body
    : inputOf(res, userSchemas.editProfile).body;
}

/** PATCH /users/{id} — change the name and/or the password (with the current one); 204 with the new ETag (200 with `Prefer: return=representation`). */
export async function editProfile(req: Request, res: Response): Promise<void> {
  const id = String(req.params.id);
  const patch = profilePatchOf(req, res);
  const written = await users.editProfile(callerOf(res), id, patch, preconditionsOf(res));
  if (typeof patch === 'object' && patch !== null && (patch as { password?: unknown }).password !== undefined) auditPasswordChanged(req);
  sendWritten(req, res, false, { representation: written.profile, etag: written.etag, location: paths.user(id) });
}

/** DELETE /users/{id} — the caller's account and all of their notes; 204. */
export async function deleteProfile(req: Request, res: Response): Promise<void> {
  await users.deleteAccount(callerOf(res), String(req.params.id), preconditionsOf(res));
  auditAccountDeleted(req);
  res.status(204).end();
}
