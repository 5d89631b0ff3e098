/**
 * Issue 13: every custom link relation the API uses resolves to a short HTML page at
 * `/rels/{rel}` (no token, no scripts, CSP-clean), listed at `/rels`. The rels are read from the
 * link builders' source, not from a hand-kept list, so a new rel without a page fails here.
 */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { app } from '../../src/app';
import { IANA_RELS } from '../../src/handlers/hal';
import { useTestDb } from '../helpers/db';
import { expectProblem, newUser } from './helpers';
import { parseLinkHeader } from './linkHeader';

useTestDb();

/** Every rel named in a link builder of src/controllers: `link('rel', …)` or `rel: 'rel'`. */
function relsInCode(): string[] {
  const dir = path.join(__dirname, '../../src/controllers');
  const found = new Set<string>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const source = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const m of source.matchAll(/\blink\(\s*'([^']+)'|\brel:\s*'([^']+)'/g)) found.add(m[1] ?? m[2]);
  }
  return [...found].sort();
}

const customRels = relsInCode().filter((rel) => !IANA_RELS.has(rel));

describe('GET /rels/{rel}', () => {
  it('the link builders use the custom rels the issue names (the scan finds them)', () => {
    expect(customRels).toEqual(expect.arrayContaining(['add-note', 'auth', 'client', 'delete', 'edit-text', 'notes', 'profile', 'register', 'root', 'update']));
  });

  it.each(customRels)('%s has a page: 200 HTML, no token, no script, no inline style, a strong ETag', async (rel) => {
    const res = await request(app).get(`/rels/${rel}`);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.text).toMatch(new RegExp(`<h1>Link relation <code>${rel}</code></h1>`));
    expect(res.text).toMatch(/<dt><code>(GET|POST|PUT|PATCH|DELETE) \//);
    expect(res.text).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.headers['cache-control']).toBe('no-cache');
  });

  it('answers 304 to a matching If-None-Match, and HEAD without a body', async () => {
    const first = await request(app).get('/rels/add-note');
    const again = await request(app).get('/rels/add-note').set('If-None-Match', first.headers.etag);
    const head = await request(app).head('/rels/add-note');

    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(head.status).toBe(200);
    expect(head.text).toBeUndefined();
    expect(head.headers['content-length']).toBe(first.headers['content-length']);
  });

  it.each(['self', 'edit', 'nope', 'constructor', '__proto__', 'x'.repeat(500)])('an unknown or registered rel (%s) is 404 problem+json', async (rel) => {
    const res = await request(app).get(`/rels/${rel}`);

    expectProblem(res, 404);
  });

  it('a rel URI from a Link header resolves to its page', async () => {
    const user = await newUser('Follows');
    const root = await request(app).get('/').set(user.auth);

    // The API's own rels are URIs; IANA-registered ones (service-desc, service-doc) are plain names.
    for (const link of parseLinkHeader(root.headers.link).filter((l) => l.rel.includes('/'))) {
      const page = await request(app).get(new URL(link.rel).pathname);
      expect(page.status).toBe(200);
    }
  });

  it('POST /rels/notes is 405 with Allow: GET, HEAD, OPTIONS; OPTIONS answers 204', async () => {
    expectProblem(await request(app).post('/rels/notes'), 405);
    const options = await request(app).options('/rels');
    expect(options.status).toBe(204);
    expect(options.headers.allow).toBe('GET, HEAD, OPTIONS');
  });
});

describe('GET /rels', () => {
  it('lists a link to every custom rel of the code, as HTML without scripts', async () => {
    const res = await request(app).get('/rels');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const rel of customRels) expect(res.text).toContain(`<a href="/rels/${rel}">`);
    expect(res.text).not.toMatch(/<script|<style|\sstyle=/i);
  });
});
