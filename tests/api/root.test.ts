import request from 'supertest';
import { app, createApp } from '../../src/app';
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
        { rel: 'widget', href: '/client/widget/latest-notes.js', method: 'GET' },
        { rel: 'widget-demo', href: '/client/widget/demo.html', method: 'GET' },
        { rel: 'service-desc', href: '/openapi.json', method: 'GET' },
        { rel: 'service-doc', href: '/docs', method: 'GET' },
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

  it.each(['post', 'put', 'patch', 'delete'] as const)('%s / is 405 with Allow: GET, HEAD, OPTIONS', async (method) => {
    const res = await request(app)[method]('/');

    expectProblem(res, 405);
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
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

  it('OPTIONS on a path with parameters is a preflight too', async () => {
    const res = await request(app)
      .options('/notes/7')
      .set('Origin', 'http://example.test')
      .set('Access-Control-Request-Method', 'PATCH')
      .set('Access-Control-Request-Headers', 'Authorization, Content-Type');

    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-methods']).toMatch(/PATCH/);
  });

  it.each(['/nope', '/notes/7/extra', '/client/src/main.ts'])('OPTIONS %s, a path that does not exist, is a 404 problem', async (path) => {
    const res = await request(app).options(path).set('Origin', 'http://example.test').set('Access-Control-Request-Method', 'GET');

    expectProblem(res, 404);
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

describe('/client/ serves the page and nothing else of client/', () => {
  it.each([
    ['/client/', /text\/html/],
    ['/client/index.html', /text\/html/],
    ['/client/styles.css', /text\/css/],
    ['/client/dist/app.js', /javascript/],
  ])('GET %s answers 200', async (path, type) => {
    const res = await request(app).get(path);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(type);
  });

  it('GET /client redirects to /client/', async () => {
    const res = await request(app).get('/client');

    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/client/');
  });

  it.each(['/client/src/main.ts', '/client/src/', '/client/tsconfig.json', '/client/dist/', '/client/dist/../src/main.ts', '/client//dist/app.js'])(
    'GET %s answers a 404 problem',
    async (path) => {
      const res = await request(app).get(path);

      expectProblem(res, 404);
    },
  );

  it('the source map is served outside production and not in production', async () => {
    const development = await request(createApp({ clientSourceMap: true })).get('/client/dist/app.js.map');
    const production = await request(createApp({ clientSourceMap: false })).get('/client/dist/app.js.map');

    expect(development.status).toBe(200);
    expect(JSON.parse(development.text)).toHaveProperty('sourcesContent');
    expectProblem(production, 404);
  });
});
