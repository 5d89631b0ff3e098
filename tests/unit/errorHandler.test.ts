import mongoose from 'mongoose';
import { errorHandler, sendProblem, toAppError } from '../../src/middlewares/errorHandler';
import { AppError } from '../../src/utils/AppError';
import { DomainError } from '../../src/utils/DomainError';
import { fakeNext, fakeReq, fakeRes } from './fakeHttp';

function bodyParserError(type: string, status: number): Error {
  return Object.assign(new Error(`raw ${type} message`), { type, status, statusCode: status, expose: true });
}

describe('toAppError', () => {
  it('returns an AppError unchanged', () => {
    const err = new AppError(409, 'taken');

    expect(toAppError(err)).toBe(err);
  });

  it.each([
    ['entity.parse.failed', 400, 'The request body is not valid JSON.'],
    ['entity.too.large', 413, 'The request body is larger than 100 kB.'],
    ['encoding.unsupported', 415, 'The request body has an unsupported encoding or charset.'],
    ['charset.unsupported', 415, 'The request body has an unsupported encoding or charset.'],
    ['request.aborted', 400, 'Bad Request'],
    ['parameters.too.many', 413, 'The request body is larger than 100 kB.'],
  ])('maps the body-parser error %s to %i with a safe detail', (type, status, detail) => {
    const appError = toAppError(bodyParserError(type, status));

    expect(appError.status).toBe(status);
    expect(appError.message).toBe(detail);
  });

  it('maps a mongoose ValidationError to 400 with one field error per path', () => {
    const err = new mongoose.Error.ValidationError();
    err.addError('text', new mongoose.Error.ValidatorError({ path: 'text', message: 'Path `text` is required.' }));

    const appError = toAppError(err);

    expect(appError.status).toBe(400);
    expect(appError.errors).toEqual([{ in: 'body', name: 'text', message: 'Path `text` is required.' }]);
  });

  it('maps a mongoose CastError to 400 naming the path', () => {
    const appError = toAppError(new mongoose.Error.CastError('Number', 'abc', 'createdAt'));

    expect(appError.status).toBe(400);
    expect(appError.errors?.[0].name).toBe('createdAt');
  });

  it('maps a duplicate-key error (code 11000) to 409 without the driver message', () => {
    const appError = toAppError(Object.assign(new Error('E11000 duplicate key error collection: users index: email_1'), { code: 11000 }));

    expect(appError.status).toBe(409);
    expect(appError.message).not.toMatch(/E11000|email_1/);
  });

  it('names the taken field of a duplicate-key error from its keyValue', () => {
    const err = Object.assign(new Error('E11000 duplicate key error'), { code: 11000, keyValue: { email: 'a@b.co' } });

    const appError = toAppError(err);

    expect(appError.status).toBe(409);
    expect(appError.message).toBe('A resource with this email already exists.');
    expect(appError.errors).toEqual([{ in: 'body', name: 'email', message: 'is already taken' }]);
    expect(JSON.stringify(appError)).not.toContain('a@b.co');
  });

  it('maps a domain not-found to 404, with a way back to the notes for a note', () => {
    const note = toAppError(new DomainError('not-found', "Note with ID '9' does not exist.", { resource: 'note' }));
    const user = toAppError(new DomainError('not-found', "User with ID '9' does not exist.", { resource: 'user' }));

    expect(note).toMatchObject({ status: 404, message: "Note with ID '9' does not exist.", links: [{ rel: 'notes', href: '/notes', method: 'GET' }] });
    expect(user).toMatchObject({ status: 404, message: "User with ID '9' does not exist.", links: undefined });
  });

  it('maps a domain conflict to 409 naming the field, or without field errors when there is none', () => {
    const withField = toAppError(new DomainError('conflict', 'A user with this email already exists.', { field: 'email' }));
    const without = toAppError(new DomainError('conflict', 'Taken.'));

    expect(withField).toMatchObject({ status: 409, message: 'A user with this email already exists.' });
    expect(withField.errors).toEqual([{ in: 'body', name: 'email', message: 'is already taken' }]);
    expect(without.status).toBe(409);
    expect(without.errors).toBeUndefined();
  });

  it('keeps the status of an http error and its message only when it is exposable', () => {
    expect(toAppError(Object.assign(new Error('Gone for good'), { status: 410, expose: true })).message).toBe('Gone for good');
    expect(toAppError(Object.assign(new Error('internal path /srv/x'), { statusCode: 404 })).message).toBe('Not Found');
  });

  it.each([
    ['a plain Error', new Error('connection refused at 10.0.0.5:27017')],
    ['an error with a 5xx status', Object.assign(new Error('db down'), { status: 503 })],
    ['a thrown string', 'secret string'],
    ['null', null],
  ])('turns %s into a 500 that hides the original message', (_case, err) => {
    const appError = toAppError(err);

    expect(appError.status).toBe(500);
    expect(appError.message).toBe('The server could not complete the request.');
  });
});

describe('sendProblem', () => {
  it('writes problem+json with message repeating detail, title from the status and default links', () => {
    const { res, rec } = fakeRes();

    sendProblem(res, new AppError(404, 'Nothing here.'));

    expect(rec.statusCode).toBe(404);
    expect(rec.headers['Content-Type']).toBe('application/problem+json');
    expect(JSON.parse(String(rec.body))).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'Nothing here.',
      message: 'Nothing here.',
      links: [{ rel: 'root', href: '/', method: 'GET' }],
    });
  });

  it('adds field errors, custom links, a custom title and headers when given', () => {
    const { res, rec } = fakeRes();
    const error = new AppError(405, 'No.', {
      title: 'Nope',
      errors: [{ in: 'query', name: 'limit', message: 'bad' }],
      links: [{ rel: 'notes', href: '/notes', method: 'GET' }],
      headers: { Allow: 'GET' },
    });

    sendProblem(res, error);

    const body = JSON.parse(String(rec.body));
    expect(body).toMatchObject({ title: 'Nope', status: 405, errors: [{ in: 'query', name: 'limit', message: 'bad' }] });
    expect(body.links).toEqual([{ rel: 'notes', href: '/notes', method: 'GET' }]);
    expect(rec.headers.Allow).toBe('GET');
  });

  it('leaves out an empty errors array', () => {
    const { res, rec } = fakeRes();

    sendProblem(res, new AppError(400, 'Bad.', { errors: [] }));

    expect(JSON.parse(String(rec.body)).errors).toBeUndefined();
  });
});

describe('errorHandler', () => {
  it.each([
    [bodyParserError('entity.too.large', 413), 413],
    [bodyParserError('charset.unsupported', 415), 415],
    [new AppError(404, 'x'), 404],
    [Object.assign(new Error('E11000'), { code: 11000 }), 409],
    [bodyParserError('entity.parse.failed', 400), 400],
  ])('answers %p with status %i', (err, status) => {
    const { res, rec } = fakeRes();
    const next = fakeNext();

    errorHandler(err, fakeReq(), res, next);

    expect(rec.statusCode).toBe(status);
    expect(JSON.parse(String(rec.body)).status).toBe(status);
    expect(next).not.toHaveBeenCalled();
  });

  it('answers an unexpected error with a 500 that shows no message or stack', () => {
    const { res, rec } = fakeRes();
    const err = new Error('MongoServerError: secret internals');

    errorHandler(err, fakeReq({ method: 'POST', originalUrl: '/notes' }), res, fakeNext());

    expect(rec.statusCode).toBe(500);
    const text = String(rec.body);
    expect(text).not.toMatch(/secret internals|MongoServerError|at .*\.ts/);
    expect(JSON.parse(text)).toMatchObject({ title: 'Internal Server Error', detail: 'The server could not complete the request.' });
  });

  it('hands the error on when the response has already started', () => {
    const { res, rec } = fakeRes({ headersSent: true });
    const next = fakeNext();
    const err = new Error('late');

    errorHandler(err, fakeReq(), res, next);

    expect(next).toHaveBeenCalledWith(err);
    expect(rec.body).toBeUndefined();
  });
});
