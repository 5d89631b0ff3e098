/**
 * Audit lines, read from the app's real pino logger writing into memory: a failed login, a
 * rate-limit refusal, a refused bearer token and a 5xx each leave one line with an `event`, the
 * request id the client saw in X-Request-Id, and never the password, the email or a token.
 * The 5xx is real: the embedded server's persistence refuses the write, as a failing disk would.
 */
import request from 'supertest';
import { createApp } from '../../src/app';
import { accountPseudonym } from '../../src/utils/accountPseudonym';
import { itEmbedded, useFailingDb } from '../helpers/failingPersistence';
import { uniqueEmail } from '../helpers/ids';
import { captureLog, type LogLine } from '../helpers/logCapture';
import { expectProblem } from './helpers';

const persistence = useFailingDb(__filename);

const log = captureLog('info');
const LIMITS = { authPerClient: 1000, authFailuresPerAccount: 2, authWindowMs: 86_400_000, registerPerClient: 1000, registerWindowMs: 86_400_000, refusalDelayMs: 0 };
const app = createApp({ logger: log.logger, rateLimits: LIMITS, accessLog: true });

const PASSWORD = 'correct horse battery';
const WRONG = 'wrong-password-4711';
let email: string;
let token: string;

beforeAll(async () => {
  email = uniqueEmail('audited');
  expect((await request(app).post('/users').send({ name: 'Audited', email, password: PASSWORD })).status).toBe(201);
  const auth = await request(app).post('/auth').send({ email, password: PASSWORD });
  token = auth.body.access_token;
});

beforeEach(() => log.clear());

/** The audit line of one request: the line with this event and the request id the client saw. */
function auditLine(res: request.Response, event: string): LogLine {
  const id = res.headers['x-request-id'];
  expect(id).toEqual(expect.any(String));
  const lines = log.lines().filter((l) => l.event === event && l.reqId === id);
  expect(lines).toHaveLength(1);
  return lines[0];
}

/** No secret anywhere in what was logged. */
function expectNoSecrets(...secrets: string[]): void {
  const all = log.raw.join('\n');
  for (const secret of secrets) expect(all).not.toContain(secret);
}

describe('audit lines', () => {
  it('a failed login: event auth.login_failed at warn, the account as a pseudonym, no email or password', async () => {
    const res = await request(app).post('/auth').send({ email, password: WRONG });

    expectProblem(res, 401);
    const line = auditLine(res, 'auth.login_failed');
    expect(line).toMatchObject({ level: 40, account: accountPseudonym(email), client: expect.any(String) });
    expectNoSecrets(WRONG, PASSWORD, email);
  });

  it('a lockout: event rate_limit.exceeded with the policy and Retry-After on the first 429, none on the next', async () => {
    const lockedEmail = uniqueEmail('locked');
    for (let i = 0; i < LIMITS.authFailuresPerAccount; i++) await request(app).post('/auth').send({ email: lockedEmail, password: WRONG });

    const res = await request(app).post('/auth').send({ email: lockedEmail, password: WRONG });

    expectProblem(res, 429);
    const line = auditLine(res, 'rate_limit.exceeded');
    expect(line).toMatchObject({ level: 40, policy: 'auth-account', partition: accountPseudonym(lockedEmail), retryAfter: Number(res.headers['retry-after']) });
    expectNoSecrets(WRONG, lockedEmail);

    const again = await request(app).post('/auth').send({ email: lockedEmail, password: WRONG });
    expectProblem(again, 429);
    expect(log.lines().filter((l) => l.reqId === again.headers['x-request-id'] && l.event !== undefined)).toEqual([]);
  });

  it('a refused bearer token: event auth.token_rejected, and neither that token nor the header in any line', async () => {
    const tampered = `${token.slice(0, -4)}AAAA`;

    const res = await request(app).get('/notes').set('Authorization', `Bearer ${tampered}`);

    expectProblem(res, 401);
    const line = auditLine(res, 'auth.token_rejected');
    expect(line).toMatchObject({ level: 40, method: 'GET', path: '/notes', status: 401 });
    expectNoSecrets(tampered, token.split('.')[2]);
  });

  itEmbedded('a 5xx (the database refuses the write): event http.server_error at error, with the cause, not the token', async () => {
    persistence.failing = true;
    let res: request.Response;
    try {
      res = await request(app).post('/notes').set('Authorization', `Bearer ${token}`).send({ text: 'lost to a bad disk' });
    } finally {
      persistence.failing = false;
    }

    // 500, or 503 where the error middleware recognises the storage failure: a 5xx either way.
    expect([500, 503]).toContain(res.status);
    expectProblem(res, res.status);
    const line = auditLine(res, 'http.server_error');
    expect(line).toMatchObject({ level: 50, method: 'POST', path: '/notes', status: res.status });
    expect(JSON.stringify(line.err)).toMatch(/EIO/);
    expect(res.text).not.toMatch(/EIO/);
    expectNoSecrets(token.split('.')[2]);
  });

  it('the account\'s life: a wrong current password (warn), a password change and a deletion (info), the account as a pseudonym, no email or password', async () => {
    const own = uniqueEmail('lifecycle');
    const reg = await request(app).post('/users').send({ name: 'Lifecycle', email: own, password: PASSWORD });
    const login = async (password: string) => (await request(app).post('/auth').send({ email: own, password })).body.access_token as string;
    const bearer = { Authorization: `Bearer ${await login(PASSWORD)}` };
    const profile = `/users/${reg.body.id}`;

    const wrong = await request(app).patch(profile).set(bearer).send({ password: 'a new password 1', currentPassword: WRONG });
    const changed = await request(app).patch(profile).set(bearer).send({ password: 'a new password 1', currentPassword: PASSWORD });
    const deleted = await request(app).delete(profile).set({ Authorization: `Bearer ${await login('a new password 1')}` });

    expect([wrong.status, changed.status, deleted.status]).toEqual([403, 204, 204]);
    expect(auditLine(wrong, 'auth.password_change_failed')).toMatchObject({ level: 40, account: accountPseudonym(own), user: reg.body.id, status: 403 });
    expect(auditLine(changed, 'auth.password_changed')).toMatchObject({ level: 30, account: accountPseudonym(own), user: reg.body.id });
    expect(auditLine(deleted, 'account.deleted')).toMatchObject({ level: 30, account: accountPseudonym(own), user: reg.body.id });
    expectNoSecrets(WRONG, PASSWORD, 'a new password 1', own);
  });

  it('the access line of each request carries the same request id, the status and no query string', async () => {
    const res = await request(app).get('/notes?q=private%20words').set('Authorization', `Bearer ${token}`);

    expect(res.status).toBe(200);
    const access = log.lines().filter((l) => l.reqId === res.headers['x-request-id'] && l.status === 200);
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ level: 30, method: 'GET', path: '/notes', durationMs: expect.any(Number) });
    expectNoSecrets('private', token.split('.')[2]);
  });

  itEmbedded('an access line is one object with exactly these fields in this order; a 5xx line says no time in its message', async () => {
    const ok = await request(app).get('/notes').set('Authorization', `Bearer ${token}`).set('X-Request-Id', 'access-ok');
    persistence.failing = true;
    let failed: request.Response;
    try {
      failed = await request(app).post('/notes').set('Authorization', `Bearer ${token}`).set('X-Request-Id', 'access-5xx').send({ text: 'x' });
    } finally {
      persistence.failing = false;
    }

    expect(ok.status).toBe(200);
    const okLines = log.raw.filter((raw) => raw.includes('"reqId":"access-ok"'));
    expect(okLines).toHaveLength(1);
    expect(okLines[0]).toMatch(/^\{"level":30,"time":\d+,"reqId":"access-ok","method":"GET","path":"\/notes","status":200,"durationMs":\d+,"msg":"GET \/notes 200 \d+ ms"\}$/);
    const failedLines = log.lines().filter((l) => l.reqId === 'access-5xx' && l.event === undefined);
    expect(failedLines).toEqual([
      { level: 30, time: expect.any(Number), reqId: 'access-5xx', method: 'POST', path: '/notes', status: failed.status, durationMs: expect.any(Number), msg: `POST /notes ${failed.status}` },
    ]);
  });
});
