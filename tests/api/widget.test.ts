/**
 * Code on demand (issue 15): `/` links to the widget script (rel `widget`) and to a demo page that
 * runs it (rel `widget-demo`); both are served by the API, each rel has its documentation page, the
 * script is embeddable by other origins, and neither file has inline code or eval.
 */
import request from 'supertest';
import { app } from '../../src/app';
import { linkOf } from './helpers';

async function rootLink(rel: string): Promise<string> {
  const root = await request(app).get('/');
  const found = linkOf(root.body.links as Array<{ rel: string; href: string; method: string }>, rel);
  expect(found).toMatchObject({ method: 'GET' });
  return found?.href ?? '';
}

describe('the latest-notes widget', () => {
  it('the script is the widget link of /: JavaScript, embeddable by other origins, no eval or dynamic code', async () => {
    const href = await rootLink('widget');
    const res = await request(app).get(href);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^(text|application)\/javascript/);
    expect(res.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(res.text).toContain('window.ThunderNotesWidgets');
    expect(res.text).not.toMatch(/\beval\s*\(|new Function|innerHTML|insertAdjacentHTML|document\.write|setTimeout\(\s*['"]/);
  });

  it('the demo page is the widget-demo link of /: HTML loading the script and its own script, nothing inline, under the API CSP', async () => {
    const href = await rootLink('widget-demo');
    const res = await request(app).get(href);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const scripts = [...res.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => /src="([^"]+)"/.exec(m[1])?.[1])).toEqual(['latest-notes.js', 'demo.js']);
    expect(scripts.every((m) => m[2].trim() === '')).toBe(true);
    expect(res.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
    expect(res.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(res.headers['content-security-policy']).toMatch(/script-src-attr 'none'/);
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin'); // only the script is embeddable

    for (const asset of ['demo.js', 'demo.css', 'latest-notes.js']) {
      expect((await request(app).get(new URL(asset, `http://x${href}`).pathname)).status).toBe(200);
    }
  });

  it.each(['widget', 'widget-demo'])('the rel %s has its documentation page', async (rel) => {
    const res = await request(app).get(`/rels/${rel}`);

    expect(res.status).toBe(200);
    expect(res.text).toContain(`<h1>Link relation <code>${rel}</code></h1>`);
  });

  it('serves nothing else from the widget folder', async () => {
    expect((await request(app).get('/client/widget/')).status).toBe(404);
    expect((await request(app).get('/client/widget/nope.js')).status).toBe(404);
  });
});
