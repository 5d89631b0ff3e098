/**
 * Bearer-token authentication for protected routes. Puts the caller into the request context;
 * answers 401 with `WWW-Authenticate` otherwise (RFC 6750).
 */
import type { RequestHandler } from 'express';
import { checkAccessToken, type TokenCheck } from '../controllers/authController';
import { unauthorizedLinks } from '../controllers/hateoasController';
import { setContext } from '../requestContext';
import { AppError } from '../utils/AppError';

/** The API's one authentication challenge (RFC 6750 §3), sent with every 401. */
export const BEARER_CHALLENGE = 'Bearer realm="thunder-notes"';

/** A 401 with its challenge, linking (in the Link header, not the frozen body) to where a token or an account comes from. */
function unauthorized(detail: string, invalidToken: boolean): AppError {
  return new AppError(401, detail, {
    headers: { 'WWW-Authenticate': invalidToken ? `${BEARER_CHALLENGE}, error="invalid_token"` : BEARER_CHALLENGE },
    extraLinks: unauthorizedLinks(),
  });
}

/** The token of an `Authorization: Bearer <token>` header; undefined for any other form. */
export function bearerTokenOf(header: string): string | undefined {
  return /^Bearer +([^\s]+) *$/i.exec(header)?.[1];
}

/** What a refused token's 401 says, by the reason. */
const REFUSALS: Record<Exclude<TokenCheck, { ok: true }>['reason'], string> = {
  expired: 'The access token has expired.',
  invalid: 'The access token is not valid.',
  revoked: 'The access token is no longer valid: the password was changed after it was issued. Log in again (POST /auth).',
};

/** Requires `Authorization: Bearer <valid token>` naming an existing user, issued since the user's last password change. */
export const verifyToken: RequestHandler = async (req, res, next) => {
  const header = req.get('authorization');
  if (header === undefined) {
    throw unauthorized('Authentication required: send Authorization: Bearer <token> (from POST /auth).', false);
  }
  const token = bearerTokenOf(header);
  if (token === undefined) throw unauthorized('The Authorization header must have the form "Bearer <token>".', true);
  const check = await checkAccessToken(token);
  if (!check.ok) throw unauthorized(REFUSALS[check.reason], true);
  setContext(res, 'caller', check.caller);
  next();
};
