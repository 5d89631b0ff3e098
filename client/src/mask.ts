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
