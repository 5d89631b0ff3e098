/**
 * Counter writes per 1,000 creates (issue 17's before/after number), seen by the driver's command
 * monitoring: 1,000 POST /notes through the real app, 50 at a time, and every findAndModify or
 * update the driver sends to `counters` meanwhile. With blocks of TN_ID_BLOCK (B, default 100)
 * that is ceil(1000 / B), plus at most the one block reserved ahead; one per create before.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { app } from '../../src/app';
import { config } from '../../src/config';
import { counterWrites, useMonitoredDb } from '../helpers/commandLog';
import { newUser } from './helpers';

const CREATES = 1000;
const AT_ONCE = 50;
/** The block size under test (the measurement of the code before blocks sets this to 1). */
const BLOCK = config.ids.block;

const log = useMonitoredDb();

it(`${CREATES} creates send ceil(${CREATES} / TN_ID_BLOCK) counter writes, plus at most one block reserved ahead`, async () => {
  const server = http.createServer(app).listen(0);
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const user = await newUser('Counted');
    log.length = 0;

    const ids = new Set<string>();
    for (let done = 0; done < CREATES; done += AT_ONCE) {
      const answers = await Promise.all(Array.from({ length: AT_ONCE }, (_, i) => request(base).post('/notes').set(user.auth).send({ text: `note ${done + i}` })));
      expect(answers.filter((res) => res.status !== 201).map((res) => res.status)).toEqual([]);
      for (const res of answers) ids.add(res.body.id as string);
    }

    const writes = counterWrites(log).length;
    console.log(`counter writes for ${CREATES} creates: ${writes} (TN_ID_BLOCK ${BLOCK})`);
    expect(ids.size).toBe(CREATES);
    expect(writes).toBeGreaterThanOrEqual(Math.ceil(CREATES / BLOCK));
    // At most one block reserved ahead (the prefetch), whatever TN_ID_BLOCK is.
    expect(writes).toBeLessThanOrEqual(Math.ceil(CREATES / BLOCK) + 1);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
