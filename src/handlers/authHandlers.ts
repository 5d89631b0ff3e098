/** `POST /auth`: exchange email and password for an access token. */
import type { Request, Response } from 'express';
import { login } from '../controllers/authController';
import { unauthorizedLinks } from '../controllers/hateoasController';
import { BEARER_CHALLENGE } from '../middlewares/verifyToken';
import { inputOf } from '../requestContext';
import * as authSchemas from '../schemas/authSchemas';
import { AppError } from '../utils/AppError';
import { sendJson } from './respond';

/** POST /auth — 200 with the token in `X-Access-Token` and the body; 401 for bad credentials. */
export async function authenticate(req: Request, res: Response): Promise<void> {
  const { body } = inputOf(res, authSchemas.login);
  const result = await login(body.email, body.password);
  // RFC 9110 §11.6.1: every 401 carries a challenge. The API's scheme is Bearer, and this is where
  // a Bearer token comes from; Basic would make browsers open their own login dialog over the page.
  if (!result) throw new AppError(401, 'Invalid credentials', { title: 'Unauthorized', headers: { 'WWW-Authenticate': BEARER_CHALLENGE }, extraLinks: unauthorizedLinks() });
  // In the negotiated format (JSON as always; HAL with _links, HAL-FORMS with the add-note template).
  sendJson(
    req,
    res,
    200,
    {
      message: 'Authentication successful',
      user: result.user,
      access_token: result.accessToken,
      token_type: 'Bearer',
      expires_in: result.expiresIn,
      links: result.links,
    },
    { 'X-Access-Token': result.accessToken, 'Cache-Control': 'no-store' },
  );
}
