/**
 * Ids in blocks (issue 17), through the real app and the real counter over the driver, with
 * TN_ID_BLOCK=7 so blocks run out often: concurrent creates in one process share one reservation
 * at a time and never get an id twice; a fresh process counts 1, 2, 3; the counters emptied,
 * the blocks held go too; the demo seed's advance skips the ids it wrote; a graceful give-back
 * returns the unissued tail only when nobody reserved after this process.
 */
import { SMALL_ID_BLOCK } from '../helpers/smallIdBlocks';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { app } from '../../src/app';
import { config } from '../../src/config';
import { Counter, advanceSeq, counterStore, releaseIdBlocks, resetIdBlocks } from '../../src/models/Counter';
import { IdBlocks } from '../../src/models/idBlocks';
import { Note } from '../../src/models/Note';
import { counterWrites, useMonitoredDb } from '../helpers/commandLog';
import { newUser, type TestUser } from './helpers';

const log = useMonitoredDb();
let server: http.Server;
let base: string;
let user: TestUser;

beforeAll(async () => {
  server = http.createServer(app).listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  user = await newUser('Blocks');
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Creates `n` notes at once; returns their ids in the order of the requests. */
async function createNotes(n: number): Promise<string[]> {
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => request(base).post('/notes').set(user.auth).send({ text: `note ${i}` })));
  expect(answers.filter((res) => res.status !== 201).map((res) => res.status)).toEqual([]);
  return answers.map((res) => res.body.id as string);
}

async function counterValue(name: string): Promise<number | undefined> {
  return (await Counter.findById(name).lean())?.seq;
}

/** Empties notes and counters, as a test's reset does: ids start again at 1. */
async function startAfresh(): Promise<void> {
  await Promise.all([Note.deleteMany({}), Counter.deleteMany({ _id: 'notes' })]);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

describe('ids in blocks of TN_ID_BLOCK', () => {
  beforeEach(startAfresh);

  it('takes TN_ID_BLOCK from the environment (this file sets 7)', () => {
    expect(config.ids.block).toBe(SMALL_ID_BLOCK);
  });

  it('500 concurrent creates in one process: ids 1..500, each once; one reservation per block of 7 (at most one more ahead)', async () => {
    log.length = 0;

    const ids = await createNotes(500);

    expect([...ids].sort((a, b) => Number(a) - Number(b))).toEqual(range(1, 500));
    const reservations = counterWrites(log);
    expect(reservations.every((c) => c.name === 'findAndModify' && (c.command.update as { $inc: { seq: number } }).$inc.seq === SMALL_ID_BLOCK)).toBe(true);
    const blocks = Math.ceil(500 / SMALL_ID_BLOCK);
    expect(reservations.length).toBeGreaterThanOrEqual(blocks);
    expect(reservations.length).toBeLessThanOrEqual(blocks + 1);
    // The counter stands at the end of the last block reserved: no reservation went missing.
    expect(await counterValue('notes')).toBe(reservations.length * SMALL_ID_BLOCK);
  });

  it('one after another, a fresh sequence counts 1, 2, 3, ... across block edges', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) ids.push(...(await createNotes(1)));

    expect(ids).toEqual(range(1, 16));
  });

  it('counters deleted (Counter.deleteMany, as a test reset does): the blocks held go too, and ids start at 1 again', async () => {
    await createNotes(3);

    await startAfresh();

    expect(await createNotes(1)).toEqual(['1']);
  });

  it('resetIdBlocks drops the block held: the next create reserves a new one (the rest of the old block is skipped)', async () => {
    await createNotes(2);

    resetIdBlocks();

    expect(await createNotes(1)).toEqual(['8']);
  });

  it('advanceSeq (the demo seed wrote ids up to 5) skips those ids in the block held, and moves the counter', async () => {
    expect(await createNotes(2)).toEqual(['1', '2']);

    await advanceSeq('notes', 5);

    expect(await createNotes(3)).toEqual(['6', '7', '8']);
  });

  it('advance while a reservation is in flight: the block that lands afterwards skips the seeded ids too, and one passed entirely is skipped whole', async () => {
    // The real counter, with each reservation held until the test lets it through.
    const held: Array<() => void> = [];
    const gated = { ...counterStore, increment: (name: string, by: number) => new Promise<void>((go) => held.push(go)).then(() => counterStore.increment(name, by)) };
    /** Lets the next reservation through once it has been asked for. */
    const letThrough = async () => {
      while (held.length === 0) await new Promise((r) => setImmediate(r));
      held.shift()?.();
    };
    const blocks = new IdBlocks(gated, 10);
    const first = blocks.next('notes'); // waits for its reservation: (0, 10]
    blocks.advance('notes', 4); // meanwhile the seed wrote ids 1..4
    await letThrough();
    expect(await first).toBe(5);

    const other = new IdBlocks(gated, 10);
    const next = other.next('notes'); // its reservation: (10, 20]
    other.advance('notes', 25); // the seed wrote up to 25: (10, 20] is all taken
    await letThrough();
    await letThrough(); // the reservation it needs instead: (20, 30]
    expect(await next).toBe(26);
  });

  it('graceful give-back: the unissued tail of the block goes back when nobody reserved since; the next ids follow without a gap', async () => {
    expect(await createNotes(3)).toEqual(['1', '2', '3']);
    log.length = 0;

    await releaseIdBlocks();

    expect(counterWrites(log).map((c) => [c.name, c.command.updates])).toEqual([['update', [expect.objectContaining({ q: { _id: 'notes', seq: 7 }, u: { $set: { seq: 3 } } })]]]);
    expect(await counterValue('notes')).toBe(3);
    expect(await createNotes(2)).toEqual(['4', '5']);
  });

  it('no give-back when another process reserved after this one: its block stays its own', async () => {
    expect(await createNotes(2)).toEqual(['1', '2']);
    // Another process's reservation: the same command it would send.
    await counterStore.increment('notes', SMALL_ID_BLOCK);

    await releaseIdBlocks();

    expect(await counterValue('notes')).toBe(14);
    expect(await createNotes(1)).toEqual(['15']);
  });
});

describe('IdBlocks on the real counter', () => {
  const fresh = () => `test-${Math.random().toString(36).slice(2)}`;

  it('concurrent takes while a reservation is in flight wait for that one reservation (no stampede)', async () => {
    const blocks = new IdBlocks(counterStore, 50);
    const name = fresh();
    log.length = 0;

    const ids = await Promise.all(Array.from({ length: 120 }, () => blocks.next(name)));

    expect(new Set(ids).size).toBe(120);
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(counterWrites(log).length).toBe(3); // 150 ids for 120: three blocks, the third prefetched or waited for
  });

  /** Waits (at most 5 s) until the counter stands at `value`: the prefetch started in the background has landed. */
  async function counterReaches(name: string, value: number): Promise<void> {
    for (let waited = 0; (await counterValue(name)) !== value; waited += 10) {
      if (waited > 5000) throw new Error(`counter ${name} never reached ${value}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('release gives back a prefetched block with the rest of the current one; ids taken (their inserts perhaps still in flight) stay issued', async () => {
    const name = fresh();
    const blocks = new IdBlocks(counterStore, 4);
    expect([await blocks.next(name), await blocks.next(name), await blocks.next(name)]).toEqual([1, 2, 3]);
    await counterReaches(name, 8); // one id left of four: the next block was reserved ahead

    expect(await blocks.release()).toEqual({ [name]: 5 });

    expect(await counterValue(name)).toBe(3);
    expect(await new IdBlocks(counterStore, 4).next(name)).toBe(4); // the process started again
  });

  it("release gives back only the prefetched block when another process's block lies between it and the current one", async () => {
    const name = fresh();
    const blocks = new IdBlocks(counterStore, 4);
    expect(await blocks.next(name)).toBe(1);
    await counterStore.increment(name, 4); // another process takes 5..8
    expect([await blocks.next(name), await blocks.next(name)]).toEqual([2, 3]);
    await counterReaches(name, 12); // this process's next block, 9..12, reserved ahead

    expect(await blocks.release()).toEqual({ [name]: 4 });

    expect(await counterValue(name)).toBe(8);
    expect(await new IdBlocks(counterStore, 4).next(name)).toBe(9);
  });

  it('a reset while a reservation is in flight: that block is skipped, the waiting take gets an id from the next one', async () => {
    const name = fresh();
    const blocks = new IdBlocks(counterStore, 5);

    const taking = blocks.next(name); // its reservation is on its way
    blocks.reset();

    expect(await taking).toBe(6);
    expect(await counterValue(name)).toBe(10);
  });

  it('refuses a block size outside 1..1,000,000', () => {
    expect(() => new IdBlocks(counterStore, 0)).toThrow(RangeError);
    expect(() => new IdBlocks(counterStore, 1_000_001)).toThrow(RangeError);
    expect(() => new IdBlocks(counterStore, 2.5)).toThrow(RangeError);
  });
});
