import argon2 from 'argon2';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { app } from '../../src/app';
import { config } from '../../src/config';
import { useTestDb } from '../helpers/db';
import { uniqueEmail } from '../helpers/ids';
import { errorNames, expectProblem, newUser } from './helpers';

useTestDb();

describe('POST /auth', () => {
  it('with valid credentials answers 200 with the token in X-Access-Token and the contract body', async () => {
    const user = await newUser('Alice');

    const res = await request(app).post('/auth').send({ email: user.email, password: user.password });

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['x-access-token']).toBe(res.body.access_token);
    expect(res.body).toEqual({
      message: 'Authentication successful',
      user: { id: user.id, name: 'Alice', email: user.email },
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: config.jwt.expiresInSeconds,
      links: [
        { rel: 'self', href: '/auth', method: 'POST' },
        { rel: 'notes', href: '/notes', method: 'GET' },
        { rel: 'add-note', href: '/notes', method: 'POST' },
        { rel: 'profile', href: `/users/${user.id}`, method: 'GET' },
      ],
    });
  });

  it('issues an HS256 JWT with sub, name, iat and exp one lifetime after iat', async () => {
    const user = await newUser('Bob');

    const res = await request(app).post('/auth').send({ email: user.email, password: user.password });

    const decoded = jwt.decode(res.body.access_token, { complete: true });
    expect(decoded?.header.alg).toBe('HS256');
    const payload = decoded?.payload as jwt.JwtPayload;
    expect(payload).toMatchObject({ sub: user.id, name: 'Bob' });
    expect(payload.exp! - payload.iat!).toBe(config.jwt.expiresInSeconds);
  });

  it('matches the email case-insensitively', async () => {
    const user = await newUser();

    const res = await request(app).post('/auth').send({ email: user.email.toUpperCase(), password: user.password });

    expect(res.status).toBe(200);
  });

  it('with a wrong password and with an unknown email answers the same 401 Invalid credentials', async () => {
    const user = await newUser();

    const wrong = await request(app).post('/auth').send({ email: user.email, password: 'not the password' });
    const unknown = await request(app).post('/auth').send({ email: uniqueEmail('ghost'), password: user.password });

    expectProblem(wrong, 401);
    expectProblem(unknown, 401);
    expect(wrong.body.detail).toBe('Invalid credentials');
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.headers['x-access-token']).toBeUndefined();
  });

  it('a 401 for bad credentials carries the API\'s Bearer challenge (RFC 9110 §11.6.1)', async () => {
    const user = await newUser();

    const res = await request(app).post('/auth').send({ email: user.email, password: 'not the password' });

    expectProblem(res, 401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="thunder-notes"');
  });

  it('verifies the password against a dummy argon2id hash when the email is unknown, so timing does not tell', async () => {
    const verify = jest.spyOn(argon2, 'verify');
    try {
      await request(app).post('/auth').send({ email: uniqueEmail('nobody'), password: 'whatever1' });

      expect(verify).toHaveBeenCalledTimes(1);
      expect(verify.mock.calls[0][0]).toMatch(/^\$argon2id\$/);
    } finally {
      verify.mockRestore();
    }
  });

  it.each([
    ['missing email', { password: 'x' }, ['email']],
    ['missing password', { email: 'a@b.co' }, ['password']],
    ['empty body', {}, ['email', 'password']],
    ['empty strings', { email: '', password: '' }, ['email', 'password']],
    ['an operator object instead of an email', { email: { $gt: '' }, password: 'x' }, ['email.$gt']],
    ['an array as password', { email: 'a@b.co', password: ['a', 'b'] }, ['password']],
    ['a number as password', { email: 'a@b.co', password: 12345678 }, ['password']],
  ])('with %s answers 400 naming the fields', async (_case, body, names) => {
    const res = await request(app).post('/auth').send(body);

    expectProblem(res, 400);
    expect(errorNames(res)).toEqual(names);
    expect(res.body.errors.every((e: { in: string }) => e.in === 'body')).toBe(true);
  });

  it('with a non-JSON content type answers 415', async () => {
    const res = await request(app).post('/auth').set('Content-Type', 'application/x-www-form-urlencoded').send('email=a&password=b');

    expectProblem(res, 415);
  });

  it('GET /auth is 405 with Allow: POST, OPTIONS', async () => {
    const res = await request(app).get('/auth');

    expectProblem(res, 405);
    expect(res.headers.allow).toBe('POST, OPTIONS');
  });
});
