/**
 * Sends a cacheable JSON representation: ETag over the exact bytes, Cache-Control, optional
 * Last-Modified and Vary, then 304 when the request's validators show the client's copy is current.
 */
import type { Request, Response } from 'express';
import { cacheHeaders, isNotModified } from '../controllers/cachingController';
import type { Link } from '../types/hypermedia';

/** How a representation may be cached. */
export interface RepresentationOptions {
  /** Epoch ms of the last change; only for single resources (a collection's date cannot see deletes). */
  lastModified?: number;
  /** Per-user representations vary with `Authorization` and are private. */
  isPrivate: boolean;
}

/** Answers 200 with the JSON body, or 304 without it when the request's validators match. */
export function sendRepresentation(req: Request, res: Response, payload: unknown, options: RepresentationOptions): void {
  const body = JSON.stringify(payload);
  const headers = cacheHeaders(body, options);
  res.status(200).set(headers);
  if (options.isPrivate) res.vary('Authorization');
  // Weak If-None-Match comparison, lists, `*`, If-Modified-Since only without If-None-Match.
  if (isNotModified({ ifNoneMatch: req.get('If-None-Match'), ifModifiedSince: req.get('If-Modified-Since') }, headers)) {
    res.status(304).end();
    return;
  }
  res.type('application/json').send(body);
}

/** Writes the links with these rels into an RFC 8288 `Link` header (nothing when there are none). */
export function setLinkHeader(res: Response, links: readonly Link[], rels: readonly string[]): void {
  const chosen = links.filter((l) => rels.includes(l.rel));
  if (chosen.length > 0) res.links(Object.fromEntries(chosen.map((l) => [l.rel, l.href])));
}
