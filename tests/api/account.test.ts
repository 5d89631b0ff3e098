/**
 * The account's life (issue 12): PATCH /users/{id} (name; a password change proven by the
 * current password, ending every session) and DELETE /users/{id} (the user and all of their
 * notes), both only for the caller and conditional like notes (If-Match / If-Unmodified-Since,
 * 412 with the current ETag, 428 when required). Real app, real database.
 */
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { app, createApp } from '../../src/app';
import { config } from '../../src/config';
import { settleRateLimitWrites } from '../../src/controllers/rateLimitStore';
import { Note } from '../../src/models/Note';
import { User } from '../../src/models/User';
import { useTestDb } from '../helpers/db';
import { errorNames, expectProblem, linkOf, newNote, newUser, rels, type TestUser } from './helpers';

useTestDb();

const INVALID_TOKEN = 'Bearer realm="thunder-notes", error="invalid_token"';

/** An app supertest can drive. */
type App = Parameters<typeof request>[0];

/** GET /users/{id} of the caller. */
function profile(user: TestUser, target: App = app) {
  return request(target).get(`/users/${user.id}`).set(user.auth);
}

/** PATCH /users/{id} of the caller with a JSON body. */
function patch(user: TestUser, body: unknown, target: App = app) {
  return request(target).patch(`/users/${user.id}`).set(user.auth).send(body as object);
}

/** The current ETag of the caller's profile. */
async function etagOf(user: TestUser): Promise<string> {
  const res = await profile(user);
  expect(res.status).toBe(200);
  return res.headers.etag;
}

/** POST /auth through the shared app; the status. */
async function loginStatus(email: string, password: string): Promise<number> {
  return (await request(app).post('/auth').send({ email, password })).status;
}

describe('the profile links to its changes', () => {
  it('GET /users/{id} offers edit (PATCH) and delete (DELETE) on itself, and says which PATCH formats it takes', async () => {
    const user = await newUser('Linked');

    const res = await profile(user);

    expect(rels(res.body.links)).toEqual(['self', 'edit', 'delete', 'notes']);
    expect(linkOf(res.body.links, 'edit')).toEqual({ rel: 'edit', href: `/users/${user.id}`, method: 'PATCH' });
    expect(linkOf(res.body.links, 'delete')).toEqual({ rel: 'delete', href: `/users/${user.id}`, method: 'DELETE' });
    expect(res.headers['accept-patch']).toBe('application/json, application/merge-patch+json');
  });

  it('following the edit and delete links with If-Match works', async () => {
    const user = await newUser('Follower');
    const got = await profile(user);
    const links = got.body.links as { rel: string; href: string; method: string }[];
    const edit = linkOf(links, 'edit') as (typeof links)[number];

    const edited = await request(app)[edit.method.toLowerCase() as 'patch'](edit.href).set(user.auth).set('If-Match', got.headers.etag).send({ name: 'Followed' });
    const del = linkOf(links, 'delete') as (typeof links)[number];
    const deleted = await request(app)[del.method.toLowerCase() as 'delete'](del.href).set(user.auth).set('If-Match', edited.headers.etag);

    expect(edited.status).toBe(204);
    expect(deleted.status).toBe(204);
  });

  it('OPTIONS /users/{id} lists PATCH and DELETE in Allow and the PATCH formats in Accept-Patch', async () => {
    const res = await request(app).options('/users/1');

    expect(res.status).toBe(204);
    expect(res.headers.allow).toMatch(/^GET, HEAD, PATCH, DELETE\b/);
    expect(res.headers['accept-patch']).toBe('application/json, application/merge-patch+json');
  });

  it.each(['put', 'post'] as const)('%s /users/{id} is 405 with an Allow that names PATCH and DELETE', async (method) => {
    const res = await request(app)[method]('/users/1');

    expectProblem(res, 405);
    expect(res.headers.allow).toMatch(/^GET, HEAD, PATCH, DELETE\b/);
  });
});

describe('PATCH /users/{id}: the name', () => {
  it('with If-Match of the current ETag answers 204 with the new ETag, which GET then shows with the new name', async () => {
    const user = await newUser('Before');
    const before = await profile(user);
    const storedBefore = await User.findOne({ id: user.id }).lean();

    const res = await patch(user, { name: '  After  ' }).set('If-Match', before.headers.etag);

    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const after = await profile(user);
    expect(after.body).toEqual({ ...before.body, name: 'After' });
    expect(res.headers.etag).toBe(after.headers.etag);
    expect(res.headers.etag).not.toBe(before.headers.etag);
    expect(res.headers.vary).toMatch(/Prefer/);
    const storedAfter = await User.findOne({ id: user.id }).lean();
    expect(storedAfter?.updatedAt).toBeGreaterThan(storedBefore?.updatedAt as number);
  });

  it('without preconditions answers 204 too (they are optional unless required)', async () => {
    const user = await newUser('Free');

    const res = await patch(user, { name: 'Freed' });

    expect(res.status).toBe(204);
    expect((await profile(user)).body.name).toBe('Freed');
  });

  it('with Prefer: return=representation answers 200 with the profile as GET shows it', async () => {
    const user = await newUser('Shown');

    const res = await patch(user, { name: 'Shown Again' }).set('Prefer', 'return=representation');

    expect(res.status).toBe(200);
    const got = await profile(user);
    expect(res.body).toEqual(got.body);
    expect(res.body.name).toBe('Shown Again');
    expect(res.headers.etag).toBe(got.headers.etag);
    expect(res.headers['preference-applied']).toBe('return=representation');
    expect(res.headers['content-location']).toBe(`/users/${user.id}`);
  });

  it('as a merge patch (application/merge-patch+json) answers 204', async () => {
    const user = await newUser('Merged');

    const res = await request(app)
      .patch(`/users/${user.id}`)
      .set(user.auth)
      .set('Content-Type', 'application/merge-patch+json')
      .send(JSON.stringify({ name: 'Merge Patched' }));

    expect(res.status).toBe(204);
    expect((await profile(user)).body.name).toBe('Merge Patched');
  });

  it('with text/plain answers 415 with Accept-Patch, before the token is looked at', async () => {
    const res = await request(app).patch('/users/1').set('Content-Type', 'text/plain').send('name=x');

    expectProblem(res, 415);
    expect(res.headers['accept-patch']).toBe('application/json, application/merge-patch+json');
  });

  it.each([
    ['a 101-character name', { name: 'x'.repeat(101) }, ['name']],
    ['a blank name', { name: '   ' }, ['name']],
    ['a number as name', { name: 5 }, ['name']],
    ['null as name (application/json)', { name: null }, ['name']],
    ['a 7-character new password', { password: '1234567', currentPassword: 'correct horse' }, ['password']],
    ['an array', [{ name: 'x' }], ['body']],
    ['an operator key', { name: 'x', $set: { email: 'a@b.co' } }, ['$set']],
  ])('with %s answers 400 naming it and changes nothing', async (_case, body, names) => {
    const user = await newUser('Valid');
    const before = await etagOf(user);

    const res = await patch(user, body);

    expectProblem(res, 400);
    expect(errorNames(res)).toEqual(names);
    expect(await etagOf(user)).toBe(before);
  });

  it.each([
    ['email (read-only)', { email: 'new@example.com' }, ['email']],
    ['id and createdAt (read-only)', { id: '1', createdAt: 0 }, ['id', 'createdAt']],
    ['links (read-only)', { name: 'x', links: [] }, ['links']],
    ['an unknown member', { name: 'x', nickname: 'y' }, ['nickname']],
    ['nothing', {}, ['body']],
    ['password without currentPassword', { password: 'a new password' }, ['currentPassword']],
    ['currentPassword without password', { name: 'x', currentPassword: 'correct horse' }, ['currentPassword']],
  ])('naming %s answers 422 naming the members and changes nothing', async (_case, body, names) => {
    const user = await newUser('Strict');
    const before = await etagOf(user);

    const res = await patch(user, body);

    expectProblem(res, 422);
    expect(errorNames(res)).toEqual(names);
    expect(res.body.errors.every((e: { in: string }) => e.in === 'body')).toBe(true);
    expect(await etagOf(user)).toBe(before);
  });

  it.each([
    ['null name (a removal)', { name: null }, ['name']],
    ['null password (a removal)', { password: null, currentPassword: 'correct horse' }, ['password']],
    ['a blank name', { name: ' ' }, ['name']],
    ['a string instead of an object', 'Renamed', ['body']],
    ['an email', { email: 'x@example.com' }, ['email']],
  ])('a merge patch with %s answers 422 naming it and changes nothing', async (_case, body, names) => {
    const user = await newUser('MergeStrict');
    const before = await etagOf(user);

    const res = await request(app).patch(`/users/${user.id}`).set(user.auth).set('Content-Type', 'application/merge-patch+json').send(JSON.stringify(body));

    expectProblem(res, 422);
    expect(errorNames(res)).toEqual(names);
    expect(await etagOf(user)).toBe(before);
  });

  it("of another user's id answers 404, like GET, and leaves that user alone", async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const bobsEtag = await etagOf(bob);

    const res = await request(app).patch(`/users/${bob.id}`).set(alice.auth).set('If-Match', bobsEtag).send({ name: 'Mallory' });
    const missing = await request(app).patch('/users/99999999').set(alice.auth).send({ name: 'Mallory' });

    expectProblem(res, 404);
    expectProblem(missing, 404);
    expect(res.body.detail).toBe(missing.body.detail.replace('99999999', bob.id));
    expect(await etagOf(bob)).toBe(bobsEtag);
  });

  it('PATCH and DELETE without a token answer 401 with the Bearer challenge', async () => {
    const patched = await request(app).patch('/users/1').send({ name: 'x' });
    const deleted = await request(app).delete('/users/1');

    for (const res of [patched, deleted]) {
      expectProblem(res, 401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="thunder-notes"');
    }
  });
});

describe('PATCH /users/{id}: conditions', () => {
  it('with a stale If-Match answers 412 carrying the current ETag, and writes nothing', async () => {
    const user = await newUser('Stale');
    const old = await etagOf(user);
    const changed = await patch(user, { name: 'Changed' }).set('If-Match', old);

    const res = await patch(user, { name: 'Overwrite' }).set('If-Match', old);

    expectProblem(res, 412);
    expect(res.headers.etag).toBe(changed.headers.etag);
    expect(res.body.detail).toContain(changed.headers.etag);
    expect((await profile(user)).body.name).toBe('Changed');
  });

  it('compares with the profile as stored, not with what this process remembers of the caller', async () => {
    const user = await newUser('Remembered');
    const old = await etagOf(user); // this process now remembers the user for up to a second
    // Another API process renames the user: this one is not told.
    await User.updateOne({ id: user.id }, { $set: { name: 'Elsewhere', updatedAt: Date.now() } });

    const res = await patch(user, { name: 'Here' }).set('If-Match', old);

    expectProblem(res, 412);
    expect((await User.findOne({ id: user.id }).lean())?.name).toBe('Elsewhere');
  });

  it('two PATCHes with one ETag at once: exactly one 204 and one 412 carrying the ETag the winner wrote', async () => {
    const user = await newUser('Racer');
    for (let round = 0; round < 5; round++) {
      const etag = await etagOf(user);

      const results = await Promise.all(['Alice', 'Bob'].map((who) => patch(user, { name: `${who} ${round}` }).set('If-Match', etag)));

      const winner = results.find((r) => r.status === 204);
      const loser = results.find((r) => r.status === 412);
      expect(results.map((r) => r.status).sort()).toEqual([204, 412]);
      expect(loser?.headers.etag).toBe(winner?.headers.etag);
      expect(await etagOf(user)).toBe(winner?.headers.etag);
    }
  });

  it('If-Unmodified-Since: at Last-Modified answers 204; before it answers 412 with the current ETag', async () => {
    const user = await newUser('Dated');
    const got = await profile(user);
    const earlier = new Date(Date.parse(got.headers['last-modified']) - 1000).toUTCString();

    const refused = await patch(user, { name: 'Too late' }).set('If-Unmodified-Since', earlier);
    const accepted = await patch(user, { name: 'In time' }).set('If-Unmodified-Since', got.headers['last-modified']);

    expectProblem(refused, 412);
    expect(refused.headers.etag).toBe(got.headers.etag);
    expect(accepted.status).toBe(204);
    expect((await profile(user)).body.name).toBe('In time');
  });

  it('a malformed If-Match answers 400 and writes nothing', async () => {
    const user = await newUser('Malformed');

    const res = await patch(user, { name: 'x' }).set('If-Match', 'not-quoted');

    expectProblem(res, 400);
    expect(errorNames(res)).toEqual(['If-Match']);
    expect((await profile(user)).body.name).toBe('Malformed');
  });

  describe('when the server requires conditional writes (TN_REQUIRE_IF_MATCH)', () => {
    const strict = createApp({ requireIfMatch: true });

    it('PATCH and DELETE without If-Match or If-Unmodified-Since answer 428 and change nothing', async () => {
      const user = await newUser('Required');
      const before = await etagOf(user);

      const patched = await patch(user, { name: 'Unconditional' }, strict);
      const deleted = await request(strict).delete(`/users/${user.id}`).set(user.auth);

      expectProblem(patched, 428);
      expectProblem(deleted, 428);
      expect(await etagOf(user)).toBe(before);
    });

    it('with If-Match they are carried out', async () => {
      const user = await newUser('Conditional');

      const patched = await patch(user, { name: 'Conditional 2' }, strict).set('If-Match', await etagOf(user));
      const deleted = await request(strict).delete(`/users/${user.id}`).set(user.auth).set('If-Match', patched.headers.etag);

      expect(patched.status).toBe(204);
      expect(deleted.status).toBe(204);
    });
  });
});

describe('PATCH /users/{id}: the password', () => {
  it('with the current password answers 204; the old token is then 401, the old password 401, the new one 200', async () => {
    const user = await newUser('Changer');
    const otherSession = (await request(app).post('/auth').send({ email: user.email, password: user.password })).body.access_token as string;
    const etag = await etagOf(user);

    const res = await patch(user, { password: 'a brand new password', currentPassword: user.password }).set('If-Match', etag);

    expect(res.status).toBe(204);
    // The representation holds no password: its ETag stays.
    expect(res.headers.etag).toBe(etag);
    for (const token of [user.token, otherSession]) {
      const refused = await request(app).get('/notes').set('Authorization', `Bearer ${token}`);
      expectProblem(refused, 401);
      expect(refused.headers['www-authenticate']).toBe(INVALID_TOKEN);
      expect(refused.body.detail).toMatch(/password was changed/);
    }
    expect(await loginStatus(user.email, user.password)).toBe(401);
    const login = await request(app).post('/auth').send({ email: user.email, password: 'a brand new password' });
    expect(login.status).toBe(200);
    expect((await request(app).get(`/users/${user.id}`).set('Authorization', `Bearer ${login.body.access_token}`)).status).toBe(200);
    const stored = await User.findOne({ id: user.id }).lean();
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(stored?.tokenVersion).toBe(1);
  });

  it('with both a name and a password changes both', async () => {
    const user = await newUser('Both');

    const res = await patch(user, { name: 'Both Changed', password: 'another password', currentPassword: user.password });

    expect(res.status).toBe(204);
    const login = await request(app).post('/auth').send({ email: user.email, password: 'another password' });
    expect(login.body.user.name).toBe('Both Changed');
  });

  it('with a wrong current password answers 403 and changes nothing: the token and the password still work', async () => {
    const user = await newUser('Guarded');
    const before = await etagOf(user);

    const res = await patch(user, { name: 'Hijacked', password: 'attacker password', currentPassword: 'not the password' });

    expectProblem(res, 403);
    expect(errorNames(res)).toEqual([]);
    expect(await etagOf(user)).toBe(before);
    expect(await loginStatus(user.email, user.password)).toBe(200);
    expect(await loginStatus(user.email, 'attacker password')).toBe(401);
  });

  it('two changes proven by the same current password at once: one 204, the other 403 (the password it proves is no longer current)', async () => {
    const user = await newUser('Twice');

    const results = await Promise.all(['first new password', 'second new password'].map((password) => patch(user, { password, currentPassword: user.password })));

    expect(results.map((r) => r.status).sort()).toEqual([204, 403]);
    const chosen = results[0].status === 204 ? 'first new password' : 'second new password';
    expect(await loginStatus(user.email, chosen)).toBe(200);
    expect((await User.findOne({ id: user.id }).lean())?.tokenVersion).toBe(1);
  });

  it('a token issued before tokens carried a version (no tv claim) works until the password changes', async () => {
    const user = await newUser('Legacy');
    const legacy = jwt.sign({ name: user.name }, config.jwt.key, { algorithm: 'HS256', subject: user.id, expiresIn: 60 });
    const auth = { Authorization: `Bearer ${legacy}` };
    expect((await request(app).get('/notes').set(auth)).status).toBe(200);

    expect((await patch(user, { password: 'legacy replaced', currentPassword: user.password })).status).toBe(204);

    expectProblem(await request(app).get('/notes').set(auth), 401);
  });

  it('a well-signed token whose version is not an integer is 401 invalid_token', async () => {
    const user = await newUser('Odd');
    const odd = jwt.sign({ name: user.name, tv: '0' }, config.jwt.key, { algorithm: 'HS256', subject: user.id, expiresIn: 60 });

    const res = await request(app).get('/notes').set('Authorization', `Bearer ${odd}`);

    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toBe(INVALID_TOKEN);
    expect(res.body.detail).toBe('The access token is not valid.'); // not taken for a revoked one
  });

  describe('wrong current passwords count against the account like failed logins', () => {
    // A day: the windows are fixed and aligned, so a test would only see a reset if it ran across midnight UTC.
    const LIMITS = { authPerClient: 1000, authFailuresPerAccount: 3, authWindowMs: 86_400_000, registerPerClient: 1000, registerWindowMs: 86_400_000, refusalDelayMs: 0 };
    const limited = createApp({ rateLimits: LIMITS });

    it('after the limit even the right current password is 429, and so is a login with the right password', async () => {
      const user = await newUser('Guessed');
      for (let i = 0; i < LIMITS.authFailuresPerAccount; i++) {
        expectProblem(await patch(user, { password: 'guessing game', currentPassword: `guess ${i}` }, limited), 403);
      }

      const refused = await patch(user, { password: 'guessing game', currentPassword: user.password }, limited);
      const login = await request(limited).post('/auth').send({ email: user.email, password: user.password });

      expectProblem(refused, 429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.headers['ratelimit-policy']).toMatch(/"auth-account"; q=3;/);
      expect(refused.body.detail).toMatch(/^Too many wrong passwords for this account\. Try again in \d+ seconds\.$/);
      expectProblem(login, 429);
      expect(await loginStatus(user.email, 'guessing game')).toBe(401); // nothing was changed
    });

    it('failed logins count too, right passwords are taken back, and a name change is never limited', async () => {
      const user = await newUser('Locked');
      expect((await patch(user, { password: 'a fine password', currentPassword: user.password }, limited)).status).toBe(204);
      await settleRateLimitWrites(); // the right password's hit is taken back just after the answer
      const token = (await request(limited).post('/auth').send({ email: user.email, password: 'a fine password' })).body.access_token as string;
      const auth = { Authorization: `Bearer ${token}` };
      for (let i = 0; i < LIMITS.authFailuresPerAccount; i++) {
        expectProblem(await request(limited).post('/auth').send({ email: user.email, password: `wrong ${i}` }), 401);
      }

      const refused = await request(limited).patch(`/users/${user.id}`).set(auth).send({ password: 'yet another one', currentPassword: 'a fine password' });
      const renamed = await request(limited).patch(`/users/${user.id}`).set(auth).send({ name: 'Still Me' });

      expectProblem(refused, 429);
      expect(renamed.status).toBe(204);
    });
  });
});

describe('DELETE /users/{id}', () => {
  it('answers 204; the token is then 401, the notes are 404 for everyone, and the email registers again with a new id', async () => {
    const user = await newUser('Leaving');
    const notes = [await newNote(user, 'first'), await newNote(user, 'second')];
    const bystander = await newUser('Bystander');

    const res = await request(app).delete(`/users/${user.id}`).set(user.auth);

    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    for (const path of ['/notes', `/users/${user.id}`, `/notes/${notes[0].id}`]) {
      const refused = await request(app).get(path).set(user.auth);
      expectProblem(refused, 401);
      expect(refused.headers['www-authenticate']).toBe(INVALID_TOKEN);
    }
    expect(await loginStatus(user.email, user.password)).toBe(401);
    expect(await Note.countDocuments({ owner: user.id })).toBe(0);

    const again = await request(app).post('/users').send({ name: 'Returning', email: user.email, password: 'a new start' });
    expect(again.status).toBe(201);
    expect(Number(again.body.id)).toBeGreaterThan(Number(user.id));
    const returning = (await request(app).post('/auth').send({ email: user.email, password: 'a new start' })).body.access_token as string;
    for (const reader of [bystander.auth, { Authorization: `Bearer ${returning}` }]) {
      for (const note of notes) expectProblem(await request(app).get(`/notes/${note.id}`).set(reader), 404);
    }
    const list = await request(app).get('/notes').set('Authorization', `Bearer ${returning}`);
    expect(list.body.notes).toEqual([]);
  });

  it("leaves other users' notes alone", async () => {
    const leaving = await newUser('Leaving');
    const staying = await newUser('Staying');
    await newNote(leaving, 'gone');
    const kept = await newNote(staying, 'kept');

    expect((await request(app).delete(`/users/${leaving.id}`).set(leaving.auth)).status).toBe(204);

    expect((await request(app).get(`/notes/${kept.id}`).set(staying.auth)).status).toBe(200);
  });

  it("of another user's id answers 404 and deletes nothing", async () => {
    const alice = await newUser('Alice');
    const bob = await newUser('Bob');
    const bobsNote = await newNote(bob, 'mine');

    const res = await request(app).delete(`/users/${bob.id}`).set(alice.auth);

    expectProblem(res, 404);
    expect((await profile(bob)).status).toBe(200);
    expect((await request(app).get(`/notes/${bobsNote.id}`).set(bob.auth)).status).toBe(200);
  });

  it('with a stale If-Match answers 412 with the current ETag and deletes nothing; with the current one, 204', async () => {
    const user = await newUser('Careful');
    const old = await etagOf(user);
    const current = (await patch(user, { name: 'Careful 2' })).headers.etag;

    const refused = await request(app).delete(`/users/${user.id}`).set(user.auth).set('If-Match', old);
    expectProblem(refused, 412);
    expect(refused.headers.etag).toBe(current);
    expect((await profile(user)).status).toBe(200);

    const accepted = await request(app).delete(`/users/${user.id}`).set(user.auth).set('If-Match', current);
    expect(accepted.status).toBe(204);
    expect(await User.countDocuments({ id: user.id })).toBe(0);
  });

  it('with If-Unmodified-Since before Last-Modified answers 412; at it, 204', async () => {
    const user = await newUser('Dated');
    const lastModified = (await profile(user)).headers['last-modified'];

    const refused = await request(app).delete(`/users/${user.id}`).set(user.auth).set('If-Unmodified-Since', new Date(Date.parse(lastModified) - 1000).toUTCString());
    const accepted = await request(app).delete(`/users/${user.id}`).set(user.auth).set('If-Unmodified-Since', lastModified);

    expectProblem(refused, 412);
    expect(accepted.status).toBe(204);
  });

  it('a PATCH and a DELETE with one ETag at once: exactly one of them is carried out', async () => {
    for (let round = 0; round < 5; round++) {
      const user = await newUser('Contested');
      const etag = await etagOf(user);

      const [patched, deleted] = await Promise.all([
        patch(user, { name: 'Renamed' }).set('If-Match', etag),
        request(app).delete(`/users/${user.id}`).set(user.auth).set('If-Match', etag),
      ]);

      expect([patched.status, deleted.status].filter((s) => s === 204)).toHaveLength(1);
      if (deleted.status === 204) {
        expect([401, 404]).toContain(patched.status); // the user was gone before, or while, the PATCH looked
      } else {
        expectProblem(deleted, 412);
        expect(deleted.headers.etag).toBe(patched.headers.etag);
      }
      expect(await User.countDocuments({ id: user.id })).toBe(deleted.status === 204 ? 0 : 1);
    }
  });
});
