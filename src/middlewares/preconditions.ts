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

/**
 * The tags of an entity-tag list ('*' for any), or undefined when it is malformed. `strong`
 * (If-Match, strong comparison): weak tags can never match and are dropped. Otherwise
 * (If-None-Match, weak comparison): every tag, its `W/` removed.
 */
function parseEntityTags(value: string, strong: boolean): '*' | string[] | undefined {
  const trimmed = value.trim();
  if (trimmed === '*') return '*';
  const parts = trimmed.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0 || parts.length > MAX_ENTITY_TAGS) return undefined;
  const tags: string[] = [];
  for (const part of parts) {
    const m = ENTITY_TAG.exec(part);
    if (!m) return undefined;
    if (!strong) tags.push(`"${m[2]}"`);
    else if (!m[1]) tags.push(part);
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

/** The tags of an If-Match (strong) or If-None-Match header; 400 naming the header when it is malformed. */
function tagsOrRefuse(value: string, header: 'If-Match' | 'If-None-Match', hint: string): '*' | string[] {
  const tags = parseEntityTags(value, header === 'If-Match');
  if (tags !== undefined) return tags;
  throw new AppError(400, `${header} must be * or a comma-separated list of at most ${MAX_ENTITY_TAGS} quoted entity tags${hint}.`, {
    errors: [{ in: 'header', name: header, message: 'is not * or a list of entity tags' }],
  });
}

/** Reads the write's preconditions into the request context; 400 for a malformed If-Match, 428 when required and missing. */
export function preconditions(required: boolean): RequestHandler {
  return (req, res, next) => {
    const found: Preconditions = {};
    const ifMatch = req.headers['if-match'];
    if (ifMatch !== undefined) found.ifMatch = tagsOrRefuse(ifMatch, 'If-Match', ', as the ETag header gives them');
    const noneMatch = req.headers['if-none-match'];
    if (noneMatch !== undefined) found.ifNoneMatch = tagsOrRefuse(noneMatch, 'If-None-Match', '');
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
