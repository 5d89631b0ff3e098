/**
 * Idempotency keys for POST (the IETF `Idempotency-Key` header, draft-ietf-httpapi-idempotency-key-header):
 * a create retried with the same key and the same body gets the first answer without a second
 * write. The key is stored in the created document itself (`idem: {key, hash, at}`) under a
 * unique index, so the claim of the key and the write are one insert: of any number of
 * concurrent duplicates, in any process, exactly one insert succeeds and the others find its
 * document. Nothing is pending in between, so no crash can leave a key claimed without its
 * resource. A key is scoped (per user for notes, per API for registrations), counts for
 * IDEMPOTENCY_TTL_MS (24 hours) and is then free again; the body is compared by an HMAC of it
 * under the server's secret (a registration's body holds a password).
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import { config } from '../config';
import { DomainError } from '../utils/DomainError';

/** How long a key holds: 24 hours. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** An idempotency key as a controller gets it: the client's key and the fingerprint of its request. */
export interface IdempotencyKey {
  key: string;
  fingerprint: string;
}

/** What a created document stores about the key it was created with. */
export interface StoredKey {
  /** The scoped key: `<scope>:<client key>`. */
  key: string;
  hash: string;
  /** Epoch ms of the first request. */
  at: number;
}

/** The fingerprint of a request: an HMAC of what it asks (method, path, the body as read). */
export function fingerprintOf(method: string, path: string, body: unknown): string {
  return crypto.createHmac('sha256', config.jwt.key).update(`${method} ${path}\n${JSON.stringify(body)}`).digest('base64url');
}

/** Whether `err` is a duplicate-key error of the unique index on `idem.key`. */
export function isDuplicateKey(err: unknown): boolean {
  if (!(err instanceof mongoose.mongo.MongoServerError) || err.code !== 11000) return false;
  const keyValue = err.keyValue as Record<string, unknown> | undefined;
  return (keyValue !== undefined && 'idem.key' in keyValue) || /idem\.key/.test(err.message);
}

/** What to do with a document found under a key: replay its creation, or (expired) free the key first. */
export function judgeStoredKey(stored: StoredKey, request: IdempotencyKey, now: number): 'replay' | 'expired' {
  if (stored.at + IDEMPOTENCY_TTL_MS <= now) return 'expired';
  if (stored.hash !== request.fingerprint) {
    throw new DomainError('unprocessable', 'This Idempotency-Key was already used, within the last 24 hours, for a request with another body. Use a new key for a new request.', {
      errors: [{ in: 'header', name: 'Idempotency-Key', message: 'was used for another request' }],
    });
  }
  return 'replay';
}

/** The failure when a key keeps being freed and claimed under this request: retry later. */
export function keyContended(): DomainError {
  return new DomainError('conflict', 'A request with this Idempotency-Key is being processed concurrently; retry it in a moment.');
}
