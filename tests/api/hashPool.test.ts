/**
 * A login flood cannot take libuv's threadpool: every argon2 call goes through the hashing pool,
 * which runs at most TN_HASH_CONCURRENCY (2) at once and refuses work past its queue with 503.
 * argon2.verify is wrapped (the real function still runs) to count the calls in flight and to
 * hold each one long enough that, without the pool, the calls would overlap.
 */
import argon2 from 'argon2';
import request from 'supertest';
import { app } from '../../src/app';
import { config } from '../../src/config';
import { hashPool } from '../../src/controllers/hashPool';
import { useTestDb } from '../helpers/db';
import { expectProblem, newUser, type TestUser } from './helpers';

useTestDb();

let user: TestUser;
beforeAll(async () => {
  user = await newUser('Flooded');
});

/** Wraps argon2.verify: each call is held `holdMs` before the real one runs; counts calls in flight. */
function instrumentVerify(holdMs: number) {
  const real = argon2.verify.bind(argon2);
  const seen = { inFlight: 0, peak: 0, calls: 0 };
  const spy = jest.spyOn(argon2, 'verify').mockImplementation(async (...args: Parameters<typeof argon2.verify>) => {
    seen.calls += 1;
    seen.inFlight += 1;
    seen.peak = Math.max(seen.peak, seen.inFlight);
    try {
      await new Promise((r) => setTimeout(r, holdMs));
      return await real(...args);
    } finally {
      seen.inFlight -= 1;
    }
  });
  return { seen, restore: () => spy.mockRestore() };
}

function wrongLogin() {
  return request(app).post('/auth').send({ email: user.email, password: 'not the password' });
}

describe('the hashing pool under a login flood', () => {
  afterEach(() => hashPool.resetPeak());

  it('never runs more than TN_HASH_CONCURRENCY argon2 verifications at once for 32 concurrent logins, and a POST /notes sent meanwhile completes', async () => {
    expect(config.hashPool.concurrency).toBe(2);
    const verify = instrumentVerify(20);
    try {
      const flood = Promise.all(Array.from({ length: 32 }, () => wrongLogin()));
      await new Promise((r) => setTimeout(r, 30)); // the flood is under way

      const started = Date.now();
      const note = await request(app).post('/notes').set(user.auth).send({ text: 'written during the flood' });
      const noteMs = Date.now() - started;
      const logins = await flood;

      expect(note.status).toBe(201);
      expect(noteMs).toBeLessThan(10_000);
      expect(logins.map((r) => r.status)).toEqual(Array(32).fill(401));
      expect(verify.seen.calls).toBe(32);
      expect(verify.seen.peak).toBe(2);
      expect(hashPool.stats().peakActive).toBeLessThanOrEqual(2);
    } finally {
      verify.restore();
    }
  });

  it('answers 503 with Retry-After once the queue is full, and 401 to the logins it took', async () => {
    const capacity = config.hashPool.concurrency + config.hashPool.queue;
    const verify = instrumentVerify(100);
    try {
      const responses = await Promise.all(Array.from({ length: capacity + 16 }, () => wrongLogin()));

      const busy = responses.filter((r) => r.status === 503);
      expect(busy.length).toBeGreaterThan(0);
      expect(responses.filter((r) => r.status === 401).length).toBe(responses.length - busy.length);
      expectProblem(busy[0], 503);
      expect(busy[0].headers['retry-after']).toBe('1');
      expect(busy[0].body.detail).toBe('The server is busy checking passwords; try again shortly.');
      expect(verify.seen.peak).toBeLessThanOrEqual(config.hashPool.concurrency);
      expect(hashPool.stats().rejected).toBeGreaterThan(0);
    } finally {
      verify.restore();
    }
  });
});
