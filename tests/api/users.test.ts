import request from 'supertest';
import { app } from '../../src/app';
import { User } from '../../src/models/User';
import { useTestDb } from '../helpers/db';
import { uniqueEmail } from '../helpers/ids';
import { errorNames, expectProblem, newUser } from './helpers';

useTestDb();

describe('POST /users (registration)', () => {
  it('answers 201 with Location and the profile, and never shows the password', async () => {
    const email = uniqueEmail('carol');

    const res = await request(app).post('/users').send({ name: 'Carol', email, password: 'long enough' });

    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/users/${res.body.id}`);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^\d+$/),
      name: 'Carol',
      email,
      createdAt: expect.any(Number),
      links: [
        { rel: 'self', href: `/users/${res.body.id}`, method: 'GET' },
        { rel: 'edit', href: `/users/${res.body.id}`, method: 'PATCH' },
        { rel: 'delete', href: `/users/${res.body.id}`, method: 'DELETE' },
        { rel: 'notes', href: '/notes', method: 'GET' },
      ],
    });
    expect(JSON.stringify(res.body)).not.toMatch(/long enough|password|hash/i);
  });

  it('stores an argon2id hash, not the password', async () => {
    const email = uniqueEmail();

    await request(app).post('/users').send({ name: 'Dan', email, password: 'plain text pw' });

    const stored = await User.findOne({ email }).lean();
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(JSON.stringify(stored)).not.toContain('plain text pw');
  });

  it('gives consecutive registrations distinct decimal ids', async () => {
    const a = await request(app).post('/users').send({ name: 'A', email: uniqueEmail(), password: 'password1' });
    const b = await request(app).post('/users').send({ name: 'B', email: uniqueEmail(), password: 'password1' });

    expect(Number(b.body.id)).toBeGreaterThan(Number(a.body.id));
  });

  it.each([
    ['an empty body', {}, ['name', 'email', 'password']],
    ['an invalid email', { name: 'N', email: 'not-an-email', password: 'password1' }, ['email']],
    ['a 7-character password', { name: 'N', email: 'n@example.com', password: '1234567' }, ['password']],
    ['a blank name', { name: '   ', email: 'n@example.com', password: 'password1' }, ['name']],
    ['a number as name', { name: 5, email: 'n@example.com', password: 'password1' }, ['name']],
    ['an operator as email', { name: 'N', email: { $ne: null }, password: 'password1' }, ['email.$ne']],
  ])('with %s answers 400 naming the fields and creates nothing', async (_case, body, names) => {
    const before = await User.countDocuments();

    const res = await request(app).post('/users').send(body);

    expectProblem(res, 400);
    expect(errorNames(res)).toEqual(names);
    expect(await User.countDocuments()).toBe(before);
  });

  it('with an email already taken in another case answers 409', async () => {
    const email = uniqueEmail('erin');
    await request(app).post('/users').send({ name: 'Erin', email, password: 'password1' });

    const res = await request(app).post('/users').send({ name: 'Erin 2', email: `  ${email.toUpperCase()} `, password: 'password2' });

    const body = expectProblem(res, 409);
    expect(body.errors).toEqual([{ in: 'body', name: 'email', message: expect.any(String) }]);
  });

  it('two concurrent registrations of one email create exactly one user', async () => {
    const email = uniqueEmail('race');

    const results = await Promise.all(
      [0, 1, 2].map(() => request(app).post('/users').send({ name: 'Racer', email, password: 'password1' })),
    );

    expect(results.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect(await User.countDocuments({ email })).toBe(1);
  });

  it('GET /users is 405 with Allow: POST, OPTIONS, without a token', async () => {
    const res = await request(app).get('/users');

    expectProblem(res, 405);
    expect(res.headers.allow).toBe('POST, OPTIONS');
  });
});

describe('GET /users/{id} (profile)', () => {
  it('for the caller answers 200 with the profile, ETag, Last-Modified, Cache-Control and Vary', async () => {
    const user = await newUser('Fay');

    const res = await request(app).get(`/users/${user.id}`).set(user.auth);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: user.id,
      name: 'Fay',
      email: user.email,
      createdAt: expect.any(Number),
      links: [
        { rel: 'self', href: `/users/${user.id}`, method: 'GET' },
        { rel: 'edit', href: `/users/${user.id}`, method: 'PATCH' },
        { rel: 'delete', href: `/users/${user.id}`, method: 'DELETE' },
        { rel: 'notes', href: '/notes', method: 'GET' },
      ],
    });
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.headers['last-modified']).toBe(new Date(res.body.createdAt).toUTCString());
    expect(res.headers['cache-control']).toBe('private, no-cache');
    expect(res.headers.vary).toMatch(/Authorization/);
  });

  it("for another user's id answers 404, the same as for a missing user", async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');

    const other = await request(app).get(`/users/${bob.id}`).set(alice.auth);
    const missing = await request(app).get('/users/99999999').set(alice.auth);

    expectProblem(other, 404);
    expectProblem(missing, 404);
    expect(JSON.stringify(other.body)).not.toContain(bob.email);
  });

  describe('conditional requests', () => {
    async function profile() {
      const user = await newUser();
      const first = await request(app).get(`/users/${user.id}`).set(user.auth);
      return { user, first, get: () => request(app).get(`/users/${user.id}`).set(user.auth) };
    }

    it('If-None-Match with the ETag answers 304 with no body and the same validators', async () => {
      const { first, get } = await profile();

      const res = await get().set('If-None-Match', first.headers.etag);

      expect(res.status).toBe(304);
      expect(res.text).toBe('');
      expect(res.headers.etag).toBe(first.headers.etag);
      expect(res.headers['cache-control']).toBe('private, no-cache');
      expect(res.headers['last-modified']).toBe(first.headers['last-modified']);
    });

    it.each([
      ['a weak form of the ETag', (etag: string) => `W/${etag}`],
      ['a list that contains the ETag', (etag: string) => `"other", ${etag}`],
      ['*', () => '*'],
    ])('If-None-Match with %s answers 304', async (_case, value) => {
      const { first, get } = await profile();

      const res = await get().set('If-None-Match', value(first.headers.etag));

      expect(res.status).toBe(304);
    });

    it('If-None-Match with the ETag answers 304 even when the request says Cache-Control: no-cache', async () => {
      const { first, get } = await profile();

      const res = await get().set('Cache-Control', 'no-cache').set('If-None-Match', first.headers.etag);

      expect(res.status).toBe(304);
      expect(res.headers.etag).toBe(first.headers.etag);
    });

    it('If-None-Match with another ETag answers 200', async () => {
      const { get } = await profile();

      const res = await get().set('If-None-Match', '"something-else"');

      expect(res.status).toBe(200);
    });

    it('If-Modified-Since at or after Last-Modified (compared as dates) answers 304', async () => {
      const { first, get } = await profile();
      const later = new Date(Date.parse(first.headers['last-modified']) + 60_000).toUTCString();

      const same = await get().set('If-Modified-Since', first.headers['last-modified']);
      const after = await get().set('If-Modified-Since', later);

      expect(same.status).toBe(304);
      expect(after.status).toBe(304);
    });

    it('If-Modified-Since before Last-Modified answers 200', async () => {
      const { first, get } = await profile();
      const earlier = new Date(Date.parse(first.headers['last-modified']) - 60_000).toUTCString();

      const res = await get().set('If-Modified-Since', earlier);

      expect(res.status).toBe(200);
    });

    it('If-Modified-Since is ignored when If-None-Match is present and does not match', async () => {
      const { first, get } = await profile();

      const res = await get().set('If-None-Match', '"stale"').set('If-Modified-Since', first.headers['last-modified']);

      expect(res.status).toBe(200);
    });
  });

  it('HEAD answers like GET without a body', async () => {
    const user = await newUser();

    const res = await request(app).head(`/users/${user.id}`).set(user.auth);

    expect(res.status).toBe(200);
    expect(res.text).toBeUndefined();
    expect(res.headers.etag).toBeDefined();
  });

  // PATCH and DELETE of the profile exist since issue 12 (tests/api/account.test.ts).
  it.each(['post', 'put'] as const)('%s /users/{id} is 405 with Allow: GET, HEAD, PATCH, DELETE, OPTIONS, without a token', async (method) => {
    const res = await request(app)[method]('/users/1');

    expectProblem(res, 405);
    expect(res.headers.allow).toBe('GET, HEAD, PATCH, DELETE, OPTIONS');
  });
});
