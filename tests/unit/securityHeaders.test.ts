/**
 * securityHeaders replays what helmet and cors set, recorded once: every response must carry
 * exactly the headers, in the same order, that running both packages on each request gives.
 */
import cors from 'cors';
import express, { type Express } from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { recordHeaders, securityHeaders, type HeaderOptions } from '../../src/middlewares/securityHeaders';

const OPTIONS: HeaderOptions = {
  helmet: { contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } },
  cors: { exposedHeaders: ['Location', 'ETag', 'X-Request-Id'] },
};

/** An app answering every method on /x with 200 (and OPTIONS with 204), behind the given header middleware(s). */
function appWith(...middlewares: express.RequestHandler[]): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(...middlewares);
  app.options('/x', (_req, res) => {
    res.status(204).end();
  });
  app.all('/x', (_req, res) => {
    res.status(200).end('ok');
  });
  return app;
}

const live = appWith(helmet(OPTIONS.helmet), cors({ ...OPTIONS.cors, preflightContinue: true }));
const replayed = appWith(securityHeaders(OPTIONS));

/** The response's header lines, without Date (it changes) . */
function headerLines(res: request.Response): string[] {
  const raw = (res as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders;
  const lines: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() !== 'date') lines.push(`${raw[i]}: ${raw[i + 1]}`);
  return lines;
}

describe('securityHeaders', () => {
  it.each([
    ['GET', (app: Express) => request(app).get('/x')],
    ['GET with an Origin', (app: Express) => request(app).get('/x').set('Origin', 'http://example.test')],
    ['POST', (app: Express) => request(app).post('/x').send({ a: 1 })],
    [
      'an OPTIONS preflight',
      (app: Express) =>
        request(app).options('/x').set('Origin', 'http://example.test').set('Access-Control-Request-Method', 'PATCH').set('Access-Control-Request-Headers', 'content-type,authorization'),
    ],
    ['an OPTIONS without preflight headers', (app: Express) => request(app).options('/x')],
  ])('sets the same headers in the same order as helmet and cors do live: %s', async (_case, send) => {
    const expected = await send(live);
    const actual = await send(replayed);

    expect(actual.status).toBe(expected.status);
    expect(headerLines(actual)).toEqual(headerLines(expected));
    expect(headerLines(actual).some((l) => l.startsWith('Content-Security-Policy: '))).toBe(true);
  });

  it('refuses to record a middleware that does not call next() at once', () => {
    expect(() => recordHeaders((_req, _res, next) => setImmediate(next))).toThrow(/synchronously/);
  });

  it('refuses a CORS origin that would make the headers depend on the request', () => {
    expect(() => securityHeaders({ ...OPTIONS, cors: { origin: ['http://a.test'] } })).toThrow(/origin/);
  });
});
