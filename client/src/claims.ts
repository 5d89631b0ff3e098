/**
 * Reads a JWT's header and claims without checking its signature: the walkthrough shows a
 * learner what the bearer token carries (who, until when), which is what makes the API
 * stateless — the server keeps no session, every request brings everything it needs. Only the
 * server can verify the signature; the page never trusts these claims for anything, it shows them.
 * Pure: no DOM, unit-tested in tests/client.
 */

/** A token's decoded parts. */
export interface DecodedToken {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The bytes of a base64url string without padding (RFC 4648 §5), or undefined when it is not one. */
function base64UrlBytes(segment: string): Uint8Array | undefined {
  if (segment.length % 4 === 1) return undefined;
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of segment) {
    const sextet = BASE64URL.indexOf(char);
    if (sextet === -1) return undefined;
    value = (value << 6) | sextet;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >> bits) & 0xff);
    }
  }
  return Uint8Array.from(bytes);
}

/** Decodes one base64url segment to text (UTF-8), or undefined when it is not base64url of UTF-8. */
function base64UrlText(segment: string): string | undefined {
  const bytes = base64UrlBytes(segment);
  if (!bytes) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function jsonObject(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The header and payload of a compact JWS (`header.payload.signature`), or undefined when it is not one. */
export function decodeJwt(token: string): DecodedToken | undefined {
  const parts = token.trim().split('.');
  if (parts.length !== 3) return undefined;
  const header = jsonObject(base64UrlText(parts[0] ?? ''));
  const payload = jsonObject(base64UrlText(parts[1] ?? ''));
  return header && payload ? { header, payload } : undefined;
}

/** A NumericDate claim (seconds since the epoch, RFC 7519 §2) as a Date, or undefined. */
export function claimDate(value: unknown): Date | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? new Date(value * 1000) : undefined;
}

/** How long until `exp` from `now`, in words ("in 59 minutes", "expired 2 minutes ago"). */
export function timeUntil(exp: Date, now: Date): string {
  const minutes = Math.round((exp.getTime() - now.getTime()) / 60000);
  const amount = (m: number) => (m >= 120 ? `${Math.round(m / 60)} hours` : `${m} minute${m === 1 ? '' : 's'}`);
  if (minutes > 0) return `in ${amount(minutes)}`;
  if (minutes < 0) return `expired ${amount(-minutes)} ago`;
  return 'within the minute';
}

/** What the standard claims and this API's own mean, for the claims table. */
export const CLAIM_MEANINGS: Readonly<Record<string, string>> = {
  sub: 'subject: the id of the user the token speaks for',
  name: 'the user\u2019s name when the token was issued',
  tv: 'token version: a password change raises the user\u2019s version, which ends every older token',
  iat: 'issued at',
  exp: 'expires at: after this the server refuses the token (401)',
  alg: 'the signature algorithm',
  typ: 'the token type',
};
