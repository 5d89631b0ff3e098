/**
 * The caller's existence check (verifyToken → usersController.findUserById): a user found is
 * trusted for at most a second, so a user deleted by any process is refused within that second;
 * this process forgets a user at once through `forgetUser`; a user not found is never remembered.
 * The user is deleted straight through the model, as another API process would delete it: this
 * process is not told.
 */
import request from 'supertest';
import jwt from 'jsonwebtoken';
import { app } from '../../src/app';
import { config } from '../../src/config';
import { forgetUser } from '../../src/controllers/usersController';
import { User } from '../../src/models/User';
import { useTestDb } from '../helpers/db';
import { expectProblem, newUser } from './helpers';

useTestDb();

const INVALID = 'Bearer realm="thunder-notes", error="invalid_token"';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('how long a user found to exist is trusted', () => {
  it('is the configured second at most', () => {
    expect(config.userCache.ttlMs).toBeGreaterThan(0);
    expect(config.userCache.ttlMs).toBeLessThanOrEqual(1000);
  });

  it('a user deleted by another process is still served within the second, and refused once it has passed', async () => {
    const user = await newUser('Elsewhere');
    expect((await request(app).get('/notes').set(user.auth)).status).toBe(200);

    await User.deleteOne({ id: user.id });
    const deletedAt = Date.now();

    // Remembered: the read that found the user was sent less than a second ago.
    expect((await request(app).get('/notes').set(user.auth)).status).toBe(200);
    // That read was sent before the delete, so it is trusted until a second after the delete at the latest.
    await sleep(Math.max(0, deletedAt + config.userCache.ttlMs + 50 - Date.now()));
    const res = await request(app).get('/notes').set(user.auth);

    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toBe(INVALID);
  });

  it('forgetUser() makes this process refuse a deleted user at once', async () => {
    const user = await newUser('Here');
    expect((await request(app).get(`/users/${user.id}`).set(user.auth)).status).toBe(200);

    await User.deleteOne({ id: user.id });
    forgetUser(user.id);
    const res = await request(app).get(`/users/${user.id}`).set(user.auth);

    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toBe(INVALID);
  });

  it('a user not found is not remembered: once it exists, its token is accepted on the next request', async () => {
    const id = String(900_000_000 + Math.floor(Math.random() * 1_000_000));
    const token = jwt.sign({ name: 'Late' }, config.jwt.key, { algorithm: 'HS256', subject: id, expiresIn: 60 });
    expectProblem(await request(app).get('/notes').set('Authorization', `Bearer ${token}`), 401);

    await User.create({ id, name: 'Late', email: `late-${id}@example.com`, passwordHash: 'x', createdAt: 1, updatedAt: 1 });

    expect((await request(app).get('/notes').set('Authorization', `Bearer ${token}`)).status).toBe(200);
  });
});
