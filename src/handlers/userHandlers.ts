/** `/users`: registration and the caller's profile. */
import type { Request, Response } from 'express';
import { paths, profileLinks } from '../controllers/hateoasController';
import { registerUser, type UserDTO } from '../controllers/usersController';
import { validated } from '../middlewares/validate';
import { callerOf } from '../middlewares/verifyToken';
import * as userSchemas from '../schemas/userSchemas';
import { AppError } from '../utils/AppError';
import { sendRepresentation } from './respond';

function profileOf(user: UserDTO) {
  return { id: user.id, name: user.name, email: user.email, createdAt: user.createdAt, links: profileLinks(user.id) };
}

/** POST /users — 201 with Location and the new profile. */
export async function register(_req: Request, res: Response): Promise<void> {
  const { body } = validated(res, userSchemas.register);
  const user = await registerUser(body);
  res.status(201).location(paths.user(user.id)).json(profileOf(user));
}

/** GET /users/{id} — the caller's own profile, cacheable; any other id is 404. */
export function getProfile(req: Request, res: Response): void {
  const id = String(req.params.id);
  // verifyToken has just loaded the caller; any other id is the same 404 as a missing user.
  const user = callerOf(res);
  if (id !== user.id) throw new AppError(404, `User with ID '${id}' does not exist.`);
  sendRepresentation(req, res, profileOf(user), { isPrivate: true, lastModified: user.updatedAt });
}
