/**
 * Operations endpoints: /health and /ready in the IETF health-check format
 * (application/health+json), /metrics in Prometheus' text format for loopback clients (or a
 * configured address or bearer token) only. None is linked from `/` or needs a token.
 */
import request from 'supertest';
import { app, createApp } from '../../src/app';
import { HealthProbe } from '../../src/models/HealthProbe';
import { useTestDb } from '../helpers/db';
import { expectProblem, newNote, newUser } from './helpers';

useTestDb();

const HEALTH_JSON = /^application\/health\+json/;

describe('GET /health', () => {
  it('answers 200 application/health+json with status pass, without a token', async () => {
    const res = await request(app).get('/health');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(HEALTH_JSON);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = JSON.parse(res.text);
    expect(body).toMatchObject({ status: 'pass', serviceId: 'thunder-notes', version: expect.any(String), releaseId: expect.any(String) });
    expect(body.checks.uptime[0]).toMatchObject({ componentType: 'system', status: 'pass', observedUnit: 's' });
  });
});

describe('GET /ready', () => {
  it('answers 200 pass after pinging the database and writing the probe document', async () => {
    const before = new Date();

    const res = await request(app).get('/ready');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(HEALTH_JSON);
    const body = JSON.parse(res.text);
    expect(body.status).toBe('pass');
    for (const check of ['database:responseTime', 'database:write']) {
      expect(body.checks[check]).toEqual([
        { componentType: 'datastore', status: 'pass', observedValue: expect.any(Number), observedUnit: 'ms', time: expect.any(String) },
      ]);
    }
    const probe = await HealthProbe.findById('ready').lean();
    expect(probe?.at.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
  });

  it('shares one probe between concurrent requests', async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, () => request(app).get('/ready')));

    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
  });
});

describe('the operations endpoints', () => {
  it('are not linked from the entry point', async () => {
    const res = await request(app).get('/');

    expect(JSON.stringify(res.body)).not.toMatch(/\/health|\/ready|\/metrics/);
  });

  it('answer other methods with 405 and Allow', async () => {
    const res = await request(app).post('/health');

    expectProblem(res, 405);
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
  });
});

describe('GET /metrics', () => {
  it('answers a loopback client with the Prometheus text format and the named metrics', async () => {
    const user = await newUser('Metered');
    const note = await newNote(user, 'count me');
    await request(app).get(`/notes/${note.id}`).set(user.auth);

    const res = await request(app).get('/metrics');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    for (const name of [
      'tn_http_request_duration_seconds',
      'tn_db_command_duration_seconds',
      'tn_rate_limit_refusals_total',
      'tn_password_hash_active',
      'tn_password_hash_queue_depth',
      'tn_password_hash_rejections_total',
      'process_cpu_user_seconds_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    // The route pattern, never the raw path with its id.
    expect(text).toMatch(/tn_http_request_duration_seconds_count\{method="GET",route="\/notes\/:id",status="200"\} [1-9]/);
    expect(text).not.toContain(`/notes/${note.id}"`);
    expect(text).toMatch(/tn_db_command_duration_seconds_count\{command="find",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/tn_db_command_duration_seconds_count\{command="insert",outcome="ok"\} [1-9]/);
  });

  it('refuses a client that is not on loopback (through a trusted proxy) with 403', async () => {
    const res = await request(app).get('/metrics').set('X-Forwarded-For', '203.0.113.9');

    expectProblem(res, 403);
    expect(res.text).not.toContain('tn_http_request_duration_seconds');
  });

  it('answers the addresses and the bearer token it is configured with, and nobody else', async () => {
    const token = 'metrics-token-of-at-least-32-characters';
    const configured = createApp({ metrics: { allow: ['10.0.0.0/8'], token } });

    expect((await request(configured).get('/metrics').set('X-Forwarded-For', '10.1.2.3')).status).toBe(200);
    expect((await request(configured).get('/metrics').set('X-Forwarded-For', '203.0.113.9').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expectProblem(await request(configured).get('/metrics').set('X-Forwarded-For', '203.0.113.9').set('Authorization', 'Bearer wrong'), 403);
    // Loopback is no longer on the list: the proxy's own address does not open it either.
    expectProblem(await request(configured).get('/metrics'), 403);
  });
});
