import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { app } from '../../src/app';
import { config } from '../../src/config';
import { useTestDb } from '../helpers/db';
import { expectProblem, newUser, type TestUser } from './helpers';

useTestDb();
let user: TestUser;
beforeAll(async () => {
  user = await newUser();
});

const INVALID = 'Bearer realm="thunder-notes", error="invalid_token"';

const protectedRequests = [
  ['GET /notes', () => request(app).get('/notes')],
  ['POST /notes', () => request(app).post('/notes').send({ text: 'x' })],
  ['GET /notes/1', () => request(app).get('/notes/1')],
  ['PUT /notes/1', () => request(app).put('/notes/1').send({ id: '1', text: 'x', createdAt: 1, updatedAt: 1 })],
  ['PATCH /notes/1', () => request(app).patch('/notes/1').send({ text: 'x' })],
  ['DELETE /notes/1', () => request(app).delete('/notes/1')],
  ['GET /users/1', () => request(app).get('/users/1')],
] as const;

describe('verifyToken on protected routes', () => {
  it.each(protectedRequests)('%s without Authorization is 401 with a bare Bearer challenge', async (_name, make) => {
    const res = await make();

    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="thunder-notes"');
  });

  it.each(protectedRequests)('%s with a bad signature is 401 invalid_token', async (_name, make) => {
    const forged = jwt.sign({ name: 'x' }, 'another secret of at least thirty-two characters', { subject: user.id, expiresIn: 60 });

    const res = await make().set('Authorization', `Bearer ${forged}`);

    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toBe(INVALID);
  });

  it.each([
    ['a Basic header', () => `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['Bearer without a token', () => 'Bearer'],
    ['a token that is not a JWT', () => 'Bearer not-a-jwt'],
    ['an empty header', () => ''],
    ['two tokens', () => `Bearer ${user.token} ${user.token}`],
  ])('with %s answers 401 invalid_token', async (_case, header) => {
    const res = await request(app).get('/notes').set('Authorization', header());

    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toBe(INVALID);
  });

  it('accepts the scheme name in any case', async () => {
    const res = await request(app).get('/notes').set('Authorization', `bearer ${user.token}`);

    expect(res.status).toBe(200);
  });

  it('refuses an expired token with 401 invalid_token and says it expired', async () => {
    const expired = jwt.sign({ name: user.name, exp: Math.floor(Date.now() / 1000) - 10 }, config.jwt.key, {
      algorithm: 'HS256',
      subject: user.id,
    });

    const res = await request(app).get('/notes').set('Authorization', `Bearer ${expired}`);

    const body = expectProblem(res, 401);
    expect(body.detail).toMatch(/expired/);
    expect(res.headers['www-authenticate']).toBe(INVALID);
  });

  it('refuses a token it accepted before once that token has expired (checked on every request)', async () => {
    const token = jwt.sign({ name: user.name }, config.jwt.key, { algorithm: 'HS256', subject: user.id, expiresIn: 60 });
    expect((await request(app).get('/notes').set('Authorization', `Bearer ${token}`)).status).toBe(200);

    // A minute later: the clock the expiry is checked against, nothing else of the request, moves.
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
    let res: request.Response;
    try {
      res = await request(app).get('/notes').set('Authorization', `Bearer ${token}`);
    } finally {
      clock.mockRestore();
    }

    const body = expectProblem(res, 401);
    expect(body.detail).toMatch(/expired/);
    expect(res.headers['www-authenticate']).toBe(INVALID);
  });

  it('refuses a token signed with the same key but another algorithm (pinned HS256)', async () => {
    const hs512 = jwt.sign({ name: user.name }, config.jwt.key, { algorithm: 'HS512', subject: user.id, expiresIn: 60 });

    const res = await request(app).get('/notes').set('Authorization', `Bearer ${hs512}`);

    expectProblem(res, 401);
  });

  it('refuses an unsigned alg=none token', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: user.id, name: 'x', exp: Math.floor(Date.now() / 1000) + 60 })).toString('base64url');

    const res = await request(app).get('/notes').set('Authorization', `Bearer ${header}.${payload}.`);

    expectProblem(res, 401);
  });

  it('refuses a well-signed token without a subject', async () => {
    const token = jwt.sign({ name: 'x' }, config.jwt.key, { algorithm: 'HS256', expiresIn: 60 });

    const res = await request(app).get('/notes').set('Authorization', `Bearer ${token}`);

    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toBe(INVALID);
  });

  it.each([
    ['GET /notes', '/notes'],
    ['GET /notes/1', '/notes/1'],
    ['GET /users/{id}', '/users/999999'],
  ])('%s with a well-signed token for a user that does not exist is 401 invalid_token, never 5xx', async (_name, path) => {
    const token = jwt.sign({ name: 'Ghost' }, config.jwt.key, { algorithm: 'HS256', subject: '999999', expiresIn: 60 });

    const res = await request(app).get(path).set('Authorization', `Bearer ${token}`);

    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toBe(INVALID);
  });

  it('refuses a well-signed token without exp: every token this API issues expires', async () => {
    const token = jwt.sign({ name: user.name }, config.jwt.key, { algorithm: 'HS256', subject: user.id });
    expect(jwt.decode(token)).not.toHaveProperty('exp');

    const res = await request(app).get('/notes').set('Authorization', `Bearer ${token}`);

    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toBe(INVALID);
  });

  it.each([
    ['an unknown extension', { crit: ['x'], x: 1 }],
    ['an empty list', { crit: [] }],
  ])('refuses a well-signed token whose crit header names %s (RFC 7515 §4.1.11)', async (_case, extra) => {
    const token = jwt.sign({ name: user.name }, config.jwt.key, {
      algorithm: 'HS256',
      subject: user.id,
      expiresIn: 60,
      header: { alg: 'HS256', ...extra } as jwt.JwtHeader,
    });
    expect(jwt.decode(token, { complete: true })?.header).toMatchObject(extra);

    const res = await request(app).get('/notes').set('Authorization', `Bearer ${token}`);

    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toBe(INVALID);
  });

  it('a token signed with a random key of the right length is still refused', async () => {
    const token = jwt.sign({ name: 'x' }, crypto.randomBytes(48), { algorithm: 'HS256', subject: user.id, expiresIn: 60 });

    const res = await request(app).get('/notes').set('Authorization', `Bearer ${token}`);

    expectProblem(res, 401);
  });
});
