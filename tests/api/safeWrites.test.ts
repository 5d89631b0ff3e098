/**
 * Safe writes of notes (issue 12): conditional PUT/PATCH/DELETE (If-Match, If-Unmodified-Since,
 * 412 with the current ETag, 428 when required, atomic check-and-write), the three PATCH
 * formats, OPTIONS on every route, and Prefer: return=. Real app, real database.
 */
import request from 'supertest';
import { app, createApp } from '../../src/app';
import { createNoteOnce } from '../../src/controllers/notesController';
import { IDEMPOTENCY_TTL_MS } from '../../src/controllers/idempotency';
import { Note } from '../../src/models/Note';
import { User } from '../../src/models/User';
import { uniqueEmail } from '../helpers/ids';
import { useTestDb } from '../helpers/db';
import { errorNames, expectProblem, newNote, newUser, type TestUser } from './helpers';

useTestDb();
let user: TestUser;
beforeAll(async () => {
  user = await newUser('Careful');
});

const PATCH_TYPES = 'application/json, application/merge-patch+json, application/json-patch+json';

async function current(id: string): Promise<{ etag: string; body: Record<string, unknown>; lastModified: string }> {
  const res = await request(app).get(`/notes/${id}`).set(user.auth);
  expect(res.status).toBe(200);
  return { etag: res.headers.etag, body: res.body, lastModified: res.headers['last-modified'] };
}

describe('conditional writes of a note', () => {
  it('a PATCH with the current ETag is 204 with the new ETag, which the next conditional PATCH uses without a GET', async () => {
    const note = await newNote(user, 'v1');
    const { etag } = await current(note.id);

    const first = await request(app).patch(`/notes/${note.id}`).set(user.auth).set('If-Match', etag).send({ text: 'v2' });
    const second = await request(app).patch(`/notes/${note.id}`).set(user.auth).set('If-Match', first.headers.etag).send({ text: 'v3' });

    expect(first.status).toBe(204);
    expect(first.headers.etag).not.toBe(etag);
    expect(second.status).toBe(204);
    const now = await current(note.id);
    expect(now.body.text).toBe('v3');
    expect(now.etag).toBe(second.headers.etag);
  });

  it.each([
    ['PATCH', (id: string) => request(app).patch(`/notes/${id}`).send({ text: 'lost' })],
    ['PUT', (id: string) => request(app).put(`/notes/${id}`).send({ id, text: 'lost', createdAt: 1, updatedAt: 1 })],
    ['DELETE', (id: string) => request(app).delete(`/notes/${id}`)],
  ])('%s with a stale ETag is 412 problem+json carrying the current ETag, and nothing is written', async (_method, send) => {
    const note = await newNote(user, 'original');
    const before = await current(note.id);

    const res = await send(note.id).set(user.auth).set('If-Match', '"nope"');

    expectProblem(res, 412);
    expect(res.headers.etag).toBe(before.etag);
    expect(String(res.body.detail)).toContain(before.etag);
    expect((await current(note.id)).body).toEqual(before.body);
  });

  it('the lost-update race: two PATCHes with one ETag at once give exactly one 204 and one 412 with the winner’s ETag', async () => {
    for (let round = 0; round < 5; round++) {
      const note = await newNote(user, `race ${round}`);
      const { etag } = await current(note.id);

      const results = await Promise.all(
        ['alice', 'bob'].map((who) => request(app).patch(`/notes/${note.id}`).set(user.auth).set('If-Match', etag).send({ text: `${who} ${round}` })),
      );

      expect(results.map((r) => r.status).sort()).toEqual([204, 412]);
      const winner = results.find((r) => r.status === 204) as request.Response;
      const loser = results.find((r) => r.status === 412) as request.Response;
      const now = await current(note.id);
      expect(loser.headers.etag).toBe(now.etag);
      expect(winner.headers.etag).toBe(now.etag);
    }
  });

  it('If-Match lists and * : any listed strong tag matches; * matches an existing note; a weak tag never matches', async () => {
    const note = await newNote(user, 'listed');
    const { etag } = await current(note.id);

    const listed = await request(app).patch(`/notes/${note.id}`).set(user.auth).set('If-Match', `"other", ${etag}`).send({ text: 'by list' });
    const star = await request(app).patch(`/notes/${note.id}`).set(user.auth).set('If-Match', '*').send({ text: 'by star' });
    const weak = await request(app).patch(`/notes/${note.id}`).set(user.auth).set('If-Match', `W/${star.headers.etag}`).send({ text: 'weak' });

    expect([listed.status, star.status, weak.status]).toEqual([204, 204, 412]);
    expect((await current(note.id)).body.text).toBe('by star');
  });

  it('a malformed If-Match is 400 naming the header; a note that does not exist is 404 whatever the precondition', async () => {
    const note = await newNote(user, 'malformed');

    const bad = await request(app).patch(`/notes/${note.id}`).set(user.auth).set('If-Match', 'not-quoted').send({ text: 'x' });
    const missing = await request(app).patch('/notes/987654321').set(user.auth).set('If-Match', '*').send({ text: 'x' });

    expectProblem(bad, 400);
    expect(bad.body.errors).toEqual([{ in: 'header', name: 'If-Match', message: expect.any(String) }]);
    expectProblem(missing, 404);
    expect((await current(note.id)).body.text).toBe('malformed');
  });

  it('If-Unmodified-Since: a date at or after the last change passes, one before it is 412; an invalid date is ignored', async () => {
    const note = await newNote(user, 'dated');
    const { lastModified } = await current(note.id);
    const earlier = new Date(Date.parse(lastModified) - 60_000).toUTCString();

    const stale = await request(app).patch(`/notes/${note.id}`).set(user.auth).set('If-Unmodified-Since', earlier).send({ text: 'too late' });
    const fresh = await request(app).patch(`/notes/${note.id}`).set(user.auth).set('If-Unmodified-Since', lastModified).send({ text: 'in time' });
    const junk = await request(app).patch(`/notes/${note.id}`).set(user.auth).set('If-Unmodified-Since', 'yesterday').send({ text: 'ignored date' });

    expectProblem(stale, 412);
    expect([fresh.status, junk.status]).toEqual([204, 204]);
    expect((await current(note.id)).body.text).toBe('ignored date');
  });

  it('If-Match wins over If-Unmodified-Since (RFC 9110 §13.2.2)', async () => {
    const note = await newNote(user, 'both');
    const { etag } = await current(note.id);

    const res = await request(app)
      .patch(`/notes/${note.id}`)
      .set(user.auth)
      .set('If-Match', etag)
      .set('If-Unmodified-Since', new Date(0).toUTCString())
      .send({ text: 'matched' });

    expect(res.status).toBe(204);
  });

  it('DELETE with the current ETag deletes; a second conditional DELETE is 404', async () => {
    const note = await newNote(user, 'to delete');
    const { etag } = await current(note.id);

    const res = await request(app).delete(`/notes/${note.id}`).set(user.auth).set('If-Match', etag);
    const again = await request(app).delete(`/notes/${note.id}`).set(user.auth).set('If-Match', etag);

    expect(res.status).toBe(204);
    expectProblem(again, 404);
  });

  it('another user’s ETag-guarded write of my note is 404, not 412 (it does not exist for them)', async () => {
    const note = await newNote(user, 'mine');
    const { etag } = await current(note.id);
    const other = await newUser('Intruder');

    const res = await request(app).patch(`/notes/${note.id}`).set(other.auth).set('If-Match', etag).send({ text: 'theirs' });

    expectProblem(res, 404);
    expect(res.headers.etag).toBeUndefined();
  });

  describe('with TN_REQUIRE_IF_MATCH', () => {
    const strict = createApp({ requireIfMatch: true });

    it.each([
      ['PATCH', (id: string) => request(strict).patch(`/notes/${id}`).send({ text: 'x' })],
      ['PUT', (id: string) => request(strict).put(`/notes/${id}`).send({ id, text: 'x', createdAt: 1, updatedAt: 1 })],
      ['DELETE', (id: string) => request(strict).delete(`/notes/${id}`)],
    ])('%s without a precondition is 428 and writes nothing; with one it works', async (_method, send) => {
      const note = await newNote(user, 'strict');
      const before = await current(note.id);

      const refused = await send(note.id).set(user.auth);
      const allowed = await send(note.id).set(user.auth).set('If-Match', before.etag);

      expectProblem(refused, 428);
      expect(allowed.status).toBe(204);
    });

    it('reads and creations need no precondition', async () => {
      expect((await request(strict).get('/notes').set(user.auth)).status).toBe(200);
      expect((await request(strict).post('/notes').set(user.auth).send({ text: 'new' })).status).toBe(201);
    });
  });
});

describe('PATCH formats', () => {
  it('GET of a note and OPTIONS name the three formats in Accept-Patch', async () => {
    const note = await newNote(user, 'formats');

    const get = await request(app).get(`/notes/${note.id}`).set(user.auth);
    const options = await request(app).options(`/notes/${note.id}`);

    expect(get.headers['accept-patch']).toBe(PATCH_TYPES);
    expect(options.headers['accept-patch']).toBe(PATCH_TYPES);
  });

  describe('application/merge-patch+json (RFC 7396)', () => {
    const merge = (id: string, body: unknown) =>
      request(app).patch(`/notes/${id}`).set(user.auth).set('Content-Type', 'application/merge-patch+json').send(JSON.stringify(body));

    it('changes the text; members sent unchanged (the GET body with a new text) are fine', async () => {
      const note = await newNote(user, 'merge me');

      const small = await merge(note.id, { text: 'merged' });
      const { body } = await current(note.id);
      const whole = await merge(note.id, { ...body, text: 'merged again' });

      expect([small.status, whole.status]).toEqual([204, 204]);
      expect((await current(note.id)).body.text).toBe('merged again');
    });

    it.each([
      ['a read-only member changed', { id: '1', text: 'x' }, ['id']],
      ['a timestamp changed', { createdAt: 5 }, ['createdAt']],
      ['the links removed', { links: null }, ['links']],
      ['the text removed', { text: null }, ['text']],
      ['an empty text', { text: '   ' }, ['text']],
      ['an unknown member', { colour: 'red' }, ['colour']],
      ['not an object (it would replace the note)', 'just text', ['']],
    ])('%s is 422 naming it, and nothing is written', async (_case, patch, names) => {
      const note = await newNote(user, 'guarded');
      const before = await current(note.id);

      const res = await merge(note.id, patch);

      expectProblem(res, 422);
      expect(errorNames(res)).toEqual(names);
      expect((await current(note.id)).body).toEqual(before.body);
    });
  });

  describe('application/json-patch+json (RFC 6902)', () => {
    const jsonPatch = (id: string, body: unknown) =>
      request(app).patch(`/notes/${id}`).set(user.auth).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(body));

    it('test then replace: 204 and the new text', async () => {
      const note = await newNote(user, 'json patch me');

      const res = await jsonPatch(note.id, [
        { op: 'test', path: '/text', value: 'json patch me' },
        { op: 'replace', path: '/text', value: 'patched' },
      ]);

      expect(res.status).toBe(204);
      expect((await current(note.id)).body.text).toBe('patched');
    });

    it('a failed test is 409 and nothing is written, even by the operations before it', async () => {
      const note = await newNote(user, 'tested');
      const before = await current(note.id);

      const res = await jsonPatch(note.id, [
        { op: 'replace', path: '/text', value: 'first op' },
        { op: 'test', path: '/text', value: 'something else' },
      ]);

      expectProblem(res, 409);
      expect((await current(note.id)).body).toEqual(before.body);
    });

    it.each([
      ['a read-only member', [{ op: 'replace', path: '/id', value: '7' }], ['id']],
      ['a link', [{ op: 'replace', path: '/links/0/href', value: '/elsewhere' }], ['links']],
      ['an added member', [{ op: 'add', path: '/colour', value: 'red' }], ['colour']],
      ['the text removed', [{ op: 'remove', path: '/text' }], ['text']],
      ['a path that does not exist', [{ op: 'replace', path: '/nothing/here', value: 1 }], ['/0']],
    ])('touching %s is 422, nothing written', async (_case, patch, names) => {
      const note = await newNote(user, 'json guarded');
      const before = await current(note.id);

      const res = await jsonPatch(note.id, patch);

      expectProblem(res, 422);
      expect(errorNames(res)).toEqual(names);
      expect((await current(note.id)).body).toEqual(before.body);
    });

    it('copy cannot blow a document up: it is 422 once the patched note would pass 256 KB', async () => {
      const note = await newNote(user, 'x'.repeat(5000));
      // Each copy of the whole document into itself doubles it: 2^60 times the note, unbounded.
      const doubling = Array.from({ length: 60 }, () => ({ op: 'copy', from: '', path: '/a' }));

      const res = await jsonPatch(note.id, doubling);

      expectProblem(res, 422);
      expect(String(res.body.detail)).toMatch(/larger than 262144 bytes/);
      expect((await current(note.id)).body.text).toBe('x'.repeat(5000));
    });

    it.each([
      ['not an array', { op: 'replace', path: '/text', value: 'x' }],
      ['an unknown op', [{ op: 'frobnicate', path: '/text' }]],
      ['a path that is not a JSON Pointer', [{ op: 'replace', path: 'text', value: 'x' }]],
      ['replace without a value', [{ op: 'replace', path: '/text' }]],
      ['too many operations', Array.from({ length: 101 }, () => ({ op: 'test', path: '/id', value: '1' }))],
    ])('a malformed patch document (%s) is 400', async (_case, patch) => {
      const note = await newNote(user, 'malformed patch');

      expectProblem(await jsonPatch(note.id, patch), 400);
      expect((await current(note.id)).body.text).toBe('malformed patch');
    });

    it('with If-Match: the patch applies to exactly the version named, or is 412', async () => {
      const note = await newNote(user, 'versioned');
      const { etag } = await current(note.id);
      await request(app).patch(`/notes/${note.id}`).set(user.auth).send({ text: 'changed meanwhile' });

      const res = await jsonPatch(note.id, [{ op: 'replace', path: '/text', value: 'mine' }]).set('If-Match', etag);

      expectProblem(res, 412);
      expect((await current(note.id)).body.text).toBe('changed meanwhile');
    });
  });
});

describe('OPTIONS on every route', () => {
  it.each([
    ['/', 'GET, HEAD, OPTIONS', undefined],
    ['/auth', 'POST, OPTIONS', undefined],
    ['/users', 'POST, OPTIONS', undefined],
    ['/users/1', 'GET, HEAD, PATCH, DELETE, OPTIONS', 'application/json, application/merge-patch+json'],
    ['/notes', 'GET, HEAD, POST, OPTIONS', undefined],
    ['/notes/1', 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS', PATCH_TYPES],
    ['/health', 'GET, HEAD, OPTIONS', undefined],
    ['/ready', 'GET, HEAD, OPTIONS', undefined],
    ['/metrics', 'GET, HEAD, OPTIONS', undefined],
  ])('OPTIONS %s is 204 with Allow: %s', async (path, allow, acceptPatch) => {
    const res = await request(app).options(path);

    expect(res.status).toBe(204);
    expect(res.headers.allow).toBe(allow);
    expect(res.headers['accept-patch']).toBe(acceptPatch);
    expect(res.headers['content-length']).toBeUndefined(); // RFC 9110 §8.6: none on a 204
    // The same Allow as the route's 405.
    const refused = await request(app).trace(path);
    if (refused.status === 405) expect(refused.headers.allow).toBe(allow);
  });

  it('a CORS preflight still works, and carries Allow too', async () => {
    const res = await request(app).options('/notes/1').set('Origin', 'https://example.org').set('Access-Control-Request-Method', 'PATCH').set('Access-Control-Request-Headers', 'if-match, content-type');

    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-methods']).toContain('PATCH');
    expect(res.headers['access-control-allow-headers']).toMatch(/if-match/i);
    expect(res.headers.allow).toBe('GET, HEAD, PUT, PATCH, DELETE, OPTIONS');
  });

  it('OPTIONS of a path that does not exist is 404', async () => {
    expectProblem(await request(app).options('/nothing'), 404);
  });
});

describe('Prefer: return=', () => {
  it('PATCH with return=representation is 200 with the note as GET shows it, its ETag, Content-Location and Preference-Applied', async () => {
    const note = await newNote(user, 'prefer');

    const res = await request(app).patch(`/notes/${note.id}`).set(user.auth).set('Prefer', 'return=representation').send({ text: 'shown' });

    expect(res.status).toBe(200);
    expect(res.headers['preference-applied']).toBe('return=representation');
    expect(res.headers['content-location']).toBe(`/notes/${note.id}`);
    expect(res.headers.vary).toMatch(/Prefer/);
    const get = await current(note.id);
    expect(res.body).toEqual(get.body);
    expect(res.headers.etag).toBe(get.etag);
  });

  it('PUT with return=minimal is 204 with Preference-Applied; without Prefer, 204 and no Preference-Applied', async () => {
    const note = await newNote(user, 'minimal');

    const minimal = await request(app).put(`/notes/${note.id}`).set(user.auth).set('Prefer', 'return=minimal').send({ id: note.id, text: 'a', createdAt: 1, updatedAt: 1 });
    const plain = await request(app).put(`/notes/${note.id}`).set(user.auth).send({ id: note.id, text: 'b', createdAt: 1, updatedAt: 1 });

    expect([minimal.status, minimal.headers['preference-applied']]).toEqual([204, 'return=minimal']);
    expect([plain.status, plain.headers['preference-applied']]).toEqual([204, undefined]);
  });

  it('POST with return=minimal is 201 with Location and ETag but no body; return=representation (and the default) send the note', async () => {
    const minimal = await request(app).post('/notes').set(user.auth).set('Prefer', 'respond-async, return=minimal').send({ text: 'quiet' });
    const full = await request(app).post('/notes').set(user.auth).set('Prefer', 'return=representation').send({ text: 'loud' });

    expect(minimal.status).toBe(201);
    expect(minimal.text).toBe('');
    expect(minimal.headers['preference-applied']).toBe('return=minimal');
    const created = await request(app).get(minimal.headers.location).set(user.auth);
    expect(created.body.text).toBe('quiet');
    expect(minimal.headers.etag).toBe(created.headers.etag);
    expect(full.status).toBe(201);
    expect(full.body.text).toBe('loud');
    expect(full.headers['preference-applied']).toBe('return=representation');
  });

  it('an unknown return value is ignored (no Preference-Applied)', async () => {
    const res = await request(app).post('/notes').set(user.auth).set('Prefer', 'return=everything').send({ text: 'ignored' });

    expect(res.status).toBe(201);
    expect(res.headers['preference-applied']).toBeUndefined();
  });
});

describe('Idempotency-Key on POST /notes', () => {
  const post = (key: string, text: string, who: TestUser = user) => request(app).post('/notes').set(who.auth).set('Idempotency-Key', key).send({ text });
  const countOf = (text: string) => Note.countDocuments({ owner: user.id, text });

  it('a retry with the same key and body gets the first answer (201, same Location and id), marked replayed, with no second note', async () => {
    const first = await post('"retry-1"', 'exactly once');
    const retry = await post('"retry-1"', 'exactly once');

    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(await countOf('exactly once')).toBe(1);
  });

  it('an unquoted key works the same; another app instance (another process’s view) sees the key too', async () => {
    const first = await post('retry-unquoted', 'unquoted key');
    const elsewhere = await request(createApp()).post('/notes').set(user.auth).set('Idempotency-Key', '"retry-unquoted"').send({ text: 'unquoted key' });

    expect(elsewhere.status).toBe(201);
    expect(elsewhere.body.id).toBe(first.body.id);
    expect(await countOf('unquoted key')).toBe(1);
  });

  it('the same key with another body is 422 naming the header, and nothing is written', async () => {
    await post('"reused"', 'first body');

    const res = await post('"reused"', 'second body');

    expectProblem(res, 422);
    expect(res.body.errors).toEqual([{ in: 'header', name: 'Idempotency-Key', message: expect.any(String) }]);
    expect(await countOf('second body')).toBe(0);
  });

  it('20 concurrent requests with one key create exactly one note, and all 20 get its id', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => post('"burst"', 'burst of retries')));

    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.filter((r) => r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    expect(await countOf('burst of retries')).toBe(1);
  });

  it('keys are per user: the same key from another user creates their own note', async () => {
    const other = await newUser('Otherkeys');
    const mine = await post('"shared-key"', 'same words');

    const theirs = await post('"shared-key"', 'same words', other);

    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(mine.body.id);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
  });

  it('a key lasts 24 hours: after that, the same request creates a new note', async () => {
    const first = await createNoteOnce(user.id, 'day one', { key: 'daily', fingerprint: 'f' }, 1_000);
    const sameDay = await createNoteOnce(user.id, 'day one', { key: 'daily', fingerprint: 'f' }, 1_000 + IDEMPOTENCY_TTL_MS - 1);
    const nextDay = await createNoteOnce(user.id, 'day one', { key: 'daily', fingerprint: 'f' }, 1_000 + IDEMPOTENCY_TTL_MS);

    expect(sameDay).toEqual({ note: first.note, replayed: true });
    expect(nextDay.replayed).toBe(false);
    expect(nextDay.note.id).not.toBe(first.note.id);
  });

  it('a key whose note was deleted is free again', async () => {
    const first = await post('"deleted"', 'short-lived');
    await request(app).delete(first.headers.location).set(user.auth).expect(204);

    const again = await post('"deleted"', 'short-lived');

    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(first.body.id);
  });

  it.each([['""'], ['"' + 'k'.repeat(256) + '"'], ['has space'], ['"unterminated']])('a malformed key (%s) is 400 and creates nothing', async (key) => {
    const res = await post(key, 'malformed key');

    expectProblem(res, 400);
    expect(errorNames(res)).toEqual(['Idempotency-Key']);
    expect(await countOf('malformed key')).toBe(0);
  });

  it('the key is never shown in the note', async () => {
    const res = await post('"hidden"', 'no idem member');
    const get = await request(app).get(res.headers.location).set(user.auth);

    expect(Object.keys(get.body)).toEqual(['id', 'text', 'createdAt', 'updatedAt', 'links']);
  });
});

describe('Idempotency-Key and Prefer on POST /users', () => {
  const register = (key: string, body: object) => request(app).post('/users').set('Idempotency-Key', key).send(body);

  it('a retried registration gets the first 201 (same Location, id, ETag as GET) instead of 409 for its own email', async () => {
    const body = { name: 'Retry', email: uniqueEmail('retry'), password: 'a long password' };

    const first = await register('"reg-1"', body);
    const retry = await register('"reg-1"', body);
    const noKey = await request(app).post('/users').send(body);

    expect([first.status, retry.status, noKey.status]).toEqual([201, 201, 409]);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const login = await request(app).post('/auth').send({ email: body.email, password: body.password });
    const profile = await request(app).get(first.headers.location).set('Authorization', `Bearer ${login.body.access_token}`);
    expect(first.headers.etag).toBe(profile.headers.etag);
  });

  it('the same key with another body (another password) is 422, and no second user exists', async () => {
    const email = uniqueEmail('keyed');
    await register('"reg-2"', { name: 'Keyed', email, password: 'a long password' });

    const res = await register('"reg-2"', { name: 'Keyed', email, password: 'another password' });

    expectProblem(res, 422);
    expect(errorNames(res)).toEqual(['Idempotency-Key']);
    expect(await User.countDocuments({ email })).toBe(1);
  });

  it('10 concurrent registrations with one key create one user, and every answer that is not a busy 503 is its 201', async () => {
    const body = { name: 'Burst', email: uniqueEmail('burst'), password: 'a long password' };

    const results = await Promise.all(Array.from({ length: 10 }, () => register('"reg-burst"', body)));

    const created = results.filter((r) => r.status === 201);
    expect(results.every((r) => r.status === 201 || r.status === 503)).toBe(true);
    expect(created.length).toBeGreaterThan(0);
    expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
    expect(await User.countDocuments({ email: body.email })).toBe(1);
  });

  it('Prefer: return=minimal is 201 with Location and no body', async () => {
    const res = await request(app).post('/users').set('Prefer', 'return=minimal').send({ name: 'Quiet', email: uniqueEmail('quiet'), password: 'a long password' });

    expect(res.status).toBe(201);
    expect(res.text).toBe('');
    expect(res.headers.location).toMatch(/^\/users\/\d+$/);
    expect(res.headers['preference-applied']).toBe('return=minimal');
  });
});

describe('If-None-Match on a write (RFC 9110 §13.1.2)', () => {
  it('* fails on a note that exists (PUT cannot create here, so a client asking "only if new" must not overwrite): 412, nothing written', async () => {
    const note = await newNote(user, 'exists');

    const res = await request(app).put(`/notes/${note.id}`).set(user.auth).set('If-None-Match', '*').send({ id: note.id, text: 'overwritten', createdAt: 1, updatedAt: 1 });

    expectProblem(res, 412);
    expect((await current(note.id)).body.text).toBe('exists');
  });

  it('a tag matching the current version (weakly) fails; another tag passes', async () => {
    const note = await newNote(user, 'none-match');
    const { etag } = await current(note.id);

    const matching = await request(app).patch(`/notes/${note.id}`).set(user.auth).set('If-None-Match', `W/${etag}`).send({ text: 'no' });
    const other = await request(app).patch(`/notes/${note.id}`).set(user.auth).set('If-None-Match', '"something-else"').send({ text: 'yes' });
    const malformed = await request(app).delete(`/notes/${note.id}`).set(user.auth).set('If-None-Match', 'bare');

    expectProblem(matching, 412);
    expect(other.status).toBe(204);
    expectProblem(malformed, 400);
    expect((await current(note.id)).body.text).toBe('yes');
  });
});
