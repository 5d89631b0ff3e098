/**
 * Bearer-token authentication for protected routes. Puts the caller in `res.locals.auth`;
 * answers 401 with `WWW-Authenticate` otherwise (RFC 6750).
 */
import type { RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import { verifyAccessToken } from '../controllers/authController';
import { findUserById } from '../controllers/usersController';
import type { UserDTO } from '../controllers/usersController';
import type { AuthContext } from '../types/locals';
import { AppError } from '../utils/AppError';

const REALM = 'Bearer realm="thunder-notes"';

function unauthorized(detail: string, invalidToken: boolean): AppError {
  return new AppError(401, detail, { headers: { 'WWW-Authenticate': invalidToken ? `${REALM}, error="invalid_token"` : REALM } });
}

/** Requires `Authorization: Bearer <valid token>` naming an existing user. */
export const verifyToken: RequestHandler = async (req, res, next) => {
  const header = req.get('authorization');
  if (header === undefined) {
    throw unauthorized('Authentication required: send Authorization: Bearer <token> (from POST /auth).', false);
  }
  const match = /^Bearer +([^\s]+) *$/i.exec(header);
  if (!match) throw unauthorized('The Authorization header must have the form "Bearer <token>".', true);
  let auth: AuthContext;
  try {
    auth = verifyAccessToken(match[1]);
  } catch (err) {
    throw unauthorized(err instanceof jwt.TokenExpiredError ? 'The access token has expired.' : 'The access token is not valid.', true);
  }
  const user = await findUserById(auth.userId);
  if (!user) throw unauthorized('The access token is not valid.', true);
  res.locals.auth = { userId: user.id, name: user.name };
  res.locals.user = user;
  next();
};

/** The caller `verifyToken` established; a route without it is a programming error. */
export function authOf(res: Response): AuthContext {
  if (!res.locals.auth) throw new Error('verifyToken did not run before this handler');
  return res.locals.auth;
}

/** The caller's user as `verifyToken` loaded it, so handlers need not read it again. */
export function callerOf(res: Response): UserDTO {
  if (!res.locals.user) throw new Error('verifyToken did not run before this handler');
  return res.locals.user;
}
