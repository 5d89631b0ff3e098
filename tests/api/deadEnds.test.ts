/**
 * Issue 13, no dead ends: links that a client following only links needs, carried in the `Link`
 * header (RFC 8288) because the JSON bodies are frozen: `/` with a valid token offers the
 * caller's profile and notes, every 401 points to auth and register, a registration's 201 to
 * auth and the new profile, a 405 to the methods the path allows, a note to its owner's profile.
 * Each JSON body is compared with the one the same request gets without the new behaviour.
 */
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { app } from '../../src/app';
import { config } from '../../src/config';
import { forgetUser } from '../../src/controllers/usersController';
import { User } from '../../src/models/User';
import { uniqueEmail } from '../helpers/ids';
import { useTestDb } from '../helpers/db';
import { expectProblem, newNote, newUser } from './helpers';
import { parseLinkHeader, relUri } from './linkHeader';

useTestDb();

/** What `/` offers everybody in its Link header (issue 14, RFC 8631): the API's description and its page. */
const DESCRIBED = [
  { href: '/openapi.json', rel: 'service-desc' },
  { href: '/docs', rel: 'service-doc' },
];

describe('GET / with and without a token', () => {
  it('with a valid token the Link header adds the caller\'s profile and notes; the body is byte-identical to the anonymous one', async () => {
    const user = await newUser('Rooted');
    const anonymous = await request(app).get('/');
    const res = await request(app).get('/').set(user.auth);

    expect(res.status).toBe(200);
    expect(res.text).toBe(anonymous.text);
    expect(res.headers.etag).toBe(anonymous.headers.etag);
    expect(parseLinkHeader(res.headers.link)).toEqual([
      ...DESCRIBED,
      { href: `/users/${user.id}`, rel: relUri(res, 'profile') },
      { href: '/notes', rel: relUri(res, 'notes') },
    ]);
    expect(res.headers['cache-control']).toBe('private, no-cache'); // it names the caller's profile
    expect(res.headers.vary).toMatch(/\bAuthorization\b/);
  });

  it('without a token: no caller links (the Link header has only the description), public, and still Vary: Authorization', async () => {
    const res = await request(app).get('/');

    expect(res.status).toBe(200);
    expect(parseLinkHeader(res.headers.link)).toEqual(DESCRIBED);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers.vary).toMatch(/\bAuthorization\b/);
  });

  it.each([
    ['a malformed header', 'Token abc'],
    ['a bad signature', `Bearer ${jwt.sign({ name: 'x' }, 'another key of some length', { algorithm: 'HS256', subject: '1', expiresIn: 60 })}`],
    ['an expired token', `Bearer ${jwt.sign({ name: 'x', exp: Math.floor(Date.now() / 1000) - 10 }, config.jwt.key, { algorithm: 'HS256', subject: '1' })}`],
    ['a token of a user that does not exist', `Bearer ${jwt.sign({ name: 'x' }, config.jwt.key, { algorithm: 'HS256', subject: '987654321012', expiresIn: 60 })}`],
  ])('with %s: 200 exactly as without a token (the entry point never answers 401)', async (_name, authorization) => {
    const anonymous = await request(app).get('/');
    const res = await request(app).get('/').set('Authorization', authorization);

    expect(res.status).toBe(200);
    expect(res.text).toBe(anonymous.text);
    expect(parseLinkHeader(res.headers.link)).toEqual(DESCRIBED);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('a cached caller costs no database read: a user deleted behind the cache\'s back is still linked within the second, and not once forgotten', async () => {
    const user = await newUser('Cached');
    expect((await request(app).get('/notes').set(user.auth)).status).toBe(200); // the user is now cached

    await User.deleteOne({ id: user.id }); // as another process would: this one is not told
    const cached = await request(app).get('/').set(user.auth);
    forgetUser(user.id);
    const forgotten = await request(app).get('/').set(user.auth);

    expect(parseLinkHeader(cached.headers.link).map((l) => l.href)).toEqual(['/openapi.json', '/docs', `/users/${user.id}`, '/notes']);
    expect(forgotten.status).toBe(200);
    expect(parseLinkHeader(forgotten.headers.link)).toEqual(DESCRIBED);
  });

  it('304 on a matching If-None-Match with a token keeps the caller links', async () => {
    const user = await newUser('Revalidates');
    const first = await request(app).get('/').set(user.auth);
    const res = await request(app).get('/').set(user.auth).set('If-None-Match', first.headers.etag);

    expect(res.status).toBe(304);
    expect(parseLinkHeader(res.headers.link).map((l) => l.href)).toEqual(['/openapi.json', '/docs', `/users/${user.id}`, '/notes']);
  });
});

describe('every 401 of a protected route links to auth and register', () => {
  const expired = jwt.sign({ name: 'x', exp: Math.floor(Date.now() / 1000) - 10 }, config.jwt.key, { algorithm: 'HS256', subject: '1' });
  it.each([
    ['GET /notes without Authorization', () => request(app).get('/notes')],
    ['POST /notes with a malformed header', () => request(app).post('/notes').set('Authorization', 'Basic abc').send({ text: 'x' })],
    ['GET /notes/1 with an expired token', () => request(app).get('/notes/1').set('Authorization', `Bearer ${expired}`)],
    ['DELETE /users/1 with garbage', () => request(app).delete('/users/1').set('Authorization', 'Bearer nope')],
  ])('%s', async (_name, make) => {
    const res = await make();

    const body = expectProblem(res, 401);
    expect(body.links).toEqual([{ rel: 'root', href: '/', method: 'GET' }]); // the JSON problem body as before
    expect(parseLinkHeader(res.headers.link)).toEqual([
      { href: '/auth', rel: relUri(res, 'auth'), title: 'POST' },
      { href: '/users', rel: relUri(res, 'register'), title: 'POST' },
    ]);
  });
});

describe('registration', () => {
  it('201 links to auth and the new profile; the body is the profile as GET shows it', async () => {
    const email = uniqueEmail('registered');
    const res = await request(app).post('/users').send({ name: 'Reg', email, password: 'correct horse' });

    expect(res.status).toBe(201);
    expect(parseLinkHeader(res.headers.link)).toEqual([
      { href: '/auth', rel: relUri(res, 'auth'), title: 'POST' },
      { href: `/users/${res.body.id}`, rel: relUri(res, 'profile') },
    ]);
    const token = (await request(app).post('/auth').send({ email, password: 'correct horse' })).body.access_token as string;
    const profile = await request(app).get(res.headers.location).set('Authorization', `Bearer ${token}`);
    expect(res.text).toBe(profile.text);
  });

  it('an idempotent replay links the same way', async () => {
    const body = { name: 'Twice', email: uniqueEmail('twice'), password: 'correct horse' };
    const key = `reg-${Date.now()}-${Math.random()}`;
    const first = await request(app).post('/users').set('Idempotency-Key', key).send(body);
    const replay = await request(app).post('/users').set('Idempotency-Key', key).send(body);

    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(parseLinkHeader(replay.headers.link)).toEqual([
      { href: '/auth', rel: relUri(replay, 'auth'), title: 'POST' },
      { href: `/users/${first.body.id}`, rel: relUri(replay, 'profile') },
    ]);
  });
});

describe('405 links to the methods the path allows', () => {
  it.each([
    ['post', '/', [{ href: '/', rel: 'self' }]],
    ['put', '/notes', [{ href: '/notes', rel: 'self' }, { href: '/notes', rel: 'self', title: 'POST' }]],
    [
      'post',
      '/notes/abc',
      [
        { href: '/notes/abc', rel: 'self' },
        { href: '/notes/abc', rel: 'self', title: 'PUT' },
        { href: '/notes/abc', rel: 'self', title: 'PATCH' },
        { href: '/notes/abc', rel: 'self', title: 'DELETE' },
      ],
    ],
    ['delete', '/auth', [{ href: '/auth', rel: 'self', title: 'POST' }]],
    ['patch', '/rels/notes', [{ href: '/rels/notes', rel: 'self' }]],
  ] as const)('%s %s', async (method, path, links) => {
    const res = await request(app)[method](path);

    const body = expectProblem(res, 405);
    expect(body.links).toEqual([{ rel: 'root', href: '/', method: 'GET' }]);
    expect(parseLinkHeader(res.headers.link)).toEqual(links);
  });

  it('a path with characters that may not stand in a URI reference is percent-encoded in the link', async () => {
    const res = await request(app).post('/notes/a"b');

    expect(res.status).toBe(405);
    expect(parseLinkHeader(res.headers.link)[0].href).toBe('/notes/a%22b');
  });
});

describe('a note links to its owner\'s profile', () => {
  it('GET /notes/{id}: Link header with the profile; body and ETag as before', async () => {
    const user = await newUser('Noted');
    const note = await newNote(user, 'hello');
    const res = await request(app).get(`/notes/${note.id}`).set(user.auth);

    expect(res.status).toBe(200);
    expect(res.body).toEqual(note);
    expect(parseLinkHeader(res.headers.link)).toEqual([{ href: `/users/${user.id}`, rel: relUri(res, 'profile') }]);
  });

  it('GET /notes (JSON) keeps today\'s Link header: only the page moves', async () => {
    const user = await newUser('Listed');
    await newNote(user, 'one');
    await newNote(user, 'two');
    const res = await request(app).get('/notes?limit=1').set(user.auth);

    expect(parseLinkHeader(res.headers.link).map((l) => l.rel)).toEqual(['next', 'last']);
  });
});
