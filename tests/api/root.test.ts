import request from 'supertest';
import { app } from '../../src/app';
import { expectProblem } from './helpers';

describe('GET / (entry point)', () => {
  it('answers 200 with the welcome message, every starting rel and a strong ETag', async () => {
    const res = await request(app).get('/');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({
      message: 'Welcome to the Thunder Notes API.',
      links: [
        { rel: 'self', href: '/', method: 'GET' },
        { rel: 'auth', href: '/auth', method: 'POST' },
        { rel: 'register', href: '/users', method: 'POST' },
        { rel: 'notes', href: '/notes', method: 'GET' },
        { rel: 'client', href: '/client/', method: 'GET' },
      ],
    });
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('answers 304 without a body when If-None-Match carries the current ETag', async () => {
    const first = await request(app).get('/');
    const res = await request(app).get('/').set('If-None-Match', first.headers.etag);

    expect(res.status).toBe(304);
    expect(res.text).toBe('');
    expect(res.headers.etag).toBe(first.headers.etag);
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('HEAD answers like GET without a body', async () => {
    const get = await request(app).get('/');
    const head = await request(app).head('/');

    expect(head.status).toBe(200);
    expect(head.text).toBeUndefined();
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
  });

  it.each(['post', 'put', 'patch', 'delete'] as const)('%s / is 405 with Allow: GET, HEAD', async (method) => {
    const res = await request(app)[method]('/');

    expectProblem(res, 405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('OPTIONS preflight answers 204 with CORS headers', async () => {
    const res = await request(app)
      .options('/notes')
      .set('Origin', 'http://example.test')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'Authorization, Content-Type');

    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toMatch(/POST/);
  });

  it('exposes the headers a browser client needs to read', async () => {
    const res = await request(app).get('/').set('Origin', 'http://example.test');

    const exposed = String(res.headers['access-control-expose-headers']).split(',');
    expect(exposed).toEqual(expect.arrayContaining(['X-Access-Token', 'Location', 'ETag', 'Link', 'X-Total-Count']));
  });

  it('sets helmet security headers', async () => {
    const res = await request(app).get('/');

    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('an unknown path is a JSON 404 with a link to /', async () => {
    const res = await request(app).post('/nowhere').send({ a: 1 });

    const body = expectProblem(res, 404);
    expect(body.links).toEqual([{ rel: 'root', href: '/', method: 'GET' }]);
  });
});
