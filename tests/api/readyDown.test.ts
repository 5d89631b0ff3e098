/**
 * GET /ready when the database cannot serve: a persistence that refuses writes (a failing disk
 * or a full one) fails the write probe while the ping still passes, and a closed connection
 * fails both at once, without waiting for mongoose's command buffer. /health stays 200 through
 * both: the process itself is fine.
 */
import mongoose from 'mongoose';
import request from 'supertest';
import { app } from '../../src/app';
import { REUSE_MS } from '../../src/controllers/healthController';
import { itEmbedded, useFailingDb } from '../helpers/failingPersistence';

const persistence = useFailingDb(__filename);

/** Waits out the readiness result's reuse period, so the next request probes again. */
const freshProbe = () => new Promise((r) => setTimeout(r, REUSE_MS + 50));

function checksOf(res: request.Response): Record<string, { status: string; output?: string }[]> {
  return JSON.parse(res.text).checks;
}

describe('GET /ready when the database cannot serve', () => {
  itEmbedded('is 503 fail with a failed write check when the storage refuses writes, and 200 again once it accepts them', async () => {
    expect((await request(app).get('/ready')).status).toBe(200);
    await freshProbe();

    persistence.failing = true;
    let res: request.Response;
    try {
      res = await request(app).get('/ready');
    } finally {
      persistence.failing = false;
    }

    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/health\+json/);
    expect(JSON.parse(res.text).status).toBe('fail');
    expect(checksOf(res)['database:responseTime'][0].status).toBe('pass');
    expect(checksOf(res)['database:write'][0]).toMatchObject({ status: 'fail', output: 'write failed' });
    expect(res.text).not.toMatch(/EIO/); // the reason goes to the log, not to whoever asks
    expect((await request(app).get('/health')).status).toBe(200);

    await freshProbe();
    expect((await request(app).get('/ready')).status).toBe(200);
  });

  it('is 503 fail at once after mongoose has disconnected, while /health stays 200', async () => {
    await mongoose.disconnect();

    const started = Date.now();
    const res = await request(app).get('/ready');

    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(5000); // not mongoose's 10 s command buffer
    const body = JSON.parse(res.text);
    expect(body.status).toBe('fail');
    expect(checksOf(res)['database:write'][0]).toMatchObject({ status: 'fail', output: 'not connected' });
    expect((await request(app).get('/health')).status).toBe(200);
  });
});
