import express, { Router } from 'express';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { config } from '../../src/config';
import { findUserById } from '../../src/controllers/usersController';
import { errorHandler, toAppError } from '../../src/middlewares/errorHandler';
import { allowHeader, methodNotAllowed, mountMethodNotAllowed } from '../../src/middlewares/methodNotAllowed';
import { notFound } from '../../src/middlewares/notFound';
import { NOTE_PATCH_TYPES, requireJson, requirePatchBody } from '../../src/middlewares/requireJson';
import { capFieldErrors, unsafeKeys, validate } from '../../src/middlewares/validate';
import { validateNote } from '../../src/middlewares/validateNote';
import { verifyToken } from '../../src/middlewares/verifyToken';
import { callerOf, inputOf, noteIdOf } from '../../src/requestContext';
import * as noteSchemas from '../../src/schemas/noteSchemas';
import { AppError } from '../../src/utils/AppError';
import { DomainError } from '../../src/utils/DomainError';
import { fakeNext, fakeReq, fakeRes } from './fakeHttp';

jest.mock('../../src/controllers/usersController', () => ({
  ...jest.requireActual('../../src/controllers/usersController'),
  findUserById: jest.fn(),
}));
const findUserByIdMock = jest.mocked(findUserById);

function errorPassed(next: jest.Mock | ReturnType<typeof fakeNext>): AppError {
  const arg = (next as jest.Mock).mock.calls[0][0];
  expect(arg).toBeInstanceOf(AppError);
  return arg as AppError;
}

describe('validate', () => {
  it('stores the parsed values and calls next() without an error', () => {
    const { res } = fakeRes();
    const next = fakeNext();

    validate(noteSchemas.listNotes)(fakeReq({ query: { limit: '5', extra: 'x' } }), res, next);

    expect(next).toHaveBeenCalledWith();
    expect(inputOf(res, noteSchemas.listNotes).query).toEqual({ q: undefined, sort: 'updatedAt', order: 'asc', limit: 5, page: 1, given: ['limit'] });
  });

  it('a query-only endpoint asked without a query string shares one frozen parse of no parameters; with one, it parses', () => {
    const check = validate(noteSchemas.listNotes);
    const [a, b, c] = [fakeRes().res, fakeRes().res, fakeRes().res];

    check(fakeReq({ url: '/notes', query: {} }), a, fakeNext());
    check(fakeReq({ url: '/notes', query: {} }), b, fakeNext());
    check(fakeReq({ url: '/notes?limit=3', query: { limit: '3' } }), c, fakeNext());

    const first = inputOf(a, noteSchemas.listNotes).query;
    expect(first).toEqual({ q: undefined, sort: 'updatedAt', order: 'asc', limit: 10, page: 1, given: [] });
    expect(inputOf(b, noteSchemas.listNotes).query).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.given)).toBe(true);
    expect(inputOf(c, noteSchemas.listNotes).query.limit).toBe(3);
  });

  it('collects errors from every part into one 400', () => {
    const schemas = { ...noteSchemas.listNotes, ...noteSchemas.createNote };
    const next = fakeNext();

    validate(schemas)(fakeReq({ query: { page: '0' }, body: { text: '' } }), fakeRes().res, next);

    const error = errorPassed(next);
    expect(error.status).toBe(400);
    expect(error.errors).toEqual([
      { in: 'query', name: 'page', message: expect.any(String) },
      { in: 'body', name: 'text', message: 'must not be empty' },
    ]);
  });

  it('reads a missing body as an empty object', () => {
    const next = fakeNext();

    validate(noteSchemas.createNote)(fakeReq({ body: undefined }), fakeRes().res, next);

    expect(errorPassed(next).errors).toEqual([{ in: 'body', name: 'text', message: 'is required' }]);
  });

  it('refuses operator and prototype keys in a body before parsing it', () => {
    const next = fakeNext();
    const body = JSON.parse('{"text":"x","__proto__":{"a":1},"n":{"$gt":1}}');

    validate(noteSchemas.createNote)(fakeReq({ body }), fakeRes().res, next);

    expect(errorPassed(next).errors?.map((e) => e.name)).toEqual(['__proto__', 'n.$gt']);
  });

  it('inputOf() throws when validate() did not run', () => {
    expect(() => inputOf(fakeRes().res, noteSchemas.createNote)).toThrow(/validate\(\) did not run/);
  });
});

describe('unsafeKeys', () => {
  it.each([
    [{ a: 1, b: [1, { c: 2 }] }, []],
    [{ $where: 'x' }, ['$where']],
    [{ a: { constructor: {} } }, ['a.constructor']],
    [{ a: [{ prototype: 1 }] }, ['a.0.prototype']],
    ['string', []],
    [null, []],
  ])('in %p finds %p', (value, expected) => {
    expect(unsafeKeys(value)).toEqual(expected);
  });

  it('finds keys in document order, a subtree before its later siblings', () => {
    expect(unsafeKeys({ a: { $x: 1, b: [{ $y: 2 }] }, $z: 3, c: { constructor: 1 } })).toEqual(['a.$x', 'a.b.0.$y', '$z', 'c.constructor']);
  });

  it('walks 100,000 levels without exhausting the call stack', () => {
    let deep: Record<string, unknown> = { $bottom: 1 };
    for (let i = 0; i < 100_000; i++) deep = { a: deep };

    const found = unsafeKeys(deep);

    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^(a\.){100000}\$bottom$/);
  });
});

describe('capFieldErrors', () => {
  const error = (i: number) => ({ in: 'body' as const, name: `f${i}`, message: 'is wrong' });

  it('keeps up to 20 errors as they are', () => {
    const errors = Array.from({ length: 20 }, (_, i) => error(i));

    expect(capFieldErrors(errors)).toEqual(errors);
  });

  it('lists 20 and counts the rest in one more entry', () => {
    const capped = capFieldErrors(Array.from({ length: 23 }, (_, i) => error(i)));

    expect(capped).toHaveLength(21);
    expect(capped[19]).toEqual(error(19));
    expect(capped[20]).toEqual({ in: 'body', name: '…', message: 'and 3 more not listed' });
  });
});

describe('requireJson', () => {
  it.each([
    ['no body headers', {}],
    ['Content-Length 0 with text/plain', { 'content-length': '0', 'content-type': 'text/plain' }],
  ])('lets a request with %s through', (_case, headers) => {
    const next = fakeNext();
    const req = fakeReq({ method: 'POST', headers });
    (req as unknown as { is: () => boolean }).is = () => false;

    requireJson(req, fakeRes().res, next);

    expect(next).toHaveBeenCalledWith();
  });

  it('lets a JSON body through', async () => {
    const app = express();
    app.post('/', requireJson, (_req, res) => {
      res.status(204).end();
    });

    const res = await request(app).post('/').send({ a: 1 });

    expect(res.status).toBe(204);
  });

  it('answers a POST body of another type with 415 and no Accept-Patch', () => {
    const next = fakeNext();
    const req = fakeReq({ method: 'POST', headers: { 'content-length': '3', 'content-type': 'text/plain' } });
    (req as unknown as { is: () => boolean }).is = () => false;

    requireJson(req, fakeRes().res, next);

    const error = errorPassed(next);
    expect(error.status).toBe(415);
    expect(error.headers).toBeUndefined();
  });

  it('answers a chunked PATCH body of another type with 415 and Accept-Patch listing the patch formats of the route', () => {
    const next = fakeNext();
    const req = fakeReq({ method: 'PATCH', headers: { 'transfer-encoding': 'chunked', 'content-type': 'text/plain' } });
    (req as unknown as { is: () => boolean }).is = () => false;

    requirePatchBody(NOTE_PATCH_TYPES)(req, fakeRes().res, next);

    const error = errorPassed(next);
    expect(error.status).toBe(415);
    expect(error.headers).toEqual({ 'Accept-Patch': 'application/json, application/merge-patch+json, application/json-patch+json' });
  });
});

describe('methodNotAllowed', () => {
  it.each([
    [['get'], 'GET, HEAD, OPTIONS'],
    [['post'], 'POST, OPTIONS'],
    [['delete', 'get', 'patch', 'put'], 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS'],
    [['head', 'get'], 'GET, HEAD, OPTIONS'],
  ])('allowHeader(%p) is %p', (methods, allow) => {
    expect(allowHeader(methods)).toBe(allow);
  });

  it('answers 405 with Allow', () => {
    const next = fakeNext();

    methodNotAllowed('GET, HEAD')(fakeReq({ method: 'DELETE' }), fakeRes().res, next);

    const error = errorPassed(next);
    expect(error.status).toBe(405);
    expect(error.headers).toEqual({ Allow: 'GET, HEAD' });
  });

  it('derives Allow for every declared path from the router itself', async () => {
    const router = Router();
    router.route('/a').get((_req, res) => void res.send('a'));
    router.route('/a').post((_req, res) => void res.send('a'));
    router.route('/b/:id').put((_req, res) => void res.send('b'));
    mountMethodNotAllowed(router);
    const app = express().use(router).use(notFound).use(errorHandler);

    const a = await request(app).delete('/a');
    const b = await request(app).get('/b/7');
    const ok = await request(app).post('/a');
    const unknown = await request(app).delete('/c');

    expect([a.status, a.headers.allow]).toEqual([405, 'GET, HEAD, POST, OPTIONS']);
    expect([b.status, b.headers.allow]).toEqual([405, 'PUT, OPTIONS']);
    expect(ok.status).toBe(200);
    expect(unknown.status).toBe(404);
  });
});

describe('notFound', () => {
  it('passes a 404 AppError naming the path', () => {
    const next = fakeNext();

    notFound(fakeReq({ path: '/nope' }), fakeRes().res, next);

    const error = errorPassed(next);
    expect(error.status).toBe(404);
    expect(error.message).toContain('/nope');
  });
});

describe('verifyToken', () => {
  const token = () => jwt.sign({ name: 'Ann' }, config.jwt.key, { algorithm: 'HS256', subject: '42', expiresIn: 60 });

  it('throws 401 with a bare challenge when Authorization is missing', async () => {
    await expect(verifyToken(fakeReq(), fakeRes().res, fakeNext())).rejects.toMatchObject({
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer realm="thunder-notes"' },
    });
  });

  it('throws 401 invalid_token for a malformed header', async () => {
    await expect(verifyToken(fakeReq({ headers: { Authorization: 'Token abc' } }), fakeRes().res, fakeNext())).rejects.toMatchObject({
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer realm="thunder-notes", error="invalid_token"' },
    });
  });

  it('puts the caller into the request context for a valid token of an existing user', async () => {
    const user = { id: '42', name: 'Ann', email: 'a@b.co', createdAt: 1, updatedAt: 1, tokenVersion: 0 };
    findUserByIdMock.mockResolvedValueOnce(user);
    const { res } = fakeRes();
    const next = fakeNext();

    await verifyToken(fakeReq({ headers: { Authorization: `Bearer ${token()}` } }), res, next);

    expect(next).toHaveBeenCalledWith();
    expect(callerOf(res)).toEqual(user);
    expect(findUserByIdMock).toHaveBeenCalledWith('42');
  });

  it('throws 401 invalid_token when the user of a valid token no longer exists', async () => {
    findUserByIdMock.mockResolvedValueOnce(null);

    await expect(verifyToken(fakeReq({ headers: { Authorization: `Bearer ${token()}` } }), fakeRes().res, fakeNext())).rejects.toMatchObject({
      status: 401,
    });
  });

  it('throws 401 invalid_token with "expired" for an expired token, without asking the database', async () => {
    findUserByIdMock.mockClear();
    const expired = jwt.sign({ name: 'Ann', exp: Math.floor(Date.now() / 1000) - 10 }, config.jwt.key, { algorithm: 'HS256', subject: '42' });

    await expect(verifyToken(fakeReq({ headers: { Authorization: `Bearer ${expired}` } }), fakeRes().res, fakeNext())).rejects.toMatchObject({
      status: 401,
      message: 'The access token has expired.',
      headers: { 'WWW-Authenticate': 'Bearer realm="thunder-notes", error="invalid_token"' },
    });
    expect(findUserByIdMock).not.toHaveBeenCalled();
  });

  it('callerOf() throws when verifyToken did not run', () => {
    expect(() => callerOf(fakeRes().res)).toThrow(/verifyToken did not run/);
  });
});

describe('validateNote', () => {
  it('throws the contract 404 for a non-decimal id, before any database work', () => {
    let thrown: unknown;
    try {
      validateNote(fakeReq({ params: { id: 'abc' } }), fakeRes().res, fakeNext());
    } catch (err) {
      thrown = err;
    }

    expect(thrown).toBeInstanceOf(DomainError);
    expect(toAppError(thrown)).toMatchObject({
      status: 404,
      message: "Note with ID 'abc' does not exist.",
      links: [{ rel: 'notes', href: '/notes', method: 'GET' }],
    });
  });

  it('puts a decimal id into the request context and calls next()', () => {
    const { res } = fakeRes();
    const next = fakeNext();

    validateNote(fakeReq({ params: { id: '3' } }), res, next);

    expect(noteIdOf(res)).toBe('3');
    expect(next).toHaveBeenCalledWith();
  });

  it('noteIdOf() throws when validateNote did not run', () => {
    expect(() => noteIdOf(fakeRes().res)).toThrow(/validateNote did not run/);
  });
});
