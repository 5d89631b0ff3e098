/**
 * Authentication: checks credentials in constant work (an unknown email is verified against a
 * dummy hash of the same cost) and issues and verifies HS256 access tokens. A token carries the
 * user's token version (`tv`) from when it was issued; a password change increments the
 * version, so every token issued before it is refused from then on (no extra database work:
 * the version comes with the user that every request reads anyway).
 */
import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { config } from '../config';
import type { Link } from '../types/hypermedia';
import { LruCache } from '../utils/lruCache';
import { authLinks } from './hateoasController';
import { findCredentials, findUserById, hashPassword, verifyPassword, type UserDTO } from './usersController';

const ALGORITHM = 'HS256';

/** The result of a successful login. */
export interface LoginResult {
  user: Pick<UserDTO, 'id' | 'name' | 'email'>;
  accessToken: string;
  expiresIn: number;
  /** Where an authenticated client goes next. */
  links: Link[];
}

/** The claims of a valid access token that the API uses. */
export interface TokenClaims {
  userId: string;
  name: string;
}

/**
 * The outcome of checking a bearer token: the caller, or why the token is refused (`revoked`:
 * well signed and unexpired, but issued before its user's last password change).
 */
export type TokenCheck = { ok: true; caller: UserDTO } | { ok: false; reason: 'expired' | 'invalid' | 'revoked' };

let dummyHash: Promise<string> | undefined;

/** A hash of a random password at the configured cost, computed once and reused. */
export function getDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(crypto.randomBytes(32).toString('base64url')).catch((err: unknown) => {
    dummyHash = undefined; // try again next time rather than fail every later login
    throw err;
  });
  return dummyHash;
}

// Computed at start-up, so the first login for an unknown email costs no more than any other.
getDummyHash().catch(() => undefined);

/** Signs an access token for a user: `sub` the id, `name`, `tv` the user's token version, `iat`, `exp`. */
export function issueToken(userId: string, name: string, tokenVersion = 0): string {
  return jwt.sign({ name, tv: tokenVersion }, config.jwt.key, { algorithm: ALGORITHM, subject: userId, expiresIn: config.jwt.expiresInSeconds });
}

/** Checks email and password; null for an unknown email or a wrong password alike. */
export async function login(email: string, password: string): Promise<LoginResult | null> {
  const user = await findCredentials(email);
  // Verify even when the email is unknown, so the response time does not tell which emails exist.
  // In the hashing pool, so a login flood cannot take every threadpool thread; a full pool's
  // BusyError (503) is not swallowed like a malformed hash, which counts as a wrong password.
  const hash = user?.passwordHash ?? (await getDummyHash());
  const ok = await verifyPassword(hash, password);
  if (!user || !ok) return null;
  return {
    user: { id: user.id, name: user.name, email: user.email },
    accessToken: issueToken(user.id, user.name, user.tokenVersion),
    expiresIn: config.jwt.expiresInSeconds,
    links: authLinks(user.id),
  };
}

/** A token whose signature, algorithm and claims were checked, when it expires (epoch seconds), and the token version it was issued under. */
interface VerifiedToken {
  claims: TokenClaims;
  exp: number;
  tokenVersion: number;
}

/**
 * Tokens already verified, by their exact text. A token's signature and claims never change, so
 * only its expiry needs checking again; keeping the result spares the HMAC and the JSON parsing
 * on every request. Bounded: past TOKEN_CACHE_SIZE the least recently used token is verified
 * again next time. Only well-signed tokens get in, so nobody else can fill it.
 */
const TOKEN_CACHE_SIZE = 10_000;
const verifiedTokens = new LruCache<string, VerifiedToken>(TOKEN_CACHE_SIZE);

function verify(token: string): VerifiedToken {
  const { header, payload } = jwt.verify(token, config.jwt.key, { algorithms: [ALGORITHM], complete: true });
  if ('crit' in header) throw new jwt.JsonWebTokenError('token has a critical header this API does not understand');
  if (typeof payload !== 'object' || typeof payload.sub !== 'string' || payload.sub === '') {
    throw new jwt.JsonWebTokenError('token has no subject');
  }
  // Every token this API issues expires; one without `exp` was not issued by it as it is now.
  if (typeof payload.exp !== 'number') throw new jwt.JsonWebTokenError('token has no expiry');
  // Tokens issued before versions existed have no `tv`: version 0, which their users still have
  // until their first password change.
  const tv: unknown = payload.tv ?? 0;
  if (!Number.isSafeInteger(tv)) throw new jwt.JsonWebTokenError('token has a malformed version');
  return { claims: { userId: payload.sub, name: typeof payload.name === 'string' ? payload.name : '' }, exp: payload.exp, tokenVersion: tv as number };
}

/**
 * The caller a token names; throws for a bad signature, another algorithm, expiry, a missing
 * `exp` or `sub`, or any `crit` header. This API understands no JWS extensions, so a token that
 * marks one as critical must be refused (RFC 7515 §4.1.11); jsonwebtoken ignores `crit`.
 */
export function verifyAccessToken(token: string): TokenClaims {
  return verify(token).claims;
}

/** A valid token's verification, from the cache when it was verified before (expiry checked as jsonwebtoken does). */
function verified(token: string): VerifiedToken {
  const known = verifiedTokens.get(token);
  if (known === undefined) {
    const result = verify(token);
    verifiedTokens.set(token, result);
    return result;
  }
  if (Math.floor(Date.now() / 1000) >= known.exp) {
    verifiedTokens.delete(token);
    throw new jwt.TokenExpiredError('jwt expired', new Date(known.exp * 1000));
  }
  return known;
}

/** Checks a bearer token: well signed, HS256, unexpired, with a subject that is still a user, issued since its last password change. */
export async function checkAccessToken(token: string): Promise<TokenCheck> {
  let result: VerifiedToken;
  try {
    result = verified(token);
  } catch (err) {
    return { ok: false, reason: err instanceof jwt.TokenExpiredError ? 'expired' : 'invalid' };
  }
  const caller = await findUserById(result.claims.userId);
  if (!caller) return { ok: false, reason: 'invalid' };
  if (caller.tokenVersion !== result.tokenVersion) return { ok: false, reason: 'revoked' };
  return { ok: true, caller };
}
