/**
 * Sends JSON: a cacheable representation (ETag over the exact bytes, Cache-Control, optional
 * Last-Modified and Vary, then 304 when the request's validators show the client's copy is
 * current), or a plain JSON answer. The body is serialized once and written straight to the
 * response with the headers Express's `res.json`/`res.send` would set (`Content-Type:
 * application/json; charset=utf-8`, `Content-Length`, in that order); nothing else of theirs
 * applies here: Express's own ETag is off, and its freshness check could only agree with the one
 * made here, which sees the same validators.
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

const JSON_TYPE = 'application/json; charset=utf-8';

/** Writes a serialized JSON body with its type and length; a HEAD request gets the headers only. */
function writeJson(req: Request, res: Response, body: string): void {
  res.setHeader('Content-Type', JSON_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(body, 'utf8'));
  if (req.method === 'HEAD') res.end();
  else res.end(body, 'utf8');
}

/** Answers 200 with the JSON body, or 304 without it when the request's validators match. */
export function sendRepresentation(req: Request, res: Response, payload: unknown, options: RepresentationOptions): void {
  const body = JSON.stringify(payload);
  const headers = cacheHeaders(body, options);
  res.statusCode = 200;
  res.setHeader('ETag', headers.ETag);
  res.setHeader('Cache-Control', headers['Cache-Control']);
  if (headers['Last-Modified'] !== undefined) res.setHeader('Last-Modified', headers['Last-Modified']);
  if (options.isPrivate) {
    if (res.getHeader('Vary') === undefined) res.setHeader('Vary', 'Authorization');
    else res.vary('Authorization');
  }
  // Weak If-None-Match comparison, lists, `*`, If-Modified-Since only without If-None-Match.
  if (isNotModified({ ifNoneMatch: req.headers['if-none-match'], ifModifiedSince: req.headers['if-modified-since'] }, headers)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  writeJson(req, res, body);
}

/** Answers with a JSON body (not cacheable), e.g. 201 with the created resource; `headers` come first. */
export function sendJson(req: Request, res: Response, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  for (const name in headers) res.setHeader(name, headers[name]);
  writeJson(req, res, JSON.stringify(payload));
}

/** Writes the links with these rels into an RFC 8288 `Link` header (nothing when there are none). */
export function setLinkHeader(res: Response, links: readonly Link[], rels: readonly string[]): void {
  const chosen = links.filter((l) => rels.includes(l.rel));
  if (chosen.length > 0) res.links(Object.fromEntries(chosen.map((l) => [l.rel, l.href])));
}

/** What a write's `Prefer` header asks to get back (RFC 7240 §4.2), when it names `return`. */
export function preferredReturn(req: Request): 'representation' | 'minimal' | undefined {
  const header = req.get('prefer');
  if (header === undefined) return undefined;
  // Preferences are comma-separated; each is `token [= word] *(; parameter)`; names are case-insensitive.
  for (const preference of header.split(',')) {
    const [name, value] = preference.split(';')[0].split('=').map((part) => part.trim().replace(/^"(.*)"$/, '$1'));
    if (name.toLowerCase() !== 'return' || value === undefined) continue;
    const wanted = value.toLowerCase();
    if (wanted === 'representation' || wanted === 'minimal') return wanted;
  }
  return undefined;
}

/** The outcome of a write, as its answer shows it. */
export interface WriteOutcome {
  /** The resource's representation after the write, as GET shows it. */
  representation: unknown;
  /** That representation's ETag. */
  etag: string;
  /** Where the resource is: `Location` of a 201, `Content-Location` of a 200 after PUT/PATCH. */
  location: string;
}

/**
 * Answers a write. A creation (201) sends the new resource by default; an update (PUT/PATCH)
 * answers 204 by default. `Prefer: return=representation` makes an update 200 with the body,
 * `return=minimal` makes a creation bodiless; either is confirmed by `Preference-Applied`. The
 * ETag of the resource as it now is comes with every answer, so a client can chain conditional
 * writes without a GET.
 */
export function sendWritten(req: Request, res: Response, created: boolean, outcome: WriteOutcome): void {
  const preference = preferredReturn(req);
  res.vary('Prefer');
  if (preference) res.setHeader('Preference-Applied', `return=${preference}`);
  res.setHeader('ETag', outcome.etag);
  const withBody = created ? preference !== 'minimal' : preference === 'representation';
  if (created) res.setHeader('Location', outcome.location);
  if (!withBody) {
    res.status(created ? 201 : 204).end();
    return;
  }
  if (!created) res.setHeader('Content-Location', outcome.location);
  sendJson(req, res, created ? 201 : 200, outcome.representation);
}

/** Relation types registered with IANA that the API uses as they are; every other rel is ours (`/rels/{rel}`). */
export const IANA_RELS: ReadonlySet<string> = new Set(['self', 'first', 'prev', 'next', 'last', 'search', 'edit', 'item', 'describedby', 'service-desc', 'service-doc']);

/** The links a response carries beyond its JSON body, by response (HAL puts them into `_links`). */
const extraLinks = new WeakMap<Response, Link[]>();

/** The links added with `addLinks` to this response so far. */
export function extraLinksOf(res: Response): readonly Link[] {
  return extraLinks.get(res) ?? [];
}

/**
 * Adds links that the frozen JSON body does not carry (issue 13: no dead ends): into the `Link`
 * header now (RFC 8288; our own rels as absolute `/rels/{rel}` URIs, as extension relation types
 * must be URIs, with the method as `title` when it is not GET), and into `_links` when the
 * answer is HAL.
 */
export function addLinks(res: Response, links: readonly Link[]): void {
  if (links.length === 0) return;
  extraLinks.set(res, [...extraLinksOf(res), ...links]);
  const req = res.req;
  const origin = `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  const values = links.map((l) => {
    const rel = IANA_RELS.has(l.rel) ? l.rel : `${origin}/rels/${l.rel}`;
    const title = l.method !== 'GET' ? `; title="${l.method}"` : '';
    return `<${l.href}>; rel="${rel}"${title}`;
  });
  res.append('Link', values.join(', '));
}
