/**
 * Every link and href of the API is built here, from route names and parameters. Handlers ask
 * for links; they never concatenate a URL.
 */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One hypermedia control, as the contract shapes it. */
export interface Link {
  rel: string;
  href: string;
  method: HttpMethod;
  templated?: boolean;
}

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

/** The links every error response carries: back to the entry point. */
export function errorLinks(): Link[] {
  return [link('root', paths.root())];
}
