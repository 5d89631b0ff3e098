/**
 * Conditional writes (RFC 9110 §13): whether a request's `If-Match`/`If-Unmodified-Since` hold
 * for a resource's current representation, and the failure that says they do not (412 with the
 * current ETag). The write itself is made by the caller with a filter naming every field the
 * representation is made of, so it applies only to the state that was compared: a writer that
 * lost a race matches nothing and learns so from its own write (compare-and-swap).
 */
import { DomainError } from '../utils/DomainError';
import { toJsonBody } from '../utils/jsonBody';
import { etagOf } from './cachingController';

/** What a write's request asks of the current state. */
export interface Preconditions {
  /** `*` (any current representation) or the strong entity tags of which one must match. */
  ifMatch?: '*' | string[];
  /** Epoch ms: the resource must not have changed after this (second precision, as HTTP dates). */
  ifUnmodifiedSince?: number;
  /** `*` (no current representation) or tags none of which may match (weak comparison: `W/` dropped). */
  ifNoneMatch?: '*' | string[];
}

/** The state a precondition is compared with. */
export interface CurrentState {
  etag: string;
  /** Epoch ms of the last change. */
  lastModified: number;
}

/** Whether any precondition was given. */
export function isConditional(p: Preconditions | undefined): boolean {
  return p !== undefined && (p.ifMatch !== undefined || p.ifUnmodifiedSince !== undefined || p.ifNoneMatch !== undefined);
}

/**
 * Whether the preconditions hold (RFC 9110 §13.2.2: If-Match first; If-Unmodified-Since only
 * without it; then If-None-Match). If-Match compares strongly (the tags were parsed without weak
 * ones); If-None-Match weakly (its tags were parsed without `W/`; ours are strong).
 */
/**
 * The tag a representation's ETag stands for: `"<sha1>.hal.f-text"` → `"<sha1>"` (the HAL, HAL-FORMS
 * and sparse variants carry the full JSON body's hash before the first dot; handlers/respond.ts).
 */
export function baseTag(tag: string): string {
  const dot = tag.indexOf('.');
  return dot === -1 ? tag : `${tag.slice(0, dot)}"`;
}

export function preconditionsHold(p: Preconditions | undefined, current: CurrentState): boolean {
  if (!p) return true;
  const matches = (tags: string[]) => tags.some((tag) => baseTag(tag) === current.etag);
  if (p.ifMatch !== undefined) {
    if (p.ifMatch !== '*' && !matches(p.ifMatch)) return false;
  } else if (p.ifUnmodifiedSince !== undefined) {
    if (Math.floor(current.lastModified / 1000) * 1000 > p.ifUnmodifiedSince) return false;
  }
  // Step 3 (§13.2.2): on a write, a matching If-None-Match (any tag, or * for a resource that exists) fails.
  if (p.ifNoneMatch !== undefined) return p.ifNoneMatch !== '*' && !matches(p.ifNoneMatch);
  return true;
}

/** The strong ETag of a representation, exactly as `sendRepresentation` computes it for GET (of the body as this environment sends it). */
export function representationEtag(representation: unknown): string {
  return etagOf(toJsonBody(representation));
}

/** The failure of a precondition: 412, carrying the current ETag so the client can decide. */
export function preconditionFailed(resource: 'note' | 'user', etag: string): DomainError {
  return new DomainError(
    'precondition-failed',
    `The ${resource} has changed since the version your precondition names (its ETag is now ${etag}). Fetch it again, then repeat the change if it still applies.`,
    { resource, etag },
  );
}

/** Compare-and-swap rounds of one write before it gives up with 409 (each lost only to a concurrent write). */
export const WRITE_ATTEMPTS = 3;

/** A resource's stored state as a conditional write reads it. */
export interface ReadState<S> {
  state: S;
  etag: string;
  /** Epoch ms of its last change (If-Unmodified-Since). */
  lastModified: number;
}

/**
 * A write made only to the state the preconditions were compared with: `read` the current state
 * (it throws the resource's 404 when there is none), compare (412 with its ETag when the
 * preconditions fail), then `write`, which must match exactly that state and answers undefined
 * when it matched nothing: a concurrent writer got in between, and the round starts over from a
 * fresh read, at most WRITE_ATTEMPTS times; then 409 with `conflict` as its detail.
 */
export async function writeInState<S, R>(
  resource: 'note' | 'user',
  preconditions: Preconditions | undefined,
  read: () => Promise<ReadState<S>>,
  write: (state: S) => Promise<R | undefined>,
  conflict: string,
): Promise<R> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const current = await read();
    if (!preconditionsHold(preconditions, current)) throw preconditionFailed(resource, current.etag);
    const written = await write(current.state);
    if (written !== undefined) return written;
  }
  throw new DomainError('conflict', conflict);
}
