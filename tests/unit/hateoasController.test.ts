import {
  authLinks,
  errorLinks,
  link,
  noteItemLinks,
  noteLinks,
  noteNotFoundLinks,
  notesCollectionLinks,
  notesHref,
  notesSearchLink,
  paths,
  profileLinks,
  rootLinks,
} from '../../src/controllers/hateoasController';
import * as noteSchemas from '../../src/schemas/noteSchemas';

/** A list query as the schema makes it from the raw query string values. */
const listQuery = (raw: Record<string, string> = {}) => noteSchemas.listNotes.query.parse(raw);

describe('hateoasController', () => {
  it('builds root-relative paths, encoding ids', () => {
    expect(paths.note('12')).toBe('/notes/12');
    expect(paths.user('a/b')).toBe('/users/a%2Fb');
    expect(paths.client()).toBe('/client/');
  });

  it('link() defaults to GET', () => {
    expect(link('self', '/')).toEqual({ rel: 'self', href: '/', method: 'GET' });
  });

  it('root links reach every starting point', () => {
    expect(rootLinks().map((l) => `${l.method} ${l.href} ${l.rel}`)).toEqual([
      'GET / self',
      'POST /auth auth',
      'POST /users register',
      'GET /notes notes',
      'GET /client/ client',
      'GET /client/widget/latest-notes.js widget',
      'GET /client/widget/demo.html widget-demo',
      'GET /openapi.json service-desc',
      'GET /docs service-doc',
    ]);
  });

  it('auth links include the caller’s profile', () => {
    expect(authLinks('9').map((l) => l.rel)).toEqual(['self', 'notes', 'add-note', 'profile']);
    expect(authLinks('9')[3]).toEqual({ rel: 'profile', href: '/users/9', method: 'GET' });
  });

  it('note links offer every action on the note', () => {
    expect(noteLinks('4').map((l) => `${l.rel} ${l.method} ${l.href}`)).toEqual([
      'self GET /notes/4',
      'edit-text PATCH /notes/4',
      'update PUT /notes/4',
      'delete DELETE /notes/4',
      'notes GET /notes',
    ]);
    expect(noteItemLinks('4')).toEqual([{ rel: 'self', href: '/notes/4', method: 'GET' }]);
  });

  it('profile, 404 and error links', () => {
    expect(profileLinks('2').map((l) => `${l.rel} ${l.method} ${l.href}`)).toEqual(['self GET /users/2', 'edit PATCH /users/2', 'delete DELETE /users/2', 'notes GET /notes']);
    expect(noteNotFoundLinks()).toEqual([{ rel: 'notes', href: '/notes', method: 'GET' }]);
    expect(errorLinks()).toEqual([{ rel: 'root', href: '/', method: 'GET' }]);
  });

  it('the search link is an RFC 6570 template', () => {
    expect(notesSearchLink()).toEqual({ rel: 'search', href: '/notes{?q,sort,order,limit}', method: 'GET', templated: true });
  });

  it('notesHref writes the given parameters in a fixed order, encoded, skipping empty ones and defaults not given', () => {
    expect(notesHref(listQuery())).toBe('/notes');
    expect(notesHref(listQuery({ page: '2', limit: '5', q: '' }))).toBe('/notes?limit=5&page=2');
    expect(notesHref(listQuery({ q: 'a&b=c #1', order: 'desc' }))).toBe('/notes?q=a%26b%3Dc%20%231&order=desc');
    expect(notesHref(listQuery({ sort: 'updatedAt', page: '1' }))).toBe('/notes?sort=updatedAt&page=1');
  });

  it('notesHref with a page number sets page, keeping the other given parameters', () => {
    expect(notesHref(listQuery({ q: 'x', limit: '2', page: '5' }), 3)).toBe('/notes?q=x&limit=2&page=3');
    expect(notesHref(listQuery(), 2)).toBe('/notes?page=2');
  });

  it('collection links put self, add-note and search first, then the page moves given', () => {
    const moves = [link('first', '/notes?limit=2&page=1'), link('prev', '/notes?limit=2&page=1')];
    const links = notesCollectionLinks(listQuery({ limit: '2', page: '2' }), moves);

    expect(links.map((l) => l.rel)).toEqual(['self', 'add-note', 'search', 'first', 'prev']);
    expect(links[0].href).toBe('/notes?limit=2&page=2');
  });
});
