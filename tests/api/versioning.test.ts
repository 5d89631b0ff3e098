import request from 'supertest';
import { app } from '../../src/app';
import { readAcceptVersions } from '../../src/middlewares/apiVersion';
import { useTestDb } from '../helpers/db';
import { expectProblem, newNote, newUser, type TestUser } from './helpers';

useTestDb();
let user: TestUser;
beforeAll(async () => {
  user = await newUser('Versioned');
});

describe('every response says API-Version: 1', () => {
  it.each([
    ['the entry point', () => request(app).get('/')],
    ['a 404 of an unknown path', () => request(app).get('/nowhere')],
    ['a 401', () => request(app).get('/notes')],
    ['a 405', () => request(app).delete('/')],
    ['a 400 of a bad body', () => request(app).post('/auth').send({})],
    ['the bundled page', () => request(app).get('/client/')],
    ['a CORS preflight', () => request(app).options('/notes').set('Origin', 'https://example.org').set('Access-Control-Request-Method', 'GET')],
    ['/health', () => request(app).get('/health')],
  ])('%s', async (_case, send) => {
    const res = await send();

    expect(res.headers['api-version']).toBe('1');
  });

  it('also a 304 and a HEAD', async () => {
    const note = await newNote(user, 'cached');
    const get = await request(app).get(`/notes/${note.id}`).set(user.auth);

    const notModified = await request(app).get(`/notes/${note.id}`).set(user.auth).set('If-None-Match', get.headers.etag);
    const head = await request(app).head(`/notes/${note.id}`).set(user.auth);

    expect(notModified.status).toBe(304);
    expect(notModified.headers['api-version']).toBe('1');
    expect(head.headers['api-version']).toBe('1');
  });

  it('CORS exposes it to browser scripts', async () => {
    const res = await request(app).get('/').set('Origin', 'https://example.org');

    expect(String(res.headers['access-control-expose-headers']).split(',')).toContain('API-Version');
  });
});

describe('the API-Version request header', () => {
  it('1 answers as without it', async () => {
    const plain = await request(app).get('/notes').set(user.auth);
    const asked = await request(app).get('/notes').set(user.auth).set('API-Version', '1');

    expect(asked.status).toBe(200);
    expect(asked.text).toBe(plain.text);
    expect(asked.headers.etag).toBe(plain.headers.etag);
  });

  it.each([['2'], ['0'], ['1.1'], ['v1'], [''], ['1, 2']])('%p is 400 naming the supported versions, before anything else is done', async (value) => {
    const res = await request(app).post('/notes').set(user.auth).set('API-Version', value).send({ text: 'never written' });

    const body = expectProblem(res, 400);
    expect(body.detail).toBe(`API version ${JSON.stringify(value)} is not supported; supported versions: 1.`);
    expect(body.errors).toEqual([{ in: 'header', name: 'API-Version', message: 'supported: 1' }]);
    expect(res.headers['api-version']).toBe('1');
    const list = await request(app).get('/notes?q=never').set(user.auth);
    expect(list.body.notes).toEqual([]);
  });

  it('echoes at most 20 characters of a long value', async () => {
    const res = await request(app).get('/').set('API-Version', '9'.repeat(1000));

    expect(expectProblem(res, 400).detail).toBe(`API version "${'9'.repeat(20)}…" is not supported; supported versions: 1.`);
  });
});

describe('the version parameter of Accept', () => {
  it('application/json; version=1 negotiates JSON as usual: 200, same body and ETag', async () => {
    const plain = await request(app).get('/notes').set(user.auth);
    const versioned = await request(app).get('/notes').set(user.auth).set('Accept', 'application/json; version=1');

    expect(versioned.status).toBe(200);
    expect(versioned.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(versioned.text).toBe(plain.text);
    expect(versioned.headers.etag).toBe(plain.headers.etag);
  });

  it.each([['application/hal+json; version=1'], ['application/hal+json;version="1"'], ['application/hal+json; q=0.9; version=1']])(
    '%s negotiates HAL',
    async (accept) => {
      const res = await request(app).get('/').set('Accept', accept);

      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/hal+json; charset=utf-8');
      expect(res.body._links.self).toEqual(expect.objectContaining({ href: '/' }));
    },
  );

  it('application/prs.hal-forms+json; version=1 negotiates HAL-FORMS', async () => {
    const res = await request(app).get('/').set('Accept', 'application/prs.hal-forms+json; version=1');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/prs.hal-forms+json; charset=utf-8');
  });

  it.each([['application/json; version=2'], ['application/hal+json; version=0'], ['application/json; version=2, application/hal+json; version=3']])(
    '%s is 406 naming the supported versions',
    async (accept) => {
      const res = await request(app).get('/notes').set(user.auth).set('Accept', accept);

      const body = expectProblem(res, 406);
      expect(body.detail).toMatch(/^No representation in API version "\d+"(, "\d+")*; supported versions: 1\.$/);
      expect(body.errors).toEqual([{ in: 'header', name: 'Accept', message: 'supported: version=1' }]);
      expect(res.headers['api-version']).toBe('1');
    },
  );

  it('a range for an unknown version is skipped when another range can be served', async () => {
    const res = await request(app).get('/').set('Accept', 'application/hal+json; version=2, application/json; version=1; q=0.5');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('an Accept without versions negotiates as before (unsatisfiable types are still 406)', async () => {
    const res = await request(app).get('/').set('Accept', 'text/html');

    expectProblem(res, 406);
  });
});

describe('readAcceptVersions', () => {
  it('drops version=1 and keeps every other parameter, quoted commas included', () => {
    expect(readAcceptVersions('application/json; version=1; q=0.8, text/x-a; p="a,b"; VERSION="1"')).toEqual({
      accept: 'application/json; q=0.8, text/x-a; p="a,b"',
      unsupported: [],
      usable: 2,
    });
  });

  it('keeps escaped quotes inside quoted strings and bare parameters as they are', () => {
    expect(readAcceptVersions('text/x-a; p="a\\",b"; flag; version=1,,application/json')).toEqual({
      accept: 'text/x-a; p="a\\",b"; flag,application/json',
      unsupported: [],
      usable: 2,
    });
  });

  it('drops ranges of unknown versions and names them', () => {
    expect(readAcceptVersions('application/json;version=2,*/*;q=0.1')).toEqual({ accept: '*/*;q=0.1', unsupported: ['2'], usable: 1 });
  });
});
