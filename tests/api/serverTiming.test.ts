/**
 * Server-Timing (issue 15): with the option on, every answer names the database commands its own
 * request waited for (counted where each command is sent, per request even when requests run
 * concurrently or share one batched command) and the time spent in the app; with it off, nothing.
 */
import request from 'supertest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { forgetUser } from '../../src/controllers/usersController';
import { BatchedLookup, BatchedPages } from '../../src/models/batchedReads';
import { resetIdBlocks } from '../../src/models/Counter';
import { Note } from '../../src/models/Note';
import { RequestTally, withTally } from '../../src/requestTiming';
import { useTestDb } from '../helpers/db';
import { newNote, newUser } from './helpers';

useTestDb();

const timedApp = createApp({ serverTiming: true });
const untimedApp = createApp({ serverTiming: false });

const FORMAT = /^db;dur=(\d+\.\d{2});desc="(\d+) database commands", app;dur=(\d+\.\d{2})$/;

/** The parts of a Server-Timing header; fails when it is missing or malformed. */
function timing(res: request.Response): { dbMs: number; commands: number; appMs: number } {
  const header = res.headers['server-timing'] as string | undefined;
  expect(header).toMatch(FORMAT);
  const [, dbMs, commands, appMs] = FORMAT.exec(header ?? '') ?? [];
  return { dbMs: Number(dbMs), commands: Number(commands), appMs: Number(appMs) };
}

describe('Server-Timing', () => {
  it('GET / without a token needs no database: 0 commands, and some time in the app', async () => {
    const res = await request(timedApp).get('/');

    expect(res.status).toBe(200);
    expect(timing(res)).toEqual({ dbMs: 0, commands: 0, appMs: expect.any(Number) });
    expect(timing(res).appMs).toBeGreaterThan(0);
  });

  it('GET /notes/{id} with a remembered caller is 1 command (the note); with the caller not remembered, 2', async () => {
    const user = await newUser('Timing');
    const note = await newNote(user, 'timed read');

    forgetUser(user.id); // the note's creation remembered the caller: the first GET looks the caller up again
    const first = await request(timedApp).get(`/notes/${note.id}`).set(user.auth);
    const second = await request(timedApp).get(`/notes/${note.id}`).set(user.auth);

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(timing(first).commands).toBe(2);
    expect(timing(second).commands).toBe(1);
    expect(timing(second).dbMs).toBeGreaterThan(0);
    expect(timing(second).dbMs).toBeLessThanOrEqual(timing(second).appMs);
  });

  // Issue 17: the id comes from the process's block; only the create that waits for a reservation counts it.
  it('POST /notes is 1 command (the insert) once the caller is remembered and the process holds ids, 2 when it waits for a block; a 304 and a 401 carry the header too', async () => {
    const user = await newUser('Writer');
    await request(timedApp).get('/notes').set(user.auth); // remembers the caller
    resetIdBlocks();
    const reserving = await request(timedApp).post('/notes').set(user.auth).send({ text: 'reserves a block' });

    const created = await request(timedApp).post('/notes').set(user.auth).send({ text: 'counted' });
    const again = await request(timedApp).get(`/notes/${created.body.id}`).set(user.auth).set('If-None-Match', created.headers.etag);
    const refused = await request(timedApp).get('/notes');

    expect(reserving.status).toBe(201);
    expect(timing(reserving).commands).toBe(2);
    expect(created.status).toBe(201);
    expect(timing(created).commands).toBe(1);
    expect(again.status).toBe(304);
    expect(timing(again).commands).toBe(1);
    expect(refused.status).toBe(401);
    expect(timing(refused).commands).toBe(0);
  });

  it('concurrent requests each count only their own commands, also when their reads share one batched command', async () => {
    const users = await Promise.all(['A', 'B', 'C', 'D'].map((n) => newUser(`Parallel${n}`)));
    const notes = await Promise.all(users.map((u) => newNote(u, 'parallel')));
    await Promise.all(users.map((u) => request(timedApp).get('/notes').set(u.auth))); // remembers the callers

    const answers = await Promise.all([
      ...users.map((u, i) => request(timedApp).get(`/notes/${notes[i].id}`).set(u.auth)),
      request(timedApp).post('/notes').set(users[0].auth).send({ text: 'written meanwhile' }),
      request(timedApp).get('/'),
      request(timedApp).get('/notes').set(users[1].auth),
    ]);

    expect(answers.map((res) => res.status)).toEqual([200, 200, 200, 200, 201, 200, 200]);
    expect(answers.map((res) => timing(res).commands)).toEqual([1, 1, 1, 1, 1, 0, expect.any(Number)]); // the create's id from the block held
    expect(timing(answers[6]).commands).toBeGreaterThanOrEqual(1); // one aggregate (embedded) or count + find (MongoDB)
  });

  it('a batched read sent once for several requests counts once for each of them, and for no other request', async () => {
    const lookup = new BatchedLookup<{ id: string }>(Note, { scope: 'owner', key: 'id' }, { id: 1 });
    const pages = new BatchedPages<{ id: string }>(Note, { id: 1 });
    const [a, b, bystander] = [new RequestTally(), new RequestTally(), new RequestTally()];

    // Loads made in one event-loop round go out as one command each (a find, an aggregate).
    await withTally(bystander, () =>
      Promise.all([
        withTally(a, () => Promise.all([lookup.load('a', '1'), pages.load({ filter: { owner: 'a' }, sort: { seq: 1 }, skip: 0, limit: 2 })])),
        withTally(b, () => Promise.all([lookup.load('a', '2'), pages.load({ filter: { owner: 'b' }, sort: { seq: 1 }, skip: 0, limit: 2 })])),
      ]),
    );

    expect([a.commands, b.commands, bystander.commands]).toEqual([2, 2, 0]);
    expect(a.dbMs).toBeGreaterThan(0);
    expect(a.dbMs).toBe(b.dbMs); // the same two commands
  });

  it('is readable by browser clients on other origins (Access-Control-Expose-Headers)', async () => {
    const res = await request(timedApp).get('/').set('Origin', 'http://example.test');

    expect(String(res.headers['access-control-expose-headers']).split(',')).toContain('Server-Timing');
  });

  it('is not sent when off (the default under NODE_ENV=test and in production)', async () => {
    const res = await request(untimedApp).get('/');

    expect(res.status).toBe(200);
    expect(res.headers['server-timing']).toBeUndefined();
  });
});

describe('TN_SERVER_TIMING', () => {
  it('defaults to on in development only; true or false overrides it', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).serverTiming).toBe(true);
    expect(loadConfig({ NODE_ENV: 'test' }).serverTiming).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', TN_JWT_PRIVATE_KEY: 'k'.repeat(40) }).serverTiming).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', TN_JWT_PRIVATE_KEY: 'k'.repeat(40), TN_SERVER_TIMING: 'true' }).serverTiming).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development', TN_SERVER_TIMING: 'false' }).serverTiming).toBe(false);
    expect(() => loadConfig({ TN_SERVER_TIMING: 'yes' })).toThrow(/TN_SERVER_TIMING/);
  });
});
