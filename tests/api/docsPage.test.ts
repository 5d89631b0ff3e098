/**
 * The API reference page, `/docs`: Swagger UI served by the API itself. The HTML has no inline
 * script (the CSP allows scripts from 'self' only) and loads its assets from /docs/ only (no
 * CDN); those answer with the right types, exactly the package's bytes, cacheably; nothing
 * else of client/docs/ or of swagger-ui-dist is served. `/docs` itself is a resource of the API:
 * OPTIONS and 405 as for every path of the route table. Rendering it in a browser is
 * tests/e2e/docs.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { app, createApp } from '../../src/app';
import { OPENAPI_PATH } from '../../src/openapi/document';
import { expectProblem } from './helpers';

const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** The value of one directive of a Content-Security-Policy header. */
function directive(csp: string, name: string): string | undefined {
  return csp
    .split(';')
    .map((d) => d.trim())
    .find((d) => d.startsWith(`${name} `));
}

/** Every `<script …>…</script>` of an HTML text: its attributes and its content. */
function scripts(html: string): Array<{ attrs: string; content: string }> {
  return [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)].map((m) => ({ attrs: m[1] ?? '', content: m[2] ?? '' }));
}

/** The URLs the HTML loads: script `src` and `<link href>` (stylesheets, icons). Not `<a href>`. */
function assetUrls(html: string): string[] {
  const sources = [...html.matchAll(/<script\b[^>]*\ssrc="([^"]*)"/gi)].map((m) => m[1] ?? '');
  const links = [...html.matchAll(/<link\b[^>]*\shref="([^"]*)"/gi)].map((m) => m[1] ?? '');
  return [...sources, ...links];
}

describe('GET /docs', () => {
  let html: string;
  let res: request.Response;
  beforeAll(async () => {
    res = await request(app).get('/docs');
    html = res.text;
  });

  it('is an HTML page, without a token, with the API version', () => {
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['api-version']).toBe('1');
    expect(html).toContain('id="swagger-ui"');
  });

  it('is answered under the app CSP, which allows no inline or evaluated script', () => {
    const csp = res.headers['content-security-policy'] as string;
    expect(directive(csp, 'script-src')).toBe("script-src 'self'");
    expect(directive(csp, 'script-src-attr')).toBe("script-src-attr 'none'");
    expect(csp).not.toMatch(/upgrade-insecure-requests/);
  });

  it('has no inline script: every script is an empty element with a src, and no on* handler attributes', () => {
    const found = scripts(html);
    expect(found.length).toBeGreaterThanOrEqual(2);
    for (const script of found) {
      expect(script.attrs).toMatch(/\ssrc="/);
      expect(script.content.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
  });

  it('loads its assets from /docs/ only (absolute paths, no CDN): Swagger UI, its stylesheet and our initializer', () => {
    const urls = assetUrls(html);
    expect(urls).toEqual(expect.arrayContaining(['/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css', '/docs/init.js']));
    for (const url of urls) expect(url).toMatch(/^\/docs\/[\w.-]+$/);
  });

  it('loads the bundle before the initializer, both deferred (so they run in order after parsing)', () => {
    const sources = scripts(html).map((s) => /\ssrc="([^"]*)"/.exec(s.attrs)?.[1]);
    expect(sources).toEqual(['/docs/swagger-ui-bundle.js', '/docs/init.js']);
    for (const script of scripts(html)) expect(script.attrs).toMatch(/\sdefer\b/);
  });

  it('GET /docs/ is the same page', async () => {
    const slash = await request(app).get('/docs/');

    expect(slash.status).toBe(200);
    expect(slash.text).toBe(html);
  });

  it('HEAD /docs answers the headers of GET without a body', async () => {
    const head = await request(app).head('/docs');

    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toMatch(/^text\/html/);
    expect(head.headers['content-length']).toBe(res.headers['content-length']);
    expect(head.headers.etag).toBe(res.headers.etag);
    expect(head.text).toBeFalsy();
  });

  it('is cacheable: an ETag, and 304 when the copy is current', async () => {
    expect(res.headers.etag).toBeTruthy();
    expect(res.headers['cache-control']).toMatch(/max-age=0/);

    const again = await request(app).get('/docs').set('If-None-Match', res.headers.etag as string);

    expect(again.status).toBe(304);
    expect(again.text).toBeFalsy();
    expect(again.headers['api-version']).toBe('1');
  });

  it.each(['post', 'put', 'patch', 'delete'] as const)('%s /docs is a 405 problem with Allow, like every path of the route table', async (method) => {
    const res = await request(app)[method]('/docs');

    expectProblem(res, 405);
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
  });

  it('OPTIONS /docs answers 204 with Allow, also as a CORS preflight', async () => {
    const plain = await request(app).options('/docs');
    const preflight = await request(app).options('/docs').set('Origin', 'https://example.org').set('Access-Control-Request-Method', 'GET');

    expect(plain.status).toBe(204);
    expect(plain.headers.allow).toBe('GET, HEAD, OPTIONS');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
  });

  it('counts against no rate limit', () => {
    expect(res.headers).not.toHaveProperty('ratelimit');
    expect(res.headers).not.toHaveProperty('ratelimit-policy');
  });
});

describe('the assets under /docs/', () => {
  it.each([
    ['/docs/swagger-ui-bundle.js', /^application\/javascript|^text\/javascript/, 'swagger-ui-bundle.js'],
    ['/docs/swagger-ui.css', /^text\/css/, 'swagger-ui.css'],
    ['/docs/favicon-32x32.png', /^image\/png/, 'favicon-32x32.png'],
    ['/docs/favicon-16x16.png', /^image\/png/, 'favicon-16x16.png'],
  ])('GET %s is the package file, with its type', async (url, type, file) => {
    const res = await request(app).get(url).buffer(true).parse((r, done) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => done(null, Buffer.concat(chunks)));
    });

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(type);
    expect(res.headers.etag).toBeTruthy();
    expect(Buffer.compare(res.body as Buffer, fs.readFileSync(path.join(SWAGGER_UI_DIR, file)))).toBe(0);
  });

  it('GET /docs/docs.css is the page stylesheet', async () => {
    const res = await request(app).get('/docs/docs.css');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/css/);
  });

  it('GET /docs/init.js is the initializer: a script that starts Swagger UI over /openapi.json and authorizes bearerAuth from issued tokens', async () => {
    const res = await request(app).get('/docs/init.js');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.text).toMatch(/SwaggerUIBundle\(/);
    expect(res.text).toContain(`'${OPENAPI_PATH}'`);
    expect(res.text).toContain("'bearerAuth'");
    expect(res.text).toMatch(/preauthorizeApiKey\(/);
    expect(res.text).toMatch(/validatorUrl: null/);
  });

  it('HEAD of an asset works', async () => {
    const head = await request(app).head('/docs/swagger-ui.css');

    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toMatch(/^text\/css/);
    expect(Number(head.headers['content-length'])).toBe(fs.statSync(path.join(SWAGGER_UI_DIR, 'swagger-ui.css')).size);
  });

  it.each([
    '/docs/nope.js',
    '/docs/index.html',
    '/docs/swagger-initializer.js',
    '/docs/swagger-ui-es-bundle.js',
    '/docs/swagger-ui-standalone-preset.js',
    '/docs/oauth2-redirect.html',
    '/docs/package.json',
    '/docs/index.css',
    '/docs//init.js',
    '/docs/init.js/',
    '/docs/docs/init.js',
    '/docs/%2e%2e/package.json',
    '/client/docs/init.js',
    '/client/docs/index.html',
  ])('GET %s (not one of the page files) answers a 404 problem', async (url) => {
    const res = await request(app).get(url);

    expectProblem(res, 404);
    expect(res.headers['api-version']).toBe('1');
  });

  it.each(['post', 'put', 'patch', 'delete'] as const)('%s of an asset is a 404 problem, like /client files', async (method) => {
    const res = await request(app)[method]('/docs/init.js');

    expectProblem(res, 404);
  });

  it('Swagger UI source maps are served outside production only', async () => {
    const development = await request(createApp({ clientSourceMap: true })).get('/docs/swagger-ui-bundle.js.map');
    const production = await request(createApp({ clientSourceMap: false })).get('/docs/swagger-ui-bundle.js.map');

    expect(development.status).toBe(200);
    expect(JSON.parse(development.text)).toHaveProperty('mappings');
    expectProblem(production, 404);
  });
});
