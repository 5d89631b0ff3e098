/**
 * The `Idempotency-Key` request header (draft-ietf-httpapi-idempotency-key-header): a Structured
 * Field string (`"…"`), or the same characters unquoted, as many clients send it. 1 to
 * MAX_KEY_LENGTH visible ASCII characters; anything else is 400 (a client that meant a key must
 * not have it silently dropped).
 */
import type { RequestHandler } from 'express';
import { setContext } from '../requestContext';
import { AppError } from '../utils/AppError';

/** Longest key accepted (a UUID is 36). */
export const MAX_KEY_LENGTH = 255;

/** The key of an `Idempotency-Key` value, or undefined when it is malformed. */
export function parseIdempotencyKey(value: string): string | undefined {
  const trimmed = value.trim();
  const quoted = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/.exec(trimmed);
  const key = quoted ? quoted[1].replace(/\\(["\\])/g, '$1') : trimmed;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || key.trim() === '') return undefined;
  if (!quoted && !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(key)) return undefined;
  return key;
}

/** Reads the request's Idempotency-Key (if any) into the request context; 400 when malformed. */
export const idempotencyKey: RequestHandler = (req, res, next) => {
  const value = req.get('idempotency-key');
  if (value !== undefined) {
    const key = parseIdempotencyKey(value);
    if (key === undefined) {
      throw new AppError(400, `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} visible ASCII characters, quoted ("…") or not; a UUID is a good key.`, {
        errors: [{ in: 'header', name: 'Idempotency-Key', message: 'is not a valid key' }],
      });
    }
    setContext(res, 'idempotencyKey', key);
  }
  next();
};
