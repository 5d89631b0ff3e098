/**
 * Sends representations: a cacheable one (ETag, Cache-Control, optional Last-Modified and Vary,
 * then 304 when the request's validators show the client's copy is current), or a plain answer.
 * The body is serialized once and written straight to the response with the headers Express's
 * `res.json`/`res.send` would set (`Content-Type`, `Content-Length`, in that order); Express's own
 * ETag is off.
 *
 * Issue 13: the body goes out in the negotiated format (middlewares/negotiate.ts): JSON exactly
 * as before, or HAL / HAL-FORMS rendered from it (hal.ts); `fields` trims notes (sparse
 * fieldsets). The ETag is always the hash of the full default JSON body (as this environment
 * sends it: indented in development, see utils/jsonBody.ts), with a suffix inside
 * the quotes naming the variant (`"<sha1>.hal"`, `"<sha1>.hal-forms"`, `".f-text+updatedAt"`),
 * so each representation has its own validator and a conditional write can compare the part
 * before the first dot with the resource's current state whatever representation the client holds.
 */
import type { Request, Response } from 'express';
import { cacheHeaders, isNotModified } from '../controllers/cachingController';
import { projectNote, projectPage, type FieldSelection } from '../controllers/fields';
import { formatOf, MEDIA_TYPES, type Format } from '../middlewares/negotiate';
import type { Link } from '../types/hypermedia';
import { toJsonBody } from '../utils/jsonBody';
import { IANA_RELS, render } from './hal';

/** How a representation may be cached, and which of its variants goes out. */
export interface RepresentationOptions {
  /** Epoch ms of the last change; only for single resources (a collection's date cannot see deletes). */
  lastModified?: number;
  /** Per-user representations vary with `Authorization` and are private. */
  isPrivate: boolean;
  /** A sparse fieldset: the members of each note to send (the payload is the full representation). */
  fields?: FieldSelection;
}

/** The ETag of a variant: the full JSON body's ETag with the variant's suffix inside the quotes. */
export function variantEtag(jsonEtag: string, format: Format, fields?: FieldSelection): string {
  let suffix = format === 'json' ? '' : `.${format}`;
  if (fields) suffix += `.f-${fields.join('+')}`;
  return suffix === '' ? jsonEtag : `${jsonEtag.slice(0, -1)}${suffix}"`;
}

/** Writes a serialized body with its type and length; a HEAD request gets the headers only. */
function writeBody(req: Request, res: Response, body: string, type: string): void {
  res.setHeader('Content-Type', `${type}; charset=utf-8`);
  res.setHeader('Content-Length', Buffer.byteLength(body, 'utf8'));
  if (req.method === 'HEAD') res.end();
  else res.end(body, 'utf8');
}

/** The body as the negotiated format shows it, serialized. */
function serialize(res: Response, payload: unknown, format: Format): string {
  return toJsonBody(format === 'json' ? payload : render(payload, format, extraLinksOf(res)));
}

/** A note or a page of notes trimmed to the selected fields. */
function project(payload: unknown, fields: FieldSelection): unknown {
  if (typeof payload !== 'object' || payload === null) return payload;
  return Array.isArray((payload as { notes?: unknown }).notes)
    ? projectPage(payload as Parameters<typeof projectPage>[0], fields)
    : projectNote(payload as Parameters<typeof projectNote>[0], fields);
}

/** Answers 200 with the representation, or 304 without it when the request's validators match. */
export function sendRepresentation(req: Request, res: Response, payload: unknown, options: RepresentationOptions): void {
  const format = formatOf(res);
  const full = toJsonBody(payload);
  const shown = options.fields ? project(payload, options.fields) : payload;
  const body = format === 'json' && !options.fields ? full : serialize(res, shown, format);
  const headers = cacheHeaders(full, options);
  headers.ETag = variantEtag(headers.ETag, format, options.fields);
  res.statusCode = 200;
  res.setHeader('ETag', headers.ETag);
  res.setHeader('Cache-Control', headers['Cache-Control']);
  if (headers['Last-Modified'] !== undefined) res.setHeader('Last-Modified', headers['Last-Modified']);
  if (options.isPrivate) {
    const vary = res.getHeader('Vary');
    if (vary === undefined) res.setHeader('Vary', 'Authorization');
    else if (vary === 'Accept') res.setHeader('Vary', 'Accept, Authorization'); // the usual case, without parsing
    else res.vary('Authorization');
  }
  // Weak If-None-Match comparison, lists, `*`, If-Modified-Since only without If-None-Match.
  if (isNotModified({ ifNoneMatch: req.headers['if-none-match'], ifModifiedSince: req.headers['if-modified-since'] }, headers)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  writeBody(req, res, body, MEDIA_TYPES[format]);
}

/** Answers a public, never-negotiated body (an HTML page, the OpenAPI document) with a strong ETag, or 304 when the client's copy is current. */
export function sendPublicBody(req: Request, res: Response, body: string, type: string): void {
  const headers = cacheHeaders(body, { isPrivate: false });
  res.setHeader('ETag', headers.ETag);
  res.setHeader('Cache-Control', headers['Cache-Control']);
  if (isNotModified({ ifNoneMatch: req.headers['if-none-match'], ifModifiedSince: req.headers['if-modified-since'] }, headers)) {
    res.status(304).end();
    return;
  }
  res.status(200).type(type).send(body);
}

/** Answers with a body in the negotiated format (not cacheable), e.g. 201 with the created resource; `headers` come first. */
export function sendJson(req: Request, res: Response, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  for (const name in headers) res.setHeader(name, headers[name]);
  const format = formatOf(res);
  writeBody(req, res, serialize(res, payload, format), MEDIA_TYPES[format]);
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
  res.setHeader('ETag', variantEtag(outcome.etag, formatOf(res)));
  const withBody = created ? preference !== 'minimal' : preference === 'representation';
  if (created) res.setHeader('Location', outcome.location);
  if (!withBody) {
    res.status(created ? 201 : 204).end();
    return;
  }
  if (!created) res.setHeader('Content-Location', outcome.location);
  sendJson(req, res, created ? 201 : 200, outcome.representation);
}

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
  // One header value, as `res.links` (setLinkHeader) reads and extends it.
  const previous = res.getHeader('Link');
  res.setHeader('Link', previous ? `${String(previous)}, ${values.join(', ')}` : values.join(', '));
}
