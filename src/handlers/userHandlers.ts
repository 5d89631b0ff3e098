/** `/users`: registration and the caller's profile. */
import type { Request, Response } from 'express';
import { paths } from '../controllers/hateoasController';
import { getProfile as profileOf, registerUser } from '../controllers/usersController';
import { callerOf, inputOf } from '../requestContext';
import * as userSchemas from '../schemas/userSchemas';
import { sendRepresentation } from './respond';

/** POST /users — 201 with Location and the new profile. */
export async function register(_req: Request, res: Response): Promise<void> {
  const { body } = inputOf(res, userSchemas.register);
  const profile = await registerUser(body);
  res.status(201).location(paths.user(profile.id)).json(profile);
}

/** GET /users/{id} — the caller's own profile, cacheable; any other id is 404. */
export function getProfile(req: Request, res: Response): void {
  const { profile, updatedAt } = profileOf(callerOf(res), String(req.params.id));
  sendRepresentation(req, res, profile, { isPrivate: true, lastModified: updatedAt });
}
