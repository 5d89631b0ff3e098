/**
 * X-Request-Id: a sane id from the client is kept, anything else is replaced by a new UUID; the
 * id is echoed on every response (errors too) and carried by the request's log lines.
 */
import request from 'supertest';
import { createApp } from '../../src/app';
import { requestIdFor } from '../../src/middlewares/requestId';
import { useTestDb } from '../helpers/db';
import { captureLog } from '../helpers/logCapture';

useTestDb();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const log = captureLog('info');
const app = createApp({ logger: log.logger, accessLog: true });

beforeEach(() => log.clear());

describe('X-Request-Id', () => {
  it.each([
    ['a UUID', '0b6f4f6e-2d3c-4c8e-9a1b-5f7e8d9c0a1b'],
    ['letters, digits and -_.:+/=~', 'trace_01.span:7+x/y=z~'],
    ['128 characters', 'a'.repeat(128)],
  ])('keeps %s sent by the client, echoes it and logs the request under it', async (_case, id) => {
    const res = await request(app).get('/').set('X-Request-Id', id);

    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toBe(id);
    expect(log.lines()).toEqual([expect.objectContaining({ reqId: id, method: 'GET', path: '/', status: 200 })]);
  });

  it.each([
    ['129 characters', 'a'.repeat(129)],
    ['a space', 'two words'],
    ['a quote and angle brackets', '"<script>"'],
    ['a comma (two ids)', 'a,b'],
    ['non-ASCII characters', 'idé'],
    ['an empty value', ''],
  ])('replaces an id with %s by a new UUID, and logs the new one', async (_case, id) => {
    const res = await request(app).get('/').set('X-Request-Id', id);

    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(log.lines()).toEqual([expect.objectContaining({ reqId: res.headers['x-request-id'] })]);
    if (id !== '') expect(log.raw.join('\n')).not.toContain(id);
  });

  it('generates a UUID when the client sends none, a different one per request', async () => {
    const first = await request(app).get('/');
    const second = await request(app).get('/');

    expect(first.headers['x-request-id']).toMatch(UUID);
    expect(second.headers['x-request-id']).toMatch(UUID);
    expect(first.headers['x-request-id']).not.toBe(second.headers['x-request-id']);
  });

  it.each([
    ['a 404', () => request(app).get('/no/such/path')],
    ['a 405', () => request(app).put('/notes')],
    ['a 400 from the JSON parser', () => request(app).post('/auth').set('Content-Type', 'application/json').send('{not json')],
    ['a 401', () => request(app).get('/notes')],
  ])('is on error answers too: %s', async (_case, send) => {
    const res = await send().set('X-Request-Id', 'err-1');

    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers['x-request-id']).toBe('err-1');
    expect(log.lines().length).toBeGreaterThan(0);
    expect(log.lines().every((l) => l.reqId === 'err-1')).toBe(true);
  });

  it('is exposed to browsers (CORS)', async () => {
    const res = await request(app).get('/').set('Origin', 'http://example.test');

    expect(res.headers['access-control-expose-headers']).toMatch(/X-Request-Id/);
  });

  it('requestIdFor keeps sane values only', () => {
    expect(requestIdFor('abc')).toBe('abc');
    expect(requestIdFor(undefined)).toMatch(UUID);
    expect(requestIdFor('a\nb')).toMatch(UUID);
  });
});
