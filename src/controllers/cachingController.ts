/**
 * HTTP caching values: strong ETags over the exact body sent, HTTP dates, and the header set
 * of a cacheable response. Freshness itself is decided by Express's `req.fresh` (the `fresh`
 * package), never by comparing header strings here.
 */
import crypto from 'node:crypto';

/** Caching headers of a 200 (and of its 304). */
export interface CacheHeaders {
  ETag: string;
  'Cache-Control': string;
  'Last-Modified'?: string;
}

/** A strong ETag for an exact representation: any change of the bytes changes it. */
export function etagOf(body: string): string {
  return `"${crypto.createHash('sha1').update(body, 'utf8').digest('base64url')}"`;
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
