/**
 * Rate limits on POST /auth (per client, per account) and POST /users (per client): 429 with
 * Retry-After and the IETF RateLimit/RateLimit-Policy fields after the configured attempts,
 * counted in the database so that two app instances (as two processes would) share them.
 * Client addresses are simulated with X-Forwarded-For, which `trust proxy = loopback` believes
 * from supertest's 127.0.0.1.
 */
import request from 'supertest';
import { createApp } from '../../src/app';
import { DatabaseStore } from '../../src/controllers/rateLimitStore';
import { logger } from '../../src/logger';
import { RateLimit, hitWindow, sweepExpired } from '../../src/models/RateLimit';
import { accountPseudonym } from '../../src/utils/accountPseudonym';
import { useTestDb } from '../helpers/db';
import { uniqueEmail } from '../helpers/ids';
import { expectProblem } from './helpers';

useTestDb();

// A day: the windows are fixed and aligned, so a test would only see a reset if it ran across midnight UTC.
const DAY_MS = 86_400_000;
const LIMITS = { authPerClient: 5, authFailuresPerAccount: 3, authWindowMs: DAY_MS, registerPerClient: 3, registerWindowMs: DAY_MS, refusalDelayMs: 0 };
const appA = createApp({ rateLimits: LIMITS, trustProxy: ['loopback'] });
const appB = createApp({ rateLimits: LIMITS, trustProxy: ['loopback'] });

let ipCounter = 0;
/** A client address of its own (TEST-NET-3), so no two tests share a per-client count. */
function newIp(): string {
  ipCounter += 1;
  return `203.0.113.${ipCounter}`;
}

function login(app: typeof appA, ip: string, email: string, password: string) {
  return request(app).post('/auth').set('X-Forwarded-For', ip).send({ email, password });
}

function register(app: typeof appA, ip: string, email = uniqueEmail('rl')) {
  return request(app).post('/users').set('X-Forwarded-For', ip).send({ name: 'Limited', email, password: 'correct horse' });
}

async function registered(): Promise<{ email: string; password: string }> {
  const email = uniqueEmail('acct');
  const res = await register(appA, newIp(), email);
  expect(res.status).toBe(201);
  return { email, password: 'correct horse' };
}

/** Expects a 429 problem with Retry-After within the window and the policy's standard fields. */
function expectLimited(res: request.Response, policy: string, quota: number, windowSeconds: number): void {
  expectProblem(res, 429);
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  expect(res.headers['ratelimit']).toMatch(new RegExp(`"${policy}"; r=0; t=${retryAfter}`));
  expect(res.headers['ratelimit-policy']).toMatch(new RegExp(`"${policy}"; q=${quota}; w=${windowSeconds}; pk=:[A-Za-z0-9+/=]+:`));
  expect(res.body.detail).toMatch(new RegExp(`Try again in ${retryAfter} seconds\\.$`));
}

describe('POST /auth per client', () => {
  it('answers 429 with Retry-After, RateLimit and RateLimit-Policy after the configured attempts from one address', async () => {
    const ip = newIp();
    for (let i = 0; i < LIMITS.authPerClient; i++) {
      const res = await login(appA, ip, uniqueEmail('ghost'), 'wrong password');
      expectProblem(res, 401);
      expect(res.headers['ratelimit']).toContain(`"auth-client"; r=${LIMITS.authPerClient - i - 1}; t=`);
      expect(res.headers['ratelimit-policy']).toContain(`"auth-client"; q=${LIMITS.authPerClient}; w=86400`);
    }

    const refused = await login(appA, ip, uniqueEmail('ghost'), 'wrong password');

    expectLimited(refused, 'auth-client', LIMITS.authPerClient, 86400);
    expect(refused.body.detail).toMatch(/^Too many login attempts from this client\./);
  });

  it('counts every attempt, also successful logins, and leaves other addresses alone', async () => {
    const user = await registered();
    const ip = newIp();
    for (let i = 0; i < LIMITS.authPerClient; i++) expect((await login(appA, ip, user.email, user.password)).status).toBe(200);

    expect((await login(appA, ip, user.email, user.password)).status).toBe(429);
    expect((await login(appA, newIp(), user.email, user.password)).status).toBe(200);
  });
});

describe('POST /auth per account', () => {
  it('locks the account after the configured failures from different addresses, even for the right password', async () => {
    const user = await registered();
    for (let i = 0; i < LIMITS.authFailuresPerAccount; i++) expectProblem(await login(appA, newIp(), user.email, 'wrong password'), 401);

    const refused = await login(appA, newIp(), user.email, user.password);

    expectLimited(refused, 'auth-account', LIMITS.authFailuresPerAccount, 86400);
    expect(refused.body.detail).toMatch(/^Too many failed logins for this account\./);
    expect(refused.headers['x-access-token']).toBeUndefined();
  });

  it('applies to every spelling of the email and to no other account', async () => {
    const user = await registered();
    const other = await registered();
    for (let i = 0; i < LIMITS.authFailuresPerAccount; i++) await login(appA, newIp(), user.email.toUpperCase(), 'wrong password');

    expect((await login(appA, newIp(), ` ${user.email} `, user.password)).status).toBe(429);
    expect((await login(appA, newIp(), other.email, other.password)).status).toBe(200);
  });

  it('counts only failures: successful logins never lock the owner out and leave no count', async () => {
    const user = await registered();
    for (let i = 0; i < LIMITS.authFailuresPerAccount + 2; i++) expect((await login(appA, newIp(), user.email, user.password)).status).toBe(200);

    // A success is taken back once its response has finished, just after the client has it.
    const key = `auth-account:${accountPseudonym(user.email)}`;
    const hits = async () => (await RateLimit.findOne({ key }).lean())?.hits;
    const deadline = Date.now() + 5000;
    while ((await hits()) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await hits()).toBe(0);
  });

  it('keeps no email in the database: the counter is keyed by a pseudonym', async () => {
    const user = await registered();
    await login(appA, newIp(), user.email, 'wrong password');

    const docs = await RateLimit.find({ key: /^auth-account:/ }).lean();

    expect(docs.length).toBeGreaterThan(0);
    expect(JSON.stringify(docs)).not.toContain(user.email);
    for (const doc of docs) expect(doc.key).toMatch(/^auth-account:acct-[0-9a-f]{16}$/);
  });
});

describe('POST /users per client', () => {
  it('answers 429 after the configured registrations from one address, and not for another address', async () => {
    const ip = newIp();
    for (let i = 0; i < LIMITS.registerPerClient; i++) expect((await register(appA, ip)).status).toBe(201);

    const refused = await register(appA, ip);

    expectLimited(refused, 'register-client', LIMITS.registerPerClient, 86400);
    expect(refused.body.detail).toMatch(/^Too many registrations from this client\./);
    expect((await register(appA, newIp())).status).toBe(201);
  });
});

describe('a refusal', () => {
  it('is held for refusalDelayMs before it is sent, so a looping client gets one per delay', async () => {
    const slow = createApp({ rateLimits: { ...LIMITS, registerPerClient: 1, refusalDelayMs: 300 }, trustProxy: ['loopback'] });
    const ip = newIp();
    expect((await register(slow, ip)).status).toBe(201);

    const started = Date.now();
    const refused = await register(slow, ip);

    expect(refused.status).toBe(429);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});

describe('shared state', () => {
  it('two app instances on one database share the per-client count', async () => {
    const ip = newIp();
    for (let i = 0; i < LIMITS.authPerClient; i++) {
      expect((await login(i % 2 === 0 ? appA : appB, ip, uniqueEmail('ghost'), 'wrong password')).status).toBe(401);
    }

    expect((await login(appB, ip, uniqueEmail('ghost'), 'wrong password')).status).toBe(429);
    expect((await login(appA, ip, uniqueEmail('ghost'), 'wrong password')).status).toBe(429);
  });

  it('two app instances on one database share the per-account count', async () => {
    const user = await registered();
    expect((await login(appA, newIp(), user.email, 'wrong password')).status).toBe(401);
    expect((await login(appB, newIp(), user.email, 'wrong password')).status).toBe(401);
    expect((await login(appA, newIp(), user.email, 'wrong password')).status).toBe(401);

    expect((await login(appB, newIp(), user.email, user.password)).status).toBe(429);
  });

  it('a flood of refused requests writes nothing more to the database', async () => {
    const ip = newIp();
    for (let i = 0; i <= LIMITS.registerPerClient; i++) await register(appA, ip);
    const before = await RateLimit.findOne({ key: `register-client:${ip}` }).lean();

    const statuses = await Promise.all(Array.from({ length: 20 }, () => register(appA, ip).then((r) => r.status)));

    expect(new Set(statuses)).toEqual(new Set([429]));
    const after = await RateLimit.findOne({ _id: before?._id }).lean();
    expect(before?.hits).toBe(LIMITS.registerPerClient + 1);
    expect(after?.hits).toBe(before?.hits);
  });
});

describe('ended windows', () => {
  it('are deleted by the sweep, and the current ones kept', async () => {
    const old = Date.now() - 2 * DAY_MS;
    await hitWindow('test-sweep:old', DAY_MS, old);
    await hitWindow('test-sweep:current', DAY_MS);

    const deleted = await sweepExpired();

    expect(deleted).toBeGreaterThanOrEqual(1);
    expect(await RateLimit.countDocuments({ key: 'test-sweep:old' })).toBe(0);
    expect(await RateLimit.countDocuments({ key: 'test-sweep:current' })).toBe(1);
  });
});

describe('DatabaseStore', () => {
  it('reads, counts, takes back and resets a key in the shared collection', async () => {
    const store = new DatabaseStore('test-store:', logger);
    store.init({ windowMs: DAY_MS, limit: 2 } as Parameters<DatabaseStore['init']>[0]);

    expect(await store.get('k')).toBeUndefined();
    expect((await store.increment('k')).totalHits).toBe(1);
    expect((await store.increment('k')).totalHits).toBe(2);
    await store.decrement('k');
    expect((await store.get('k'))?.totalHits).toBe(1);

    await store.resetKey('k');

    expect(await store.get('k')).toBeUndefined();
    expect(await RateLimit.countDocuments({ key: 'test-store:k' })).toBe(0);
  });

  it('answers a key over its limit from memory until its window ends', async () => {
    const store = new DatabaseStore('test-blocked:', logger);
    store.init({ windowMs: DAY_MS, limit: 1 } as Parameters<DatabaseStore['init']>[0]);
    await store.increment('k');
    const over = await store.increment('k');

    const more = await store.increment('k');
    await store.decrement('k');

    expect(over.totalHits).toBe(2);
    expect(more.totalHits).toBe(3);
    expect(more.resetTime).toEqual(over.resetTime);
    expect((await store.get('k'))?.totalHits).toBe(2); // the database saw the first two hits only
  });
});
