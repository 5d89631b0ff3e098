/**
 * HTTP caching values: strong ETags over the exact body sent, HTTP dates, and the header set
 * of a cacheable response. Whether a conditional GET is answered 304 is decided by the `fresh`
 * package (the one behind Express's `req.fresh`), never by comparing header strings here.
 */
import crypto from 'node:crypto';
import fresh from 'fresh';

/** Caching headers of a 200 (and of its 304). */
export interface CacheHeaders {
  ETag: string;
  'Cache-Control': string;
  'Last-Modified'?: string;
}

/** A strong ETag for an exact representation: any change of the bytes changes it. */
export function etagOf(body: string): string {
  // The one-shot hash: the same digest as createHash('sha1').update(body, 'utf8'), without a Hash object.
  return `"${crypto.hash('sha1', body, 'base64url')}"`;
}

/** An HTTP date (second precision) for epoch milliseconds. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** Headers for a representation that clients must revalidate before reuse; private when per-user. */
export function cacheHeaders(body: string, options: { lastModified?: number; isPrivate: boolean }): CacheHeaders {
  const headers: CacheHeaders = {
    ETag: etagOf(body),
    'Cache-Control': options.isPrivate ? 'private, no-cache' : 'no-cache',
  };
  if (options.lastModified !== undefined) headers['Last-Modified'] = httpDate(options.lastModified);
  return headers;
}

/** The request's validators, as sent. */
export interface Preconditions {
  ifNoneMatch?: string;
  ifModifiedSince?: string;
}

/**
 * Whether the client's copy is current (answer 304). Uses `fresh` with the validators only:
 * `fresh` also treats a request `Cache-Control: no-cache` as "never fresh", which is right for a
 * cache deciding whether to forward, but an origin server evaluates If-None-Match (or, without
 * it, If-Modified-Since) whatever the request's Cache-Control says (RFC 9110 §13.2.1). Browsers
 * add `no-cache` to every revalidation made with `fetch(..., {cache: 'no-store'})`.
 */
export function isNotModified(preconditions: Preconditions, headers: CacheHeaders): boolean {
  return fresh(
    { 'if-none-match': preconditions.ifNoneMatch, 'if-modified-since': preconditions.ifModifiedSince },
    { etag: headers.ETag, 'last-modified': headers['Last-Modified'] },
  );
}
