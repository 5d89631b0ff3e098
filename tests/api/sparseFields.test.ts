import request from 'supertest';
import { app } from '../../src/app';
import { useTestDb } from '../helpers/db';
import { expectProblem, newNote, newUser, type NoteBody, type TestUser } from './helpers';

useTestDb();

function noteLinksFor(id: string) {
  return [
    { rel: 'self', href: `/notes/${id}`, method: 'GET' },
    { rel: 'edit-text', href: `/notes/${id}`, method: 'PATCH' },
    { rel: 'update', href: `/notes/${id}`, method: 'PUT' },
    { rel: 'delete', href: `/notes/${id}`, method: 'DELETE' },
    { rel: 'notes', href: '/notes', method: 'GET' },
  ];
}

/** The part of an ETag before the variant suffix (`"<sha1>.f-text"` → `<sha1>`). */
function baseOf(etag: string): string {
  return etag.replace(/^"|"$/g, '').split('.')[0];
}

describe('sparse fieldsets on GET /notes/{id}', () => {
  let user: TestUser;
  let note: NoteBody;
  beforeAll(async () => {
    user = await newUser('Sparse');
    note = await newNote(user, 'Sparse note');
  });

  it('fields=text,updatedAt sends id, text, updatedAt and links, in that order', async () => {
    const res = await request(app).get(`/notes/${note.id}?fields=text,updatedAt`).set(user.auth);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.text).toBe(JSON.stringify({ id: note.id, text: 'Sparse note', updatedAt: note.updatedAt, links: noteLinksFor(note.id) }));
  });

  it('keeps the canonical member order whatever order the selection names, and the same ETag for the same selection', async () => {
    const canonical = await request(app).get(`/notes/${note.id}?fields=createdAt,text`).set(user.auth);
    const shuffled = await request(app).get(`/notes/${note.id}?fields=text,id,createdAt,text`).set(user.auth);

    expect(Object.keys(shuffled.body)).toEqual(['id', 'text', 'createdAt', 'links']);
    expect(shuffled.text).toBe(canonical.text);
    expect(shuffled.headers.etag).toBe(canonical.headers.etag);
    expect(shuffled.headers.etag).toMatch(/\.f-text\+createdAt"$/);
  });

  it('fields=id sends only id and links', async () => {
    const res = await request(app).get(`/notes/${note.id}?fields=id`).set(user.auth);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: note.id, links: noteLinksFor(note.id) });
    expect(res.headers.etag).toMatch(/\.f-id"$/);
  });

  it('without fields the note is the full representation, with the plain ETag', async () => {
    const res = await request(app).get(`/notes/${note.id}`).set(user.auth);

    expect(Object.keys(res.body)).toEqual(['id', 'text', 'createdAt', 'updatedAt', 'links']);
    expect(res.headers.etag).toMatch(/^"[^.]+"$/);
  });

  it('ETags differ per selection and from the full one; the part before the suffix is the full ETag', async () => {
    const full = await request(app).get(`/notes/${note.id}`).set(user.auth);
    const text = await request(app).get(`/notes/${note.id}?fields=text`).set(user.auth);
    const two = await request(app).get(`/notes/${note.id}?fields=text,updatedAt`).set(user.auth);

    const etags = [full.headers.etag, text.headers.etag, two.headers.etag];
    expect(new Set(etags).size).toBe(3);
    expect(two.headers.etag).toBe(`${full.headers.etag.slice(0, -1)}.f-text+updatedAt"`);
    expect(baseOf(text.headers.etag)).toBe(baseOf(full.headers.etag));
  });

  it("answers 304 to the variant's own ETag, and 200 to another variant's", async () => {
    const first = await request(app).get(`/notes/${note.id}?fields=text`).set(user.auth);
    const full = await request(app).get(`/notes/${note.id}`).set(user.auth);

    const same = await request(app).get(`/notes/${note.id}?fields=text`).set(user.auth).set('If-None-Match', first.headers.etag);
    const other = await request(app).get(`/notes/${note.id}?fields=text`).set(user.auth).set('If-None-Match', full.headers.etag);
    const back = await request(app).get(`/notes/${note.id}`).set(user.auth).set('If-None-Match', first.headers.etag);

    expect(same.status).toBe(304);
    expect(same.headers.etag).toBe(first.headers.etag);
    expect(same.text).toBe('');
    expect(other.status).toBe(200);
    expect(other.body).toEqual({ id: note.id, text: 'Sparse note', links: noteLinksFor(note.id) });
    expect(back.status).toBe(200);
  });

  it('HEAD with fields sends the headers of the GET (ETag, length) and no body', async () => {
    const get = await request(app).get(`/notes/${note.id}?fields=updatedAt`).set(user.auth);
    const head = await request(app).head(`/notes/${note.id}?fields=updatedAt`).set(user.auth);

    expect(head.status).toBe(200);
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.text)));
    expect(head.text).toBeUndefined();
  });

  it('If-Match with a sparse ETag on PATCH succeeds while current and is 412 once the note changed', async () => {
    const own = await newNote(user, 'to edit');
    const sparse = await request(app).get(`/notes/${own.id}?fields=text`).set(user.auth);

    const edit = await request(app).patch(`/notes/${own.id}`).set(user.auth).set('If-Match', sparse.headers.etag).send({ text: 'edited' });
    const stale = await request(app).patch(`/notes/${own.id}`).set(user.auth).set('If-Match', sparse.headers.etag).send({ text: 'again' });

    expect(edit.status).toBe(204);
    expectProblem(stale, 412);
    const now = await request(app).get(`/notes/${own.id}`).set(user.auth);
    expect(now.body.text).toBe('edited');
  });

  it.each([
    ['an unknown name', 'fields=text,colour', 'unknown field(s): colour'],
    ['several unknown names, each once', 'fields=Text,owner,text,owner', 'unknown field(s): Text, owner'],
    ['an empty value', 'fields=', 'must name at least one of id, text, createdAt, updatedAt'],
    ['an empty name', 'fields=text,,updatedAt', 'must be field names separated by single commas'],
    ['a repeated parameter', 'fields=text&fields=updatedAt', 'must be given once, as a plain value (not repeated or array-shaped)'],
    ['an array-shaped parameter', 'fields[]=text', 'must be given once, as a plain value (not repeated or array-shaped)'],
  ])('with %s answers 400 naming fields', async (_case, query, message) => {
    const res = await request(app).get(`/notes/${note.id}?${query}`).set(user.auth);

    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ in: 'query', name: 'fields', message }]);
  });

  it('echoes at most five unknown names, each cut at 40 characters', async () => {
    const long = 'x'.repeat(500);
    const res = await request(app).get(`/notes/${note.id}?fields=${long},a,b,c,d,e,f`).set(user.auth);

    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ in: 'query', name: 'fields', message: `unknown field(s): ${'x'.repeat(40)}…, a, b, c, d and 2 more` }]);
  });
});

describe('sparse fieldsets on GET /notes', () => {
  let user: TestUser;
  const made: NoteBody[] = [];
  beforeAll(async () => {
    user = await newUser('SparseList');
    for (const text of ['one', 'two', 'three']) made.push(await newNote(user, text));
  });

  it('fields=text trims each note of the page; page and links stay, and the links repeat fields', async () => {
    const res = await request(app).get('/notes?limit=2&fields=text').set(user.auth);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      notes: made.slice(0, 2).map((n) => ({ id: n.id, text: n.text, links: [{ rel: 'self', href: `/notes/${n.id}`, method: 'GET' }] })),
      page: { number: 1, limit: 2, totalItems: 3, totalPages: 2 },
      links: [
        { rel: 'self', href: '/notes?limit=2&fields=text', method: 'GET' },
        { rel: 'add-note', href: '/notes', method: 'POST' },
        { rel: 'search', href: '/notes{?q,sort,order,limit}', method: 'GET', templated: true },
        { rel: 'next', href: '/notes?limit=2&page=2&fields=text', method: 'GET' },
        { rel: 'last', href: '/notes?limit=2&page=2&fields=text', method: 'GET' },
      ],
    });
    expect(Object.keys(res.body.notes[0])).toEqual(['id', 'text', 'links']);
    expect(res.headers.link).toContain('</notes?limit=2&page=2&fields=text>; rel="next"');
  });

  it('following the next link keeps the selection', async () => {
    const first = await request(app).get('/notes?limit=2&fields=updatedAt,createdAt').set(user.auth);
    const next = first.body.links.find((l: { rel: string }) => l.rel === 'next').href as string;

    const res = await request(app).get(next).set(user.auth);

    expect(next).toBe('/notes?limit=2&page=2&fields=createdAt%2CupdatedAt');
    expect(res.body.notes).toEqual([{ id: made[2].id, createdAt: made[2].createdAt, updatedAt: made[2].updatedAt, links: [{ rel: 'self', href: `/notes/${made[2].id}`, method: 'GET' }] }]);
  });

  it('works with cursor paging: the notes are trimmed and the cursor links keep fields', async () => {
    const res = await request(app).get('/notes?limit=2&fields=text&cursor=').set(user.auth);

    expect(res.status).toBe(200);
    expect(res.body.notes).toEqual(made.slice(0, 2).map((n) => ({ id: n.id, text: n.text, links: [{ rel: 'self', href: `/notes/${n.id}`, method: 'GET' }] })));
    const next = res.body.links.find((l: { rel: string }) => l.rel === 'next').href as string;
    expect(next).toMatch(/^\/notes\?limit=2&fields=text&cursor=[^&]+$/);
    const second = await request(app).get(next).set(user.auth);
    expect(second.body.notes).toEqual([{ id: made[2].id, text: made[2].text, links: [{ rel: 'self', href: `/notes/${made[2].id}`, method: 'GET' }] }]);
  });

  it('ETags differ per selection and from the full page; 304 with the selection’s own ETag', async () => {
    const full = await request(app).get('/notes').set(user.auth);
    const sparse = await request(app).get('/notes?fields=text').set(user.auth);

    expect(sparse.headers.etag).toMatch(/\.f-text"$/);
    expect(sparse.headers.etag).not.toBe(full.headers.etag);
    const again = await request(app).get('/notes?fields=text').set(user.auth).set('If-None-Match', sparse.headers.etag);
    const fullAgain = await request(app).get('/notes?fields=text').set(user.auth).set('If-None-Match', full.headers.etag);
    expect(again.status).toBe(304);
    expect(fullAgain.status).toBe(200);
  });

  it('without fields the page is exactly as before (every member of every note)', async () => {
    const res = await request(app).get('/notes?limit=2').set(user.auth);

    expect(res.body.notes.map((n: object) => Object.keys(n))).toEqual([
      ['id', 'text', 'createdAt', 'updatedAt', 'links'],
      ['id', 'text', 'createdAt', 'updatedAt', 'links'],
    ]);
    expect(res.body.links[0]).toEqual({ rel: 'self', href: '/notes?limit=2', method: 'GET' });
  });

  it('HEAD with fields: the ETag and length of the GET, no body', async () => {
    const get = await request(app).get('/notes?fields=text').set(user.auth);
    const head = await request(app).head('/notes?fields=text').set(user.auth);

    expect(head.status).toBe(200);
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.text)));
    expect(head.headers['x-total-count']).toBe('3');
  });

  it.each([
    ['unknown', 'fields=text,body', 'unknown field(s): body'],
    ['empty', 'fields=', 'must name at least one of id, text, createdAt, updatedAt'],
    ['repeated', 'fields=text&fields=text', 'must be given once, as a plain value (not repeated or array-shaped)'],
  ])('with %s fields answers 400 naming fields, together with other bad parameters', async (_case, query, message) => {
    const res = await request(app).get(`/notes?limit=0&${query}`).set(user.auth);

    expectProblem(res, 400);
    expect(res.body.errors).toEqual([
      { in: 'query', name: 'limit', message: 'must be an integer from 1 to 100' },
      { in: 'query', name: 'fields', message },
    ]);
  });
});
