/**
 * The one place the page talks HTTP. Every call takes an href the API handed out (or the
 * entry point), logs the exchange for the learner panel, and keeps its own ETag cache.
 *
 * Why an own cache: the API answers `Cache-Control: private, no-cache` with an ETag, so the
 * browser's cache would revalidate on its own, but fetch() then reports the 304 as a 200 and
 * the learner never sees it. Requests therefore go out with `cache: 'no-store'` and the page
 * sends `If-None-Match` itself; on a 304 it reuses the body it stored.
 *
 * Edits are conditional the other way round: a view that shows a note hands its ETag back as
 * `If-Match`, so the server refuses (412) to overwrite a version the user never saw, such as
 * one saved from another tab meanwhile.
 *
 * The explorer's composer sends requests exactly as composed (its own headers and raw body,
 * no cache), and every request is logged twice over: masked for the panel, and as it really
 * went out (token included) for "Copy as curl" and "Edit & resend" until log out. A token is
 * only ever sent to the page's own origin.
 */
import { hasHeader, JSON_ACCEPT } from './explorer-compose';
import { linkRows } from './explorer-links';
import { isSameOrigin } from './hash-route';
import { completeRequest, logRequest, type LogEntry, type RequestSource } from './log';
import type { HttpMethod, Link } from './links';
import { maskHeader, maskJwts, maskSecretMembers } from './mask';
import { getSession } from './session';

/** What a request came back with. `body` is parsed JSON when the response was JSON. */
export interface ApiResult {
  status: number;
  statusText: string;
  /** 2xx, or a 304 answered from the page's cache. */
  ok: boolean;
  headers: Headers;
  body: unknown;
  /** True for a 304 whose body was taken from the page's ETag cache. */
  revalidated: boolean;
  /**
   * The ETag of the representation in `body`: a 200 to GET, a 304 answered from the cache, or
   * a 200 to PUT/PATCH that applied `Prefer: return=representation`. Undefined otherwise (the
   * ETag of a 204 or a 412 names a version whose body the page does not have).
   */
  etag?: string;
  entry: LogEntry;
}

/** Options of one request. */
export interface SendOptions {
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as it is (the explorer's composer, whose body may be anything the user typed). */
  rawBody?: string;
  /** The bearer token: undefined means the session's, null means none. */
  token?: string | null;
  /** GET only: send If-None-Match when the page holds an ETag for this URL (default true). */
  conditional?: boolean;
  /**
   * PUT, PATCH, DELETE: the ETag of the version the user is changing, sent as `If-Match`. A weak
   * ETag is not sent: `If-Match` compares strongly, so it could never match.
   */
  ifMatch?: string;
  /** PUT, PATCH: ask for the changed resource in the answer (`Prefer: return=representation`). */
  returnRepresentation?: boolean;
  /** The Accept header (default: JSON and problem+json), e.g. HAL-FORMS to read a resource's templates. */
  accept?: string;
  /**
   * Every header of the request, exactly as composed in the explorer: nothing is added but the
   * token (when none of them is Authorization), and the page's ETag cache is not consulted.
   */
  headers?: Array<[string, string]>;
  /** Who sends it: the walkthrough marks its own requests, so the log can tell them from the user's. */
  source?: RequestSource;
}

/** Thrown when no HTTP answer arrived at all (server down, connection refused). */
export class NetworkError extends Error {}

interface CachedRepresentation {
  etag: string;
  body: unknown;
}

const etagCache = new Map<string, CachedRepresentation>();

// Responses vary on Authorization and Accept, so one user's (or one media type's) cached page
// must never answer for another.
function cacheKey(url: string, token: string | undefined, accept: string): string {
  return `${token ?? ''} ${accept} ${url}`;
}

/** After a change of the resource at this URL, no cached copy of it (in any media type, for any token) may answer a 304. */
function forgetUrl(url: string): void {
  for (const key of etagCache.keys()) if (key.endsWith(` ${url}`)) etagCache.delete(key);
}

function parseBody(text: string, contentType: string | null): unknown {
  if (text === '') return undefined;
  if (contentType && /json/i.test(contentType)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text; // a broken JSON body is still worth showing to the learner as text
    }
  }
  return text;
}

/** True when the server says the body of its answer is the target's new representation. */
function appliedReturnRepresentation(headers: Headers): boolean {
  return (headers.get('Preference-Applied') ?? '').split(',').some((p) => p.trim().toLowerCase() === 'return=representation');
}

/** A body as the HTTP log shows it: pretty JSON, with tokens and passwords masked. */
function displayBody(text: string, body: unknown): string {
  const pretty = typeof body === 'object' && body !== null ? JSON.stringify(maskSecretMembers(body), null, 2) : text;
  return maskJwts(pretty);
}

/** The body text of a request, if it has one. */
function requestBodyText(options: SendOptions): string | undefined {
  if (options.rawBody !== undefined) return options.rawBody;
  return options.body === undefined ? undefined : JSON.stringify(options.body);
}

/** The headers the page's own requests carry: Accept, Content-Type, and the conditional ones. */
function pageHeaders(method: HttpMethod, options: SendOptions, bodyText: string | undefined, cached: CachedRepresentation | undefined): Array<[string, string]> {
  const headers: Array<[string, string]> = [['Accept', options.accept ?? JSON_ACCEPT]];
  if (bodyText !== undefined) headers.push(['Content-Type', 'application/json']);
  const unsafe = method !== 'GET';
  if (unsafe && options.ifMatch && !options.ifMatch.startsWith('W/')) headers.push(['If-Match', options.ifMatch]);
  if (unsafe && options.returnRepresentation) headers.push(['Prefer', 'return=representation']);
  // The browser's own cache is bypassed (cache: 'no-store'), so the 304 reaches this page.
  if (cached) headers.push(['If-None-Match', cached.etag]);
  return headers;
}

/** Sends one request to an href from the API and logs it. */
export async function send(method: HttpMethod, href: string, options: SendOptions = {}): Promise<ApiResult> {
  const url = new URL(href, window.location.href).href;
  // The token goes to the page's own origin (the API's) only, whatever href an answer or the address bar held.
  const ownOrigin = isSameOrigin(url, window.location.href);
  const token = !ownOrigin ? undefined : options.token === undefined ? getSession()?.token : (options.token ?? undefined);
  const composed = options.headers !== undefined;
  const accept = options.accept ?? JSON_ACCEPT;
  const bodyText = requestBodyText(options);
  const key = cacheKey(url, token, accept);
  const cached = !composed && method === 'GET' && options.conditional !== false ? etagCache.get(key) : undefined;
  const headers = composed ? [...(options.headers ?? [])] : pageHeaders(method, options, bodyText, cached);
  if (token && !hasHeader(headers, 'Authorization')) headers.push(['Authorization', `Bearer ${token}`]);
  // fetch() would add this one itself for a text body; the log and "Copy as curl" show it too.
  if (bodyText !== undefined && !hasHeader(headers, 'Content-Type')) headers.push(['Content-Type', 'text/plain;charset=UTF-8']);

  const entry = logRequest({
    method,
    url: href,
    requestHeaders: headers.map(([n, v]) => [n, maskHeader(n, v)]),
    requestBody: bodyText === undefined ? undefined : displayBody(bodyText, options.body ?? parseBody(bodyText, 'json')),
    source: options.source,
    sent: { url, headers: headers.map(([n, v]) => [n, v]), body: bodyText },
  });
  const started = performance.now();

  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { method, headers, body: bodyText, cache: 'no-store', credentials: 'omit' });
    text = await response.text();
  } catch (err) {
    const message = `No answer from the server (${err instanceof Error ? err.message : String(err)}).`;
    completeRequest(entry, { status: 0, error: message, durationMs: Math.round(performance.now() - started) });
    throw new NetworkError(message);
  }

  const durationMs = Math.round(performance.now() - started);
  const responseHeaders: Array<[string, string]> = [];
  response.headers.forEach((value, name) => responseHeaders.push([name, maskHeader(name, value)]));
  let body = parseBody(text, response.headers.get('Content-Type'));
  let revalidated = false;
  let etag: string | undefined;

  if (response.status === 304 && cached) {
    body = cached.body;
    etag = cached.etag;
    revalidated = true;
  } else if (method === 'GET' && response.status === 200) {
    etag = response.headers.get('ETag') ?? undefined;
    if (etag && !composed) etagCache.set(key, { etag, body });
  } else if (method !== 'GET') {
    // Whatever an unsafe method answered (success, 412, 404), the stored body may no longer be
    // the resource's, so it must not answer a later 304. A representation the server returned
    // on purpose, with its ETag, is the current one and replaces it instead.
    forgetUrl(url);
    const fresh = response.status === 200 && method !== 'POST' && appliedReturnRepresentation(response.headers) ? response.headers.get('ETag') : null;
    if (fresh && body !== undefined) {
      etag = fresh;
      if (!composed) etagCache.set(key, { etag, body });
    }
  }

  const statusText = response.statusText || (response.status === 304 ? 'Not Modified' : '');
  completeRequest(entry, {
    status: response.status,
    statusText,
    responseHeaders,
    responseBody: text === '' ? undefined : displayBody(text, body),
    links: linkRows(body, response.headers.get('Link')),
    durationMs,
    revalidated,
  });
  return { status: response.status, statusText, ok: response.ok || revalidated, headers: response.headers, body, revalidated, etag, entry };
}

/** Follows a link: its own method, its own href. */
export function follow(link: Link, options: SendOptions = {}): Promise<ApiResult> {
  return send(link.method, link.href, options);
}

/** Forgets every stored ETag and body (on log out, so nothing of a user stays in memory). */
export function forgetCache(): void {
  etagCache.clear();
}
