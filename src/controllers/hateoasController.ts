/**
 * Every link and href of the API is built here, from route names and parameters. Handlers ask
 * for links; they never concatenate a URL.
 */
import { LIST_PARAMS, type ListQuery } from '../schemas/noteSchemas';
import type { HttpMethod, Link } from '../types/hypermedia';

export type { HttpMethod, Link } from '../types/hypermedia';

/** Root-relative paths of the API's resources. */
export const paths = {
  root: () => '/',
  auth: () => '/auth',
  users: () => '/users',
  user: (id: string) => `/users/${encodeURIComponent(id)}`,
  notes: () => '/notes',
  note: (id: string) => `/notes/${encodeURIComponent(id)}`,
  client: () => '/client/',
  widget: () => '/client/widget/latest-notes.js',
  widgetDemo: () => '/client/widget/demo.html',
  openapi: () => '/openapi.json',
  docs: () => '/docs',
} as const;

/** Builds one link. */
export function link(rel: string, href: string, method: HttpMethod = 'GET'): Link {
  return { rel, href, method };
}

/**
 * The href of a view of the notes collection: the parameters the caller gave, in one fixed
 * order, with `page` set when one is named, e.g. `/notes?q=trip&limit=2&page=3`. A cursor view
 * (the query has a cursor, or `cursor` names one; `''` is the start) writes `cursor` last instead
 * of `page`, e.g. `/notes?limit=7&cursor=eyJ2Ijox…`.
 */
export function notesHref(query: ListQuery, page?: number, cursor?: string): string {
  const at = cursor ?? (page === undefined ? query.cursor : undefined);
  const parts: string[] = [];
  for (const name of LIST_PARAMS) {
    if (name === 'page' && at !== undefined) continue;
    const value = name === 'page' && page !== undefined ? page : query.given.includes(name) ? query[name] : undefined;
    if (value !== undefined) parts.push(`${name}=${encodeURIComponent(String(value))}`);
  }
  if (at !== undefined) parts.push(`cursor=${encodeURIComponent(at)}`);
  return parts.length > 0 ? `${paths.notes()}?${parts.join('&')}` : paths.notes();
}

/** The RFC 6570 template a client fills to search, sort or resize pages of notes. */
export function notesSearchLink(): Link {
  return { rel: 'search', href: `${paths.notes()}{?q,sort,order,limit}`, method: 'GET', templated: true };
}

/**
 * The search template with both ways to move, page numbers and cursors (`cursor=` empty starts
 * at the first note): what HAL and HAL-FORMS advertise; the JSON `search` link stays as it was.
 */
export function notesSearchLinkFull(): Link {
  return { rel: 'search', href: `${paths.notes()}{?q,sort,order,limit,page,cursor}`, method: 'GET', templated: true };
}

/** The links of the entry point `/`: everything a client can start from. */
export function rootLinks(): Link[] {
  return [
    link('self', paths.root()),
    link('auth', paths.auth(), 'POST'),
    link('register', paths.users(), 'POST'),
    link('notes', paths.notes()),
    link('client', paths.client()),
    // Code on demand (issue 15): a script any page can load to show the caller's latest notes, and a page that does.
    link('widget', paths.widget()),
    link('widget-demo', paths.widgetDemo()),
    ...describedByLinks(),
  ];
}

/** The API's descriptions (RFC 8631): the OpenAPI document and the page that shows it; `/` offers them in its body and its `Link` header. */
export function describedByLinks(): Link[] {
  return [link('service-desc', paths.openapi()), link('service-doc', paths.docs())];
}

/** Links of a successful login: where an authenticated client goes next. */
export function authLinks(userId: string): Link[] {
  return [
    link('self', paths.auth(), 'POST'),
    link('notes', paths.notes()),
    link('add-note', paths.notes(), 'POST'),
    link('profile', paths.user(userId)),
  ];
}

/** Links of a user's profile: everything its owner may do with it (change the name or password, delete the account), and their notes. */
export function profileLinks(userId: string): Link[] {
  return [
    link('self', paths.user(userId)),
    link('edit', paths.user(userId), 'PATCH'),
    link('delete', paths.user(userId), 'DELETE'),
    link('notes', paths.notes()),
  ];
}

/** Links of a single note as `GET /notes/{id}` shows it: everything the owner may do with it. */
export function noteLinks(noteId: string): Link[] {
  return [
    link('self', paths.note(noteId)),
    link('edit-text', paths.note(noteId), 'PATCH'),
    link('update', paths.note(noteId), 'PUT'),
    link('delete', paths.note(noteId), 'DELETE'),
    link('notes', paths.notes()),
  ];
}

/** Links of a note inside the collection: just `self`. */
export function noteItemLinks(noteId: string): Link[] {
  return [link('self', paths.note(noteId))];
}

/** Links of a page of the notes collection: self (the caller's view), add-note, search, then the page moves. */
export function notesCollectionLinks(query: ListQuery, pageMoves: Link[]): Link[] {
  return [link('self', notesHref(query)), link('add-note', paths.notes(), 'POST'), notesSearchLink(), ...pageMoves];
}

/** Links of a 404 for a note: back to the caller's notes. */
export function noteNotFoundLinks(): Link[] {
  return [link('notes', paths.notes())];
}

/** The links every error response carries: back to the entry point. */
export function errorLinks(): Link[] {
  return [link('root', paths.root())];
}

// --- Issue 13, part D: no dead ends. These links travel in the `Link` header (and HAL `_links`),
// never in a JSON body, whose shape is frozen. ---

/** The path of the documentation page of one of our link relations, or of their index. */
export function relDocPath(rel?: string): string {
  return rel === undefined ? '/rels' : `/rels/${encodeURIComponent(rel)}`;
}

/** The link to the caller's profile, which otherwise only a login's answer shows. */
export function profileLink(userId: string): Link {
  return link('profile', paths.user(userId));
}

/** What `/` adds for a caller with a valid token: their profile and their notes. */
export function callerRootLinks(userId: string): Link[] {
  return [profileLink(userId), link('notes', paths.notes())];
}

/** Links of a 401: how to get a token (log in), or an account to log in with (register). */
export function unauthorizedLinks(): Link[] {
  return [link('auth', paths.auth(), 'POST'), link('register', paths.users(), 'POST')];
}

/** Links of a registration's 201: log in next (the account has no token yet), and the new profile. */
export function registeredLinks(userId: string): Link[] {
  return [link('auth', paths.auth(), 'POST'), profileLink(userId)];
}

/**
 * Links of a 405: the same resource once per method it allows, rel `self` (the target is the
 * resource the request named; the method is what differs). `path` is the request's own path,
 * with anything that may not stand in a URI reference percent-encoded, so it cannot break out
 * of the header's `<…>`.
 */
export function allowedMethodLinks(path: string, methods: readonly HttpMethod[]): Link[] {
  const href = path.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (c) => encodeURIComponent(c));
  return methods.map((method) => link('self', href, method));
}
