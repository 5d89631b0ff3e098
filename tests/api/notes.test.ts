import request from 'supertest';
import { app } from '../../src/app';
import { Note } from '../../src/models/Note';
import { useTestDb } from '../helpers/db';
import { errorNames, expectProblem, newNote, newUser, type TestUser } from './helpers';

useTestDb();
let user: TestUser;
beforeAll(async () => {
  user = await newUser('Noter');
});

function noteLinksFor(id: string) {
  return [
    { rel: 'self', href: `/notes/${id}`, method: 'GET' },
    { rel: 'edit-text', href: `/notes/${id}`, method: 'PATCH' },
    { rel: 'update', href: `/notes/${id}`, method: 'PUT' },
    { rel: 'delete', href: `/notes/${id}`, method: 'DELETE' },
    { rel: 'notes', href: '/notes', method: 'GET' },
  ];
}

describe('POST /notes', () => {
  it('answers 201 with Location and the note as GET /notes/{id} shows it', async () => {
    const before = Date.now();

    const res = await request(app).post('/notes').set(user.auth).send({ text: 'Buy milk' });

    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/notes/${res.body.id}`);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^\d+$/),
      text: 'Buy milk',
      createdAt: expect.any(Number),
      updatedAt: expect.any(Number),
      links: noteLinksFor(res.body.id),
    });
    expect(res.body.createdAt).toBeGreaterThanOrEqual(before);
    expect(res.body.updatedAt).toBe(res.body.createdAt);
    const get = await request(app).get(res.headers.location).set(user.auth);
    expect(get.body).toEqual(res.body);
  });

  it('ignores timestamps and ids the client sends', async () => {
    const res = await request(app).post('/notes').set(user.auth).send({ text: 'x', id: '1', createdAt: 5, updatedAt: 6 });

    expect(res.status).toBe(201);
    expect(res.body.createdAt).toBeGreaterThan(6);
  });

  it('never reuses an id, also not after a delete', async () => {
    const a = await newNote(user, 'first');
    await request(app).delete(`/notes/${a.id}`).set(user.auth);

    const b = await newNote(user, 'second');

    expect(Number(b.id)).toBeGreaterThan(Number(a.id));
  });

  it.each([
    ['text missing', {}, 'is required'],
    ['text not a string', { text: 42 }, 'must be a string'],
    ['text an object', { text: { value: 'x' } }, 'must be a string'],
    ['text empty after trimming', { text: ' \n\t ' }, 'must not be empty'],
    ['text over 10,000 characters', { text: 'a'.repeat(10_001) }, 'must be at most 10000 characters'],
  ])('with %s answers 400 and writes nothing', async (_case, body, message) => {
    const before = await Note.countDocuments();

    const res = await request(app).post('/notes').set(user.auth).send(body);

    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ in: 'body', name: 'text', message }]);
    expect(await Note.countDocuments()).toBe(before);
  });

  it('accepts text of exactly 10,000 characters', async () => {
    const res = await request(app).post('/notes').set(user.auth).send({ text: 'a'.repeat(10_000) });

    expect(res.status).toBe(201);
  });
});

describe('GET /notes/{id}', () => {
  it('answers 200 with the note, its links and caching headers', async () => {
    const note = await newNote(user, 'Read me');

    const res = await request(app).get(`/notes/${note.id}`).set(user.auth);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: note.id, text: 'Read me', createdAt: note.createdAt, updatedAt: note.updatedAt, links: noteLinksFor(note.id) });
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.headers['last-modified']).toBe(new Date(note.updatedAt).toUTCString());
    expect(res.headers['cache-control']).toBe('private, no-cache');
    expect(res.headers.vary).toMatch(/Authorization/);
    expect(JSON.stringify(res.body)).not.toMatch(/_id|__v|owner|seq/);
  });

  it('answers 304 on a matching If-None-Match and 200 with a new ETag after an edit', async () => {
    const note = await newNote(user, 'Versioned');
    const first = await request(app).get(`/notes/${note.id}`).set(user.auth);

    const notModified = await request(app).get(`/notes/${note.id}`).set(user.auth).set('If-None-Match', first.headers.etag);
    await request(app).patch(`/notes/${note.id}`).set(user.auth).send({ text: 'Versioned, edited' });
    const changed = await request(app).get(`/notes/${note.id}`).set(user.auth).set('If-None-Match', first.headers.etag);

    expect(notModified.status).toBe(304);
    expect(notModified.headers.etag).toBe(first.headers.etag);
    expect(notModified.headers['last-modified']).toBe(first.headers['last-modified']);
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(first.headers.etag);
  });

  it('HEAD answers like GET without a body', async () => {
    const note = await newNote(user, 'Head');

    const res = await request(app).head(`/notes/${note.id}`).set(user.auth);

    expect(res.status).toBe(200);
    expect(res.text).toBeUndefined();
    expect(res.headers.etag).toBeDefined();
  });

  it('for a missing id answers 404 with the contract message and a notes link', async () => {
    const res = await request(app).get('/notes/123456789').set(user.auth);

    const body = expectProblem(res, 404);
    expect(body.detail).toBe("Note with ID '123456789' does not exist.");
    expect(body.links).toEqual([{ rel: 'notes', href: '/notes', method: 'GET' }]);
  });

  it.each(['abc', '1.5', '-1', '0x1', '1e3', '%24gt', ' 1'])('for the non-decimal id %p answers 404', async (id) => {
    const res = await request(app).get(`/notes/${encodeURIComponent(id)}`).set(user.auth);

    expectProblem(res, 404);
  });

  it.each(['%FF', '%E0%A4%A', 'a%ZZ', '%'])('for the path escape %p that is not UTF-8 answers 401 without a token and 404 with one', async (raw) => {
    const anonymous = await request(app).get(`/notes/${raw}`);
    const authenticated = await request(app).get(`/notes/${raw}`).set(user.auth);

    expectProblem(anonymous, 401);
    const body = expectProblem(authenticated, 404);
    expect(body.links).toEqual([{ rel: 'notes', href: '/notes', method: 'GET' }]);
  });
});

describe('PUT /notes/{id}', () => {
  it('replaces the text, keeps createdAt, sets updatedAt to now, answers 204 with the new ETag (the one GET then gives)', async () => {
    const note = await newNote(user, 'Exotic Vacation plan');
    const before = Date.now();

    const res = await request(app)
      .put(`/notes/${note.id}`)
      .set(user.auth)
      .send({ id: note.id, text: 'Europe Trip', createdAt: 1, updatedAt: 2 });

    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers['last-modified']).toBeUndefined();
    const get = await request(app).get(`/notes/${note.id}`).set(user.auth);
    expect(res.headers.etag).toBe(get.headers.etag);
    const after = get.body;
    expect(after.text).toBe('Europe Trip');
    expect(after.createdAt).toBe(note.createdAt);
    expect(after.updatedAt).toBeGreaterThanOrEqual(before);
  });

  it('accepts the GET representation sent back with its links', async () => {
    const note = await newNote(user, 'Round trip');
    const current = (await request(app).get(`/notes/${note.id}`).set(user.auth)).body;

    const res = await request(app).put(`/notes/${note.id}`).set(user.auth).send({ ...current, text: 'Round trip 2' });

    expect(res.status).toBe(204);
  });

  it('with only text answers 400 naming every missing field', async () => {
    const note = await newNote(user, 'Partial');

    const res = await request(app).put(`/notes/${note.id}`).set(user.auth).send({ text: 'only text' });

    expectProblem(res, 400);
    expect(errorNames(res)).toEqual(['id', 'createdAt', 'updatedAt']);
  });

  it('with a body id other than the path id answers 400 and changes neither note', async () => {
    const target = await newNote(user, 'Target');
    const other = await newNote(user, 'Other');

    const res = await request(app)
      .put(`/notes/${target.id}`)
      .set(user.auth)
      .send({ id: other.id, text: 'Hijacked', createdAt: 1, updatedAt: 1 });

    expectProblem(res, 400);
    expect(errorNames(res)).toEqual(['id']);
    expect((await request(app).get(`/notes/${target.id}`).set(user.auth)).body.text).toBe('Target');
    expect((await request(app).get(`/notes/${other.id}`).set(user.auth)).body.text).toBe('Other');
  });

  it.each([
    ['text not a string', { text: ['x'] }, ['text']],
    ['timestamps not numbers', { text: 'ok', createdAt: 'yesterday', updatedAt: null }, ['createdAt', 'updatedAt']],
    ['empty text', { text: '' }, ['text']],
  ])('with %s answers 400', async (_case, patch, names) => {
    const note = await newNote(user, 'Typed');

    const res = await request(app)
      .put(`/notes/${note.id}`)
      .set(user.auth)
      .send({ id: note.id, createdAt: 1, updatedAt: 1, ...patch });

    expectProblem(res, 400);
    expect(errorNames(res)).toEqual(names);
  });

  it('on a missing note answers 404', async () => {
    const res = await request(app).put('/notes/987654321').set(user.auth).send({ id: '987654321', text: 'x', createdAt: 1, updatedAt: 1 });

    expectProblem(res, 404);
  });

  it('with a text/plain body answers 415', async () => {
    const note = await newNote(user, 'Plain');

    const res = await request(app).put(`/notes/${note.id}`).set(user.auth).set('Content-Type', 'text/plain').send('hello');

    expectProblem(res, 415);
  });
});

describe('PATCH /notes/{id}', () => {
  it('with application/json {text} changes only the text and answers 204', async () => {
    const note = await newNote(user, 'Before');

    const res = await request(app).patch(`/notes/${note.id}`).set(user.auth).send({ text: 'After' });

    expect(res.status).toBe(204);
    const after = (await request(app).get(`/notes/${note.id}`).set(user.auth)).body;
    expect(after.text).toBe('After');
    expect(after.createdAt).toBe(note.createdAt);
    expect(after.updatedAt).toBeGreaterThanOrEqual(note.updatedAt);
  });

  it.each(['text/plain', 'application/xml'])('with %s answers 415 with Accept-Patch listing the three patch formats', async (type) => {
    const note = await newNote(user, 'Unpatched');

    const res = await request(app).patch(`/notes/${note.id}`).set(user.auth).set('Content-Type', type).send('{"text":"x"}');

    expectProblem(res, 415);
    expect(res.headers['accept-patch']).toBe('application/json, application/merge-patch+json, application/json-patch+json');
    expect((await request(app).get(`/notes/${note.id}`).set(user.auth)).body.text).toBe('Unpatched');
  });

  it('without text answers 400', async () => {
    const note = await newNote(user, 'No text');

    const res = await request(app).patch(`/notes/${note.id}`).set(user.auth).send({});

    expectProblem(res, 400);
    expect(errorNames(res)).toEqual(['text']);
  });

  it('on a missing note answers 404', async () => {
    const res = await request(app).patch('/notes/987654321').set(user.auth).send({ text: 'x' });

    expectProblem(res, 404);
  });
});

describe('DELETE /notes/{id}', () => {
  it('answers 204, then the note is gone and deleting again is 404', async () => {
    const note = await newNote(user, 'Doomed');

    const first = await request(app).delete(`/notes/${note.id}`).set(user.auth);
    const get = await request(app).get(`/notes/${note.id}`).set(user.auth);
    const again = await request(app).delete(`/notes/${note.id}`).set(user.auth);

    expect(first.status).toBe(204);
    expectProblem(get, 404);
    expectProblem(again, 404);
    expect(again.body.detail).toBe(`Note with ID '${note.id}' does not exist.`);
  });
});

describe('405 on notes paths (no token needed)', () => {
  it.each([
    ['put', '/notes', 'GET, HEAD, POST, OPTIONS'],
    ['patch', '/notes', 'GET, HEAD, POST, OPTIONS'],
    ['delete', '/notes', 'GET, HEAD, POST, OPTIONS'],
    ['post', '/notes/1', 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS'],
  ] as const)('%s %s is 405 with Allow: %s', async (method, path, allow) => {
    const res = await request(app)[method](path);

    expectProblem(res, 405);
    expect(res.headers.allow).toBe(allow);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });
});
