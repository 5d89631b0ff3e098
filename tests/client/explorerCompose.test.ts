/**
 * Unit tests of the explorer's composer logic (client/src/explorer-compose.ts), fed with what
 * the API itself produces: HAL-FORMS bodies rendered by src/handlers/hal.ts and the OpenAPI
 * document of src/openapi/document.ts.
 */
import {
  draftForLink,
  draftFromSent,
  draftHeaders,
  exampleFor,
  findOperation,
  findTemplate,
  headerLines,
  operationExample,
  parseHeaderLines,
  templateBody,
} from '../../client/src/explorer-compose';
import { render } from '../../src/handlers/hal';
import { openApiDocument } from '../../src/openapi/document';

const note = {
  id: '7',
  text: 'Milk',
  createdAt: 1,
  updatedAt: 2,
  links: [
    { rel: 'self', href: '/notes/7', method: 'GET' as const },
    { rel: 'edit-text', href: '/notes/7', method: 'PATCH' as const },
    { rel: 'update', href: '/notes/7', method: 'PUT' as const },
    { rel: 'delete', href: '/notes/7', method: 'DELETE' as const },
  ],
};
const page = { notes: [note], links: [{ rel: 'self', href: '/notes', method: 'GET' as const }, { rel: 'add-note', href: '/notes', method: 'POST' as const }] };

describe('HAL-FORMS prefill', () => {
  const halForms = render(note, 'hal-forms');

  it('finds the template of a link by method and target, the rel’s own before `default`', () => {
    expect(findTemplate(halForms, 'PUT', '/notes/7', 'update')?.name).toBe('update');
    expect(findTemplate(halForms, 'PATCH', '/notes/7')?.name).toBe('edit-text');
    expect(findTemplate(halForms, 'PUT', '/notes/8')).toBeUndefined();
    expect(findTemplate(render(note, 'json'), 'PUT', '/notes/7')).toBeUndefined();
  });

  it('fills a PUT body with the note as it is now', () => {
    const found = findTemplate(halForms, 'PUT', '/notes/7', 'update');
    expect(templateBody(found?.template ?? {})).toEqual({ body: { id: '7', text: 'Milk', createdAt: 1, updatedAt: 2 }, optional: [] });
  });

  it('fills a POST body with the required properties, empty', () => {
    const found = findTemplate(render(page, 'hal-forms'), 'POST', '/notes', 'add-note');
    expect(templateBody(found?.template ?? {})).toEqual({ body: { text: '' }, optional: [] });
  });

  it('leaves optional properties without a value out and names them', () => {
    const template = { method: 'PATCH', properties: [{ name: 'name', required: false, value: 'Ada' }, { name: 'password', required: false, type: 'password' }, { name: 'n', required: true, type: 'number' }] };
    expect(templateBody(template)).toEqual({ body: { name: 'Ada', n: 0 }, optional: ['password'] });
  });
});

describe('OpenAPI prefill', () => {
  const doc = openApiDocument();

  it('matches an href to its operation, a path without variables first', () => {
    expect(findOperation(doc, 'PUT', '/notes/42')?.path).toBe('/notes/{id}');
    expect(findOperation(doc, 'POST', '/notes?x=1')?.path).toBe('/notes');
    expect(findOperation(doc, 'PUT', '/nothing/here')).toBeUndefined();
  });

  it('builds an example body from the operation’s JSON request schema', () => {
    const put = findOperation(doc, 'PUT', '/notes/42');
    // The schemas' own examples (issue 14) fill what they cover; the rest gets an empty value of its type.
    expect(operationExample(doc, put?.operation ?? {})).toEqual({ id: '', text: 'Remember the milk', createdAt: 0, updatedAt: 0 });
    const register = findOperation(doc, 'POST', '/users');
    expect(operationExample(doc, register?.operation ?? {})).toEqual({ name: 'Ada', email: 'ada@example.com', password: 'correct horse battery' });
    const del = findOperation(doc, 'DELETE', '/notes/42');
    expect(operationExample(doc, del?.operation ?? {})).toBeUndefined();
  });

  it('prefers a schema’s example, default and enum, and stops at a cycle', () => {
    const cyclic = { components: { schemas: { Node: { type: 'object', properties: { child: { $ref: '#/components/schemas/Node' } } } } } };
    expect(exampleFor({}, { type: 'string', example: 'x', default: 'y' })).toBe('x');
    expect(exampleFor({}, { type: 'integer', default: 3 })).toBe(3);
    expect(exampleFor({}, { enum: ['asc', 'desc'] })).toBe('asc');
    expect(exampleFor({}, { type: 'array' })).toEqual([]);
    expect(JSON.stringify(exampleFor(cyclic, { $ref: '#/components/schemas/Node' }))).toMatch(/null/);
  });
});

describe('drafts', () => {
  it('a link’s draft has the headers its method needs and the session’s token', () => {
    expect(draftForLink('PATCH', '/notes/7', true)).toEqual({
      method: 'PATCH',
      href: '/notes/7',
      headers: [
        ['Accept', 'application/json, application/problem+json'],
        ['Content-Type', 'application/json'],
      ],
      body: '{}',
      token: 'session',
    });
    expect(draftForLink('DELETE', '/notes/7', false)).toMatchObject({ body: '', token: 'none', headers: [['Accept', 'application/json, application/problem+json']] });
  });

  it('a logged request’s draft keeps its headers and body and knows whose token it carried', () => {
    const sent = { url: 'http://h/notes/7', headers: [['Accept', 'a'], ['Authorization', 'Bearer other']] as Array<[string, string]>, body: '{"text":"x"}' };
    const draft = draftFromSent('PUT', '/notes/7', sent, 'mine');
    expect(draft).toMatchObject({ method: 'PUT', href: '/notes/7', headers: [['Accept', 'a']], body: '{"text":"x"}', token: 'original', originalAuthorization: 'Bearer other' });
    expect(draftHeaders(draft, 'mine')).toEqual([['Accept', 'a'], ['Authorization', 'Bearer other']]);
    expect(draftHeaders({ ...draft, token: 'session' }, 'mine')).toEqual([['Accept', 'a'], ['Authorization', 'Bearer mine']]);
    expect(draftHeaders({ ...draft, token: 'none' }, 'mine')).toEqual([['Accept', 'a']]);
    expect(draftFromSent('GET', '/', { ...sent, headers: [['Authorization', 'Bearer mine']] }, 'mine').token).toBe('session');
    // A typed Authorization header wins over the token choice.
    expect(draftHeaders({ ...draft, headers: [['authorization', 'Basic x']], token: 'session' }, 'mine')).toEqual([['authorization', 'Basic x']]);
  });

  it('reads and writes header lines, and names a line that is no header', () => {
    const headers: Array<[string, string]> = [['Accept', 'application/json'], ['If-Match', '"a:b"']];
    expect(parseHeaderLines(`${headerLines(headers)}\n\n`)).toEqual(headers);
    expect(() => parseHeaderLines('Accept: x\nno colon here')).toThrow('Header line 2 is not "Name: value": no colon here');
    expect(() => parseHeaderLines('Bad Name: x')).toThrow('Header line 1');
  });
});
