import request from 'supertest';
import { app } from '../../src/app';
import { Note } from '../../src/models/Note';
import { User } from '../../src/models/User';
import { useTestDb } from '../helpers/db';
import { errorNames, expectProblem, newUser, type TestUser } from './helpers';

useTestDb();
let user: TestUser;
beforeAll(async () => {
  user = await newUser();
});

async function counts() {
  return { notes: await Note.countDocuments(), users: await User.countDocuments() };
}

describe('bad request bodies are refused and write nothing', () => {
  it('malformed JSON answers 400 naming no internals', async () => {
    const before = await counts();

    const res = await request(app).post('/notes').set(user.auth).set('Content-Type', 'application/json').send('{"text": "unterminated');

    const body = expectProblem(res, 400);
    expect(body.detail).toBe('The request body is not valid JSON.');
    expect(JSON.stringify(body)).not.toMatch(/Unexpected|position|SyntaxError/);
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['an array', '[{"text":"x"}]'],
    ['a string', '"text"'],
    ['a number', '42'],
    ['null', 'null'],
  ])('a JSON body that is %s answers 400', async (_case, raw) => {
    const before = await counts();

    const res = await request(app).post('/notes').set(user.auth).set('Content-Type', 'application/json').send(raw);

    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ in: 'body', name: 'body', message: 'must be a JSON object' }]);
    expect(await counts()).toEqual(before);
  });

  it('a body over 100 kB answers 413', async () => {
    const before = await counts();

    const res = await request(app).post('/notes').set(user.auth).send({ text: 'a'.repeat(101 * 1024) });

    expectProblem(res, 413);
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['text/plain', 'text=hello'],
    ['application/x-www-form-urlencoded', 'text=hello'],
    ['application/xml', '<text>hello</text>'],
  ])('POST /notes with Content-Type %s answers 415', async (type, raw) => {
    const before = await counts();

    const res = await request(app).post('/notes').set(user.auth).set('Content-Type', type).send(raw);

    expectProblem(res, 415);
    expect(res.headers['accept-patch']).toBeUndefined();
    expect(await counts()).toEqual(before);
  });

  it('POST /users with a body but no Content-Type answers 415', async () => {
    const res = await request(app).post('/users').set('Content-Length', '2').send(Buffer.from('{}')).unset('Content-Type');

    expectProblem(res, 415);
  });

  it('POST /notes with no body at all is a 400 naming the missing text', async () => {
    const res = await request(app).post('/notes').set(user.auth);

    expectProblem(res, 400);
    expect(errorNames(res)).toEqual(['text']);
  });

  it.each([
    ['__proto__ at the top', '{"text":"x","__proto__":{"isAdmin":true}}', '__proto__'],
    ['constructor at the top', '{"text":"x","constructor":{"prototype":{"a":1}}}', 'constructor'],
    ['a $ operator at the top', '{"text":"x","$where":"1"}', '$where'],
    ['a nested operator', '{"text":"x","meta":{"deep":{"$set":{"owner":"1"}}}}', 'meta.deep.$set'],
    ['__proto__ inside an array', '{"text":"x","list":[{"__proto__":{}}]}', 'list.0.__proto__'],
  ])('a body with %s answers 400 and is never interpreted', async (_case, raw, name) => {
    const before = await counts();

    const res = await request(app).post('/notes').set(user.auth).set('Content-Type', 'application/json').send(raw);

    expectProblem(res, 400);
    expect(errorNames(res)).toEqual([name]);
    expect(await counts()).toEqual(before);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('POST /auth with an operator object answers 400, never a login', async () => {
    const res = await request(app).post('/auth').send({ email: user.email, password: { $ne: 'x' } });

    expectProblem(res, 400);
    expect(res.headers['x-access-token']).toBeUndefined();
  });

  it('a JSON body in a charset other than UTF-8 answers 415', async () => {
    const res = await request(app).post('/notes').set(user.auth).set('Content-Type', 'application/json; charset=latin1').send('{"text":"x"}');

    expectProblem(res, 415);
  });
});
