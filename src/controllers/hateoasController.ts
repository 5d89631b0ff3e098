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
} as const;

/** Builds one link. */
export function link(rel: string, href: string, method: HttpMethod = 'GET'): Link {
  return { rel, href, method };
}

/**
 * The href of a view of the notes collection: the parameters the caller gave, in one fixed
 * order, with `page` set when one is named, e.g. `/notes?q=trip&limit=2&page=3`.
 */
export function notesHref(query: ListQuery, page?: number): string {
  const parts: string[] = [];
  for (const name of LIST_PARAMS) {
    const value = name === 'page' && page !== undefined ? page : query.given.includes(name) ? query[name] : undefined;
    if (value !== undefined) parts.push(`${name}=${encodeURIComponent(String(value))}`);
  }
  return parts.length > 0 ? `${paths.notes()}?${parts.join('&')}` : paths.notes();
}

/** The RFC 6570 template a client fills to search, sort or resize pages of notes. */
export function notesSearchLink(): Link {
  return { rel: 'search', href: `${paths.notes()}{?q,sort,order,limit}`, method: 'GET', templated: true };
}

/** The links of the entry point `/`: everything a client can start from. */
export function rootLinks(): Link[] {
  return [
    link('self', paths.root()),
    link('auth', paths.auth(), 'POST'),
    link('register', paths.users(), 'POST'),
    link('notes', paths.notes()),
    link('client', paths.client()),
  ];
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
