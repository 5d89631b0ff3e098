/**
 * HAL and HAL-FORMS (issue 13): content negotiation on every resource and error, 406, Vary,
 * ETags per representation (and conditional writes that accept any of them), HAL-FORMS templates
 * generated from the zod schemas, and a journey driven by a HAL client library (ketting) that
 * knows only `/` and rel names.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerAuth, Ketting } from 'ketting';
import request from 'supertest';
import { z } from 'zod';
import { app } from '../../src/app';
import { formProperties } from '../../src/handlers/hal';
import * as noteSchemas from '../../src/schemas/noteSchemas';
import * as userSchemas from '../../src/schemas/userSchemas';
import { useTestDb } from '../helpers/db';
import { uniqueEmail } from '../helpers/ids';
import { expectProblem, newNote, newUser, type TestUser } from './helpers';

useTestDb();
let user: TestUser;
beforeAll(async () => {
  user = await newUser('Hal');
});

const HAL = 'application/hal+json';
const FORMS = 'application/prs.hal-forms+json';

describe('content negotiation', () => {
  it('no Accept, */* and application/json give today’s JSON, byte for byte, with its ETag', async () => {
    const note = await newNote(user, 'negotiated');
    const plain = await request(app).get(`/notes/${note.id}`).set(user.auth);
    const star = await request(app).get(`/notes/${note.id}`).set(user.auth).set('Accept', '*/*');
    const json = await request(app).get(`/notes/${note.id}`).set(user.auth).set('Accept', 'application/json');

    expect(plain.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(star.text).toBe(plain.text);
    expect(json.text).toBe(plain.text);
    expect(new Set([plain.headers.etag, star.headers.etag, json.headers.etag]).size).toBe(1);
    expect(plain.headers.vary).toMatch(/Accept/);
  });

  it('a note in HAL: data, _links keyed by rel (ours with the tn: CURIE), titles, curies; its own ETag; 304 on it', async () => {
    const note = await newNote(user, 'in HAL');

    const res = await request(app).get(`/notes/${note.id}`).set(user.auth).set('Accept', HAL);
    const again = await request(app).get(`/notes/${note.id}`).set(user.auth).set('Accept', HAL).set('If-None-Match', res.headers.etag);
    const json = await request(app).get(`/notes/${note.id}`).set(user.auth);

    expect(res.headers['content-type']).toBe('application/hal+json; charset=utf-8');
    expect(res.body).toEqual({
      id: note.id,
      text: 'in HAL',
      createdAt: note.createdAt,
      updatedAt: note.updatedAt,
      _links: {
        self: { href: `/notes/${note.id}`, title: expect.any(String) },
        'tn:edit-text': { href: `/notes/${note.id}`, title: expect.any(String) },
        'tn:update': { href: `/notes/${note.id}`, title: expect.any(String) },
        'tn:delete': { href: `/notes/${note.id}`, title: expect.any(String) },
        'tn:notes': { href: '/notes', title: expect.any(String) },
        'tn:profile': { href: `/users/${user.id}`, title: expect.any(String) },
        curies: [{ name: 'tn', href: '/rels/{rel}', templated: true }],
      },
    });
    expect(res.headers.etag).not.toBe(json.headers.etag);
    expect(res.headers.etag).toBe(`${json.headers.etag.slice(0, -1)}.hal"`);
    expect(again.status).toBe(304);
  });

  it('a page in HAL: page metadata as a property, the notes in _embedded.item, the search template advertising page and cursor', async () => {
    const pager = await newUser('Pager');
    for (const text of ['paged 1', 'paged 2', 'paged 3']) await newNote(pager, text);

    const res = await request(app).get('/notes?limit=1&page=2').set(pager.auth).set('Accept', HAL);

    expect(res.body.page).toEqual(expect.objectContaining({ number: 2, limit: 1 }));
    expect(res.body._embedded.item).toHaveLength(1);
    expect(res.body._embedded.item[0]._links.self.href).toMatch(/^\/notes\/\d+$/);
    expect(res.body._links.search).toEqual(expect.objectContaining({ templated: true }));
    expect(res.body._links.search.href).toMatch(/page/);
    expect(res.body._links.search.href).toMatch(/cursor/);
    expect(Object.keys(res.body._links)).toEqual(expect.arrayContaining(['self', 'tn:add-note', 'search', 'first', 'prev', 'next', 'last']));
    expect(res.body.notes).toBeUndefined();
    expect(res.body.links).toBeUndefined();
  });

  it('an Accept the API cannot satisfy is 406 problem+json naming the three media types', async () => {
    const res = await request(app).get('/notes').set(user.auth).set('Accept', 'text/html');

    expectProblem(res, 406);
    expect(String(res.body.detail)).toContain('application/hal+json');
    expect(String(res.body.detail)).toContain('application/prs.hal-forms+json');
    expect(res.headers.vary).toMatch(/Accept/);
  });

  it('q-values choose: HAL preferred over JSON gives HAL; JSON preferred gives JSON', async () => {
    const hal = await request(app).get('/').set('Accept', 'application/json;q=0.5, application/hal+json');
    const json = await request(app).get('/').set('Accept', 'application/json, application/hal+json;q=0.5');

    expect(hal.headers['content-type']).toMatch(/^application\/hal\+json/);
    expect(json.headers['content-type']).toMatch(/^application\/json/);
  });

  it('errors stay problem+json, with the same links in HAL style when HAL was asked for', async () => {
    const res = await request(app).get('/notes/987654321').set(user.auth).set('Accept', HAL);

    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.links).toBeUndefined();
    expect(res.body._links['tn:notes']).toEqual(expect.objectContaining({ href: '/notes' }));
  });

  it('a conditional write accepts the ETag of any representation: HAL, HAL-FORMS or JSON', async () => {
    const note = await newNote(user, 'any etag');
    const hal = await request(app).get(`/notes/${note.id}`).set(user.auth).set('Accept', HAL);

    const byHal = await request(app).patch(`/notes/${note.id}`).set(user.auth).set('If-Match', hal.headers.etag).send({ text: 'by HAL ETag' });
    const stale = await request(app).patch(`/notes/${note.id}`).set(user.auth).set('If-Match', hal.headers.etag).send({ text: 'stale' });

    expect(byHal.status).toBe(204);
    expectProblem(stale, 412);
  });
});

describe('HAL-FORMS', () => {
  it('templates for what the caller may do now, with properties generated from the zod schemas', async () => {
    const note = await newNote(user, 'with forms');

    const res = await request(app).get(`/notes/${note.id}`).set(user.auth).set('Accept', FORMS);

    expect(res.headers['content-type']).toBe('application/prs.hal-forms+json; charset=utf-8');
    const templates = res.body._templates;
    expect(Object.keys(templates)).toEqual(['default', 'edit-text', 'update', 'delete']);
    expect(templates.default).toEqual(templates['edit-text']);
    expect(templates['edit-text']).toEqual({
      title: expect.any(String),
      method: 'PATCH',
      target: `/notes/${note.id}`,
      contentType: 'application/json',
      properties: [{ name: 'text', required: true, type: 'text', maxLength: 10_000, value: 'with forms' }],
    });
    expect(templates.update.properties.map((p: { name: string }) => p.name)).toEqual(['id', 'text', 'createdAt', 'updatedAt']);
    expect(templates.delete).toEqual({ title: expect.any(String), method: 'DELETE', target: `/notes/${note.id}`, properties: [] });
  });

  it('the entry point without a token offers log-in and registration forms; their fields follow the schemas (not a second copy)', async () => {
    const res = await request(app).get('/').set('Accept', FORMS);

    const { auth, register } = res.body._templates;
    expect(auth.method).toBe('POST');
    expect(register.properties).toEqual(formProperties(userSchemas.register.body));
    expect(register.properties).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'password', type: 'password', required: true, minLength: 8, maxLength: 1024 }),
        expect.objectContaining({ name: 'email', type: 'email', required: true, maxLength: 254 }),
      ]),
    );
  });

  it('formProperties reads required and lengths from the schema itself', () => {
    const props = formProperties(z.object({ a: z.string().min(2).max(5).regex(/^x+$/), b: z.number().optional() }));

    expect(props).toEqual([
      { name: 'a', required: true, type: 'text', minLength: 2, maxLength: 5, regex: '^x+$' },
      { name: 'b', required: false, type: 'number' },
    ]);
    expect(formProperties(noteSchemas.createNote.body)).toEqual([{ name: 'text', required: true, type: 'text', maxLength: 10_000 }]);
  });
});

describe('a HAL client (ketting) that knows only / and rel names', () => {
  let server: http.Server;
  let base: string;

  beforeAll(async () => {
    server = http.createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('registers, logs in, lists, creates, reads, edits, pages with cursors and deletes', async () => {
    const client = new Ketting(base);
    const root = client.go('/');
    const email = uniqueEmail('ketting');
    const password = 'ketting password';

    const start = await root.get();
    await start.action('register').submit({ name: 'Ketting', email, password });
    const login = await start.action('auth').submit({ email, password });
    client.use(bearerAuth((login.data as { access_token: string }).access_token));

    const notes = await root.follow('tn:notes');
    for (const text of ['one', 'two', 'three']) await (await notes.get()).action('add-note').submit({ text });
    const list = await notes.get();
    expect((list.data as { page: { totalItems: number } }).page.totalItems).toBe(3);

    const first = await notes.follow('item');
    // The page embedded a short form of each note; the note itself (with its forms) is one GET away.
    const read = await first.refresh();
    expect((read.data as { text: string }).text).toBe('one');
    await read.action('edit-text').submit({ text: 'one, edited' });
    expect(((await first.refresh()).data as { text: string }).text).toBe('one, edited');

    // Cursor paging through the search template: two notes a page, following next to the end.
    const seen: string[] = [];
    let page = await (await notes.follow('search', { limit: 2, cursor: '' })).get();
    for (let hops = 0; hops < 5; hops++) {
      const items = page.getEmbedded();
      seen.push(...items.map((item) => (item.data as { text: string }).text));
      if (!page.links.has('next')) break;
      page = await (await page.follow('next')).get();
    }
    // Sorted by updatedAt (the default): the edited note comes last.
    expect(seen).toEqual(['two', 'three', 'one, edited']);

    await read.action('delete').submit({});
    expect(((await notes.refresh()).data as { page: { totalItems: number } }).page.totalItems).toBe(2);
  });
});
