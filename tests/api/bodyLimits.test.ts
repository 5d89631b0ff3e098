/**
 * Bodies that cost the server more than their size: deep nesting (refused before parsing, in
 * bounded time, without a token) and many bad keys (the 400 lists a bounded number of them).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { app } from '../../src/app';
import { MAX_JSON_DEPTH } from '../../src/middlewares/jsonDepth';
import { MAX_FIELD_ERRORS } from '../../src/middlewares/validate';
import { Note } from '../../src/models/Note';
import { useTestDb } from '../helpers/db';
import { errorNames, expectProblem, newUser, type TestUser } from './helpers';

useTestDb();
let user: TestUser;
beforeAll(async () => {
  user = await newUser();
});

/** `{"text":"x","extra":[[…]]}` with the arrays making the whole body `depth` levels deep. */
function nestedNote(depth: number): string {
  const inner = depth - 1;
  return `{"text":"nested","extra":${'['.repeat(inner)}${']'.repeat(inner)}}`;
}

/** The finding's body: 15 kB, 7,300 levels of arrays. */
const ATTACK_BODY = `{"a":${'['.repeat(7_300)}${']'.repeat(7_300)}}`;

describe('JSON nesting depth', () => {
  it('a 15 kB body nested 7,300 levels answers 400 naming the limit, without a token', async () => {
    expect(ATTACK_BODY.length).toBeGreaterThan(14_000);

    for (const path of ['/auth', '/users', '/notes']) {
      const res = await request(app).post(path).set('Content-Type', 'application/json').send(ATTACK_BODY);

      const body = expectProblem(res, 400);
      expect(body.detail).toBe(`The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`);
      expect(body.errors).toEqual([{ in: 'body', name: 'body', message: 'must not nest arrays and objects deeper than 32 levels' }]);
    }
  });

  it('the same body is refused in under 5 ms of server time', async () => {
    // Server time: from the request event to the last byte of the answer, on a real socket.
    const durations: number[] = [];
    const server = http.createServer((req, res) => {
      const started = process.hrtime.bigint();
      res.once('finish', () => durations.push(Number(process.hrtime.bigint() - started) / 1e6));
      app(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth`;
      for (let i = 0; i < 7; i++) {
        const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: ATTACK_BODY });
        expect(res.status).toBe(400);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }

    // The fastest run is the cost of the work; the median allows for a machine busy with other
    // test files (before the limit, every run took 300 to 500 ms).
    const sorted = [...durations].sort((a, b) => a - b);
    expect(sorted[0]).toBeLessThan(5);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(50);
  });

  it('a body of exactly 32 levels is accepted and one of 33 is refused', async () => {
    const before = await Note.countDocuments();

    const ok = await request(app).post('/notes').set(user.auth).set('Content-Type', 'application/json').send(nestedNote(32));
    const deep = await request(app).post('/notes').set(user.auth).set('Content-Type', 'application/json').send(nestedNote(33));

    expect(ok.status).toBe(201);
    expect(ok.body.text).toBe('nested');
    expectProblem(deep, 400);
    expect(await Note.countDocuments()).toBe(before + 1);
  });

  it('brackets inside strings, escaped quotes included, do not count as nesting', async () => {
    const text = `${'[{'.repeat(40)} \\" ${'['.repeat(40)}`;

    const res = await request(app).post('/notes').set(user.auth).set('Content-Type', 'application/json').send(`{"text":"${text}"}`);

    expect(res.status).toBe(201);
    expect(res.body.text).toBe(text.replace('\\"', '"'));
  });

  it('a deep body in UTF-16 is refused too', async () => {
    const res = await request(app)
      .post('/auth')
      .set('Content-Type', 'application/json; charset=utf-16le')
      // As bytes: superagent would otherwise serialise the Buffer itself as JSON.
      .serialize((bytes: Buffer) => bytes as unknown as string)
      .send(Buffer.from(ATTACK_BODY, 'utf16le'));

    expect(expectProblem(res, 400).detail).toBe(`The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`);
  });
});

describe('the size of a 400', () => {
  it('1,000 operator keys answer at most 21 field errors, the last one counting the rest', async () => {
    const raw = `{${Array.from({ length: 1_000 }, (_, i) => `"$k${i}":1`).join(',')}}`;

    const res = await request(app).post('/notes').set(user.auth).set('Content-Type', 'application/json').send(raw);

    expectProblem(res, 400);
    expect(res.body.errors).toHaveLength(MAX_FIELD_ERRORS + 1);
    expect(errorNames(res).slice(0, 3)).toEqual(['$k0', '$k1', '$k2']);
    expect(res.body.errors[MAX_FIELD_ERRORS]).toEqual({ in: 'body', name: '…', message: 'and 980 more not listed' });
    expect(res.text.length).toBeLessThan(raw.length);
  });

  it('a huge offending key is echoed cut to 100 characters', async () => {
    const key = `$${'k'.repeat(50_000)}`;

    const res = await request(app).post('/notes').set(user.auth).send({ [key]: 1 });

    expectProblem(res, 400);
    expect(errorNames(res)).toEqual([`${key.slice(0, 100)}…`]);
    expect(res.text.length).toBeLessThan(1_000);
  });
});
