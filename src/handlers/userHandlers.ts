/** `/users`: registration and the caller's profile. */
import type { Request, Response } from 'express';
import { paths, profileLinks } from '../controllers/hateoasController';
import { findUserById, registerUser, type UserDTO } from '../controllers/usersController';
import { validated } from '../middlewares/validate';
import { authOf } from '../middlewares/verifyToken';
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
export async function getProfile(req: Request, res: Response): Promise<void> {
  const id = String(req.params.id);
  const user = id === authOf(res).userId ? await findUserById(id) : null;
  if (!user) throw new AppError(404, `User with ID '${id}' does not exist.`);
  sendRepresentation(req, res, profileOf(user), { isPrivate: true, lastModified: user.updatedAt });
}
