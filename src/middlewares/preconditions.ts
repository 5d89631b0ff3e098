/**
 * The preconditions of a write (RFC 9110 §13.1): `If-Match`, `If-Unmodified-Since` and
 * `If-None-Match` (on a write: "only if my copy is not current", `*`: "only if it does not exist"), parsed
 * here into the request context; the controller compares them with the resource's current state
 * and makes the write only while that state is still the one compared (see conditionalWrites).
 * A malformed `If-Match` is 400 (a client that meant a condition must not have it silently
 * dropped); an `If-Unmodified-Since` that is not an HTTP date is ignored, as RFC 9110 §13.1.4
 * says. With `required` (TN_REQUIRE_IF_MATCH), a write carrying neither is 428 (RFC 6585).
 */
import type { RequestHandler } from 'express';
import type { Preconditions } from '../controllers/conditionalWrites';
import { setContext } from '../requestContext';
import { AppError } from '../utils/AppError';

/** Entity tags in one header at most; a longer list is refused (400), not scanned. */
export const MAX_ENTITY_TAGS = 50;

// An entity tag (RFC 9110 §8.8.3): optional W/ then a quoted string of etagc characters.
const ENTITY_TAG = /^(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/;

/** The strong tags of an `If-Match` value ('*' for any), or undefined when it is malformed. Weak tags never match (strong comparison) and are dropped. */
export function parseIfMatch(value: string): '*' | string[] | undefined {
  const trimmed = value.trim();
  if (trimmed === '*') return '*';
  const parts = trimmed.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0 || parts.length > MAX_ENTITY_TAGS) return undefined;
  const strong: string[] = [];
  for (const part of parts) {
    const m = ENTITY_TAG.exec(part);
    if (!m) return undefined;
    if (!m[1]) strong.push(part);
  }
  return strong;
}

/** The opaque tags of an `If-None-Match` value ('*' for any), weak or strong alike (weak comparison), or undefined when it is malformed. */
export function parseIfNoneMatch(value: string): '*' | string[] | undefined {
  const trimmed = value.trim();
  if (trimmed === '*') return '*';
  const parts = trimmed.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0 || parts.length > MAX_ENTITY_TAGS) return undefined;
  const tags: string[] = [];
  for (const part of parts) {
    const m = ENTITY_TAG.exec(part);
    if (!m) return undefined;
    tags.push(`"${m[2]}"`);
  }
  return tags;
}

/** Epoch ms of an HTTP date, or undefined when it is not one. */
function parseHttpDate(value: string): number | undefined {
  // IMF-fixdate and the two obsolete forms all parse with Date; anything else is not a date.
  if (!/^[A-Za-z]{3,9}, /.test(value.trim()) && !/^[A-Za-z]{3} [A-Za-z]{3} /.test(value.trim())) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Reads the write's preconditions into the request context; 400 for a malformed If-Match, 428 when required and missing. */
export function preconditions(required: boolean): RequestHandler {
  return (req, res, next) => {
    const found: Preconditions = {};
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined) {
      const tags = parseIfMatch(ifMatch);
      if (tags === undefined) {
        throw new AppError(400, `If-Match must be * or a comma-separated list of at most ${MAX_ENTITY_TAGS} quoted entity tags, as the ETag header gives them.`, {
          errors: [{ in: 'header', name: 'If-Match', message: 'is not * or a list of entity tags' }],
        });
      }
      found.ifMatch = tags;
    }
    const noneMatch = req.headers['if-none-match'];
    if (noneMatch !== undefined) {
      const tags = parseIfNoneMatch(noneMatch);
      if (tags === undefined) {
        throw new AppError(400, `If-None-Match must be * or a comma-separated list of at most ${MAX_ENTITY_TAGS} quoted entity tags.`, {
          errors: [{ in: 'header', name: 'If-None-Match', message: 'is not * or a list of entity tags' }],
        });
      }
      found.ifNoneMatch = tags;
    }
    const since = req.headers['if-unmodified-since'];
    if (since !== undefined) {
      const ms = parseHttpDate(since);
      if (ms !== undefined) found.ifUnmodifiedSince = ms;
    }
    if (required && found.ifMatch === undefined && found.ifUnmodifiedSince === undefined) {
      throw new AppError(428, 'This server requires a conditional write: send If-Match with the ETag of your copy (from GET), or If-Unmodified-Since.', {
        title: 'Precondition Required',
      });
    }
    setContext(res, 'preconditions', found);
    next();
  };
}
