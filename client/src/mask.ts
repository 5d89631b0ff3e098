/**
 * The learner panel shows real headers and bodies, but a bearer token on screen (or in a
 * screenshot) is a credential handed out, so tokens are shortened before display.
 */

const SECRET_HEADERS = new Set(['authorization', 'x-access-token']);

/** Keeps the first few characters of a token so requests can still be told apart. */
export function maskToken(token: string): string {
  if (token.length <= 8) return '••••••';
  return `${token.slice(0, 6)}…(masked)`;
}

/** A header value with any token in it masked; other headers are returned unchanged. */
export function maskHeader(name: string, value: string): string {
  if (!SECRET_HEADERS.has(name.toLowerCase())) return value;
  const bearer = /^(Bearer\s+)(.+)$/i.exec(value);
  return bearer ? `${bearer[1]}${maskToken(bearer[2] ?? '')}` : maskToken(value);
}

// A JWT is three base64url parts, the first always starting with `eyJ` (`{"` encoded).
const JWT_PATTERN = /eyJ[\w-]+\.[\w-]+\.[\w-]+/g;

/** Masks every JWT in a text, such as the `access_token` of a login response body. */
export function maskJwts(text: string): string {
  return text.replace(JWT_PATTERN, (jwt) => maskToken(jwt));
}

// Members whose values are passwords: the login, registration and password-change bodies.
const SECRET_MEMBERS = new Set(['password', 'currentpassword']);
const MASKED_PASSWORD = '••••••(masked)';
// Request bodies the page builds are shallow; the bound only keeps a pathological value from
// recursing without end (deeper levels are shown as a placeholder, never in clear).
const MAX_MASK_DEPTH = 20;

/**
 * A copy of a JSON value in which every `password` and `currentPassword` member (any letter
 * case, at any depth) is masked, so the HTTP log never shows a password in clear.
 */
export function maskSecretMembers(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_MASK_DEPTH) return '(too deep to show)';
  if (Array.isArray(value)) return value.map((item) => maskSecretMembers(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    copy[key] = SECRET_MEMBERS.has(key.toLowerCase()) ? MASKED_PASSWORD : maskSecretMembers(member, depth + 1);
  }
  return copy;
}
