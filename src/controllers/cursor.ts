/**
 * Cursors of the notes collection: opaque, signed positions in one sorted view of one owner's
 * notes. A cursor names the sort key and the numeric id (`seq`) of the note it stands at and the
 * direction to move from it, never an offset, so notes inserted or deleted elsewhere in the list
 * do not shift it. It is `<base64url(JSON)>.<base64url(MAC)>`: the MAC (HMAC-SHA-256 with a key
 * derived from the token key, cut to 16 bytes) covers the payload and the owner, so a changed
 * cursor or someone else's is refused; the payload names the view (sort, order, a digest of q)
 * so one used with another view is refused with a message saying so.
 */
import crypto from 'node:crypto';
import { config } from '../config';
import type { ListQuery } from '../schemas/noteSchemas';
import { DomainError } from '../utils/DomainError';

/** Which way a cursor moves: to the notes after its position, or to those before it. */
export type CursorDirection = 'next' | 'prev';

/** A place in a sorted view: the sort key's value and the note's numeric id (unique, immutable; not creation order), which breaks ties. */
export interface CursorPosition {
  k: number;
  i: number;
}

/** A verified cursor: where it stands and which way it moves. */
export interface Cursor extends CursorPosition {
  d: CursorDirection;
}

/** What a cursor carries (version, view, position, direction). */
interface CursorPayload extends Cursor {
  v: 1;
  s: ListQuery['sort'];
  o: ListQuery['order'];
  /** A digest of q, when the view is a search (q itself may be long; the cursor stays short). */
  q?: string;
}

const MAC_BYTES = 16;
const MAC_LENGTH = Math.ceil((MAC_BYTES * 4) / 3);
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The cursor key: derived from the token key, so a cursor's MAC can never be taken for a token's signature. */
const cursorKeys = new WeakMap<crypto.KeyObject, Buffer>();
function cursorKey(): Buffer {
  const key = config.jwt.key;
  let derived = cursorKeys.get(key);
  if (!derived) {
    derived = crypto.createHmac('sha256', key).update('thunder-notes notes cursor v1').digest();
    cursorKeys.set(key, derived);
  }
  return derived;
}

function macOf(owner: string, payload: string): Buffer {
  return crypto.createHmac('sha256', cursorKey()).update(`${owner}\0${payload}`).digest().subarray(0, MAC_BYTES);
}

function queryDigest(q: string): string {
  return crypto.createHash('sha256').update(q, 'utf8').digest().subarray(0, 9).toString('base64url');
}

/** The cursor that moves `d` from `position` in `owner`'s view `query`. */
export function encodeCursor(owner: string, query: Pick<ListQuery, 'sort' | 'order' | 'q'>, position: CursorPosition, d: CursorDirection): string {
  const payload: CursorPayload = { v: 1, s: query.sort, o: query.order, ...(query.q !== undefined ? { q: queryDigest(query.q) } : {}), k: position.k, i: position.i, d };
  const encoded = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${encoded}.${macOf(owner, encoded).toString('base64url')}`;
}

function invalidCursor(detail: string): DomainError {
  return new DomainError('invalid', detail, { errors: [{ in: 'query', name: 'cursor', message: 'is not a cursor this API gave for this list; start again with cursor= (empty)' }] });
}

function isPayload(value: unknown): value is CursorPayload {
  const p = value as Partial<CursorPayload> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    p.v === 1 &&
    (p.s === 'createdAt' || p.s === 'updatedAt') &&
    (p.o === 'asc' || p.o === 'desc') &&
    (p.q === undefined || typeof p.q === 'string') &&
    typeof p.k === 'number' &&
    Number.isFinite(p.k) &&
    Number.isSafeInteger(p.i) &&
    (p.d === 'next' || p.d === 'prev')
  );
}

/**
 * The position and direction of `raw` (a non-empty `cursor` parameter) if this API made it for
 * `owner` and the view `query`; otherwise a domain error naming `cursor` (400). The MAC is checked
 * before the payload is parsed, in constant time.
 */
export function decodeCursor(owner: string, query: Pick<ListQuery, 'sort' | 'order' | 'q'>, raw: string): Cursor {
  const dot = raw.indexOf('.');
  const encoded = raw.slice(0, dot);
  const mac = raw.slice(dot + 1);
  if (dot < 1 || mac.length !== MAC_LENGTH || !BASE64URL.test(encoded) || !BASE64URL.test(mac)) {
    throw invalidCursor('The cursor is malformed: use the next, prev or first link of a page as it was given.');
  }
  const given = Buffer.from(mac, 'base64url');
  // A non-canonical encoding of the same bytes would be a second spelling of one cursor.
  if (given.length !== MAC_BYTES || given.toString('base64url') !== mac || !crypto.timingSafeEqual(given, macOf(owner, encoded))) {
    throw invalidCursor('The cursor was changed, or was given to another user: use the next, prev or first link of a page as it was given.');
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    payload = undefined;
  }
  if (!isPayload(payload)) throw invalidCursor('The cursor is not one this version of the API understands: start again with cursor= (empty).');
  const q = query.q === undefined ? undefined : queryDigest(query.q);
  if (payload.s !== query.sort || payload.o !== query.order || payload.q !== q) {
    throw invalidCursor(`The cursor belongs to another view of the notes (sort=${payload.s}, order=${payload.o}${payload.q === undefined ? ', no q' : ', a q'}): repeat its q, sort and order, or start again with cursor= (empty).`);
  }
  return { k: payload.k, i: payload.i, d: payload.d };
}
