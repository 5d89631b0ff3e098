/**
 * A block reservation the database refuses (issue 17): the creates that waited for it fail with
 * the database's error, answered as any failed write is (the same 5xx problem as a refused
 * insert), and the allocator is not stuck: the next create reserves again and succeeds.
 */
import mongoose from 'mongoose';
import request from 'supertest';
import { app } from '../../src/app';
import { Counter, releaseIdBlocks, resetIdBlocks } from '../../src/models/Counter';
import { itEmbedded, useFailingDb } from '../helpers/failingPersistence';
import { newNote, newUser, type TestUser } from './helpers';

const persistence = useFailingDb(__filename);
let user: TestUser;

beforeAll(async () => {
  user = await newUser('Refused');
});

/** POSTs `n` notes at once while the database refuses writes. */
async function createWhileRefused(n: number): Promise<request.Response[]> {
  persistence.failing = true;
  try {
    return await Promise.all(Array.from({ length: n }, () => request(app).post('/notes').set(user.auth).send({ text: 'refused' })));
  } finally {
    persistence.failing = false;
  }
}

/** What a failure answer shows a client: status and problem type. */
const shown = (res: request.Response) => ({ status: res.status, type: res.headers['content-type'], title: res.body.title, detail: res.body.detail });

describe('a refused block reservation', () => {
  itEmbedded('fails the creates waiting for it as a refused insert fails them; the next create reserves again and gets a fresh id', async () => {
    const first = await newNote(user, 'before'); // a block is held now
    const [refusedInsert] = await createWhileRefused(1); // the id comes from memory; the insert is refused
    resetIdBlocks(); // no block held: the next creates must reserve one
    const counterBefore = Number((await Counter.findById('notes').lean())?.seq);

    const refusedReservation = await createWhileRefused(5);

    expect([500, 503]).toContain(refusedInsert.status);
    expect(refusedReservation.map(shown)).toEqual(Array(5).fill(shown(refusedInsert)));
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => request(app).post('/notes').set(user.auth).send({ text: `after ${i}` })));
    expect(after.map((res) => res.status)).toEqual(Array(20).fill(201));
    const ids = after.map((res) => Number(res.body.id));
    expect(new Set(ids).size).toBe(20);
    expect(Math.min(...ids)).toBeGreaterThan(Number(first.id) + 1); // the refused insert's id is never reused
    // The refused reservation moved nothing: the next one starts right after the counter as it was.
    expect(Math.min(...ids)).toBe(counterBefore + 1);
  });
});

describe('the give-back at shutdown', () => {
  // Last in this file: it closes the connection (useFailingDb's afterAll allows for that).
  it('with the database gone, ends without an error (the unissued ids are skipped, never reissued)', async () => {
    await newNote(user, 'holds a block');
    await mongoose.disconnect();

    const started = Date.now();
    await expect(releaseIdBlocks()).resolves.toBeUndefined();
    // Bounded (2 s): without the bound the driver would wait out its 10 s buffering timeout.
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
