import request from 'supertest';
import { app } from '../src/app';

describe('the app shell', () => {
  it('GET / answers 200 with the welcome message and links to every starting point', async () => {
    const res = await request(app).get('/');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.message).toBe('Welcome to the Thunder Notes API.');
    const rels = (res.body.links as { rel: string }[]).map((l) => l.rel);
    expect(rels).toEqual(expect.arrayContaining(['self', 'auth', 'register', 'notes', 'client']));
  });

  it('an unknown path gets a JSON 404 problem with a link to the entry point, not an HTML page', async () => {
    const res = await request(app).get('/no/such/thing');

    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, title: 'Not Found' });
    expect(res.body.message).toBe(res.body.detail);
    expect(res.body.links).toEqual(expect.arrayContaining([expect.objectContaining({ href: '/' })]));
  });
});

describe('security headers', () => {
  it('sets a content security policy that allows only same-origin scripts and does not force https', async () => {
    const res = await request(app).get('/');

    const csp = res.headers['content-security-policy'];
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/upgrade-insecure-requests/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});
