/**
 * The benchmark harness's own logic: argument parsing, percentiles, the baseline apps, the
 * load measurement's status accounting, the profile summary and the report tables.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createBaselineApp } from '../../bench/baselineServer';
import { measure, percentile } from '../../bench/load';
import { renderMarkdown, renderText, type BenchReport } from '../../bench/report';
import { parseArgs } from '../../bench/run';
import { noteText } from '../../bench/seedData';
import { packageOf, summarize, type CpuProfile } from '../../bench/summarizeProfile';

const SECRET = 'a-benchmark-secret-of-at-least-32-characters';

describe('bench arguments', () => {
  it('defaults to the full run: 10 s per scenario, 2 s warm-up, growth to 1M, disk mode', () => {
    const args = parseArgs([]);
    expect(args).toMatchObject({ quick: false, durationSec: 10, warmupSec: 2, connections: 10, growth: true, disk: true });
    expect(args).toMatchObject({ growthOnly: false, out: null, profile: false, scenario: 'list', help: false, raw: [] });
    expect(args.growthSizes).toEqual([10_000, 100_000, 1_000_000]);
  });

  it('reads every option, in either --name value or --name=value form', () => {
    const argv = ['--warmup=0', '--connections', '4', '--growth-only', '--no-disk', '--out', 'x', '--profile', '--scenario', 'note304'];
    expect(parseArgs(argv)).toMatchObject({
      warmupSec: 0,
      connections: 4,
      growth: true,
      growthOnly: true,
      disk: false,
      out: 'x',
      profile: true,
      scenario: 'note304',
      raw: argv,
    });
    expect(parseArgs(['-h']).help).toBe(true);
    expect(parseArgs(['--help']).help).toBe(true);
  });

  it('--quick shortens every run and the growth sizes; explicit options still win', () => {
    expect(parseArgs(['--quick'])).toMatchObject({ durationSec: 1, warmupSec: 0.3, growthSizes: [1_000, 10_000] });
    expect(parseArgs(['--quick', '--duration', '3'])).toMatchObject({ quick: true, durationSec: 3 });
    expect(parseArgs(['--no-growth', '--growth-sizes', '1_000,2000'])).toMatchObject({ growth: false, growthSizes: [1000, 2000] });
  });

  it('rejects unknown options and bad numbers', () => {
    expect(() => parseArgs(['--fast'])).toThrow(/unknown option/);
    expect(() => parseArgs(['--duration', '0'])).toThrow(/positive/);
    expect(() => parseArgs(['--duration'])).toThrow(/needs a value/);
    expect(() => parseArgs(['--growth-only', '--no-growth'])).toThrow(/exclude/);
  });

  it('names the option in a one-line message for every refusal', () => {
    const refusals: Array<[string[], RegExp]> = [
      [['--fast'], /^unknown option --fast/],
      [['-x'], /^unknown option -x/],
      [['extra'], /^unexpected argument extra/],
      [['--duration', '--quick'], /^--duration needs a value$/],
      [['--out'], /^--out needs a value$/],
      [['--quick=yes'], /^--quick takes no value$/],
      [['--duration', 'soon'], /^--duration must be a positive number, got soon$/],
      [['--warmup=-1'], /^--warmup must be a number ≥ 0, got -1$/],
      [['--connections', '0'], /^--connections must be a positive number/],
      [['--growth-sizes', '1000,x'], /^--growth-sizes must be a positive number, got x$/],
      [['--profile', '--scenario', 'nope'], /^--scenario must be one of root, list, .*, got nope$/],
    ];
    for (const [argv, message] of refusals) {
      let error: Error | undefined;
      try {
        parseArgs(argv);
      } catch (err) {
        error = err as Error;
      }
      expect({ argv, message: error?.message }).toEqual({ argv, message: expect.stringMatching(message) });
      expect(error?.message).not.toContain('\n');
    }
  });
});

describe('percentile', () => {
  it('is the nearest rank of a sorted sample', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 97.5)).toBe(98);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(new Float64Array(0), 50)).toBe(0);
  });
});

describe('seeded note text', () => {
  it('is deterministic and 60–140 characters long', () => {
    expect(noteText(7)).toBe(noteText(7));
    for (const seq of [1, 80, 81, 1000, 999_999]) {
      expect(noteText(seq).length).toBeGreaterThanOrEqual(60);
      expect(noteText(seq).length).toBeLessThanOrEqual(140);
    }
  });
});

describe('baseline apps', () => {
  const routes = [
    { method: 'GET' as const, routePath: '/notes', url: '/notes?limit=10', status: 200, body: { notes: [1, 2, 3] } },
    { method: 'GET' as const, routePath: '/notes/:id', url: '/notes/5', status: 200, body: { id: '5' } },
    { method: 'GET' as const, routePath: '/notes/:id', url: '/notes/5', ifNoneMatch: '"abc"', status: 304, body: null },
    { method: 'PATCH' as const, routePath: '/notes/:id', url: '/notes/6', status: 204, body: null },
  ];

  it('bare: answers the registered status and body for the exact URL, without auth', async () => {
    const { app, registerRoutes } = createBaselineApp('bare', SECRET);
    registerRoutes(routes);
    const res = await request(app).get('/notes?limit=10');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ notes: [1, 2, 3] });
    expect((await request(app).get('/notes/5')).body).toEqual({ id: '5' });
    expect((await request(app).get('/notes/5').set('If-None-Match', '"abc"')).status).toBe(304);
    expect((await request(app).get('/notes?limit=11')).status).toBe(404);
  });

  it('jwt: verifies an HS256 Bearer token before answering, and only HS256', async () => {
    const { app, registerRoutes } = createBaselineApp('jwt', SECRET);
    registerRoutes(routes);
    const token = jwt.sign({ name: 'x' }, SECRET, { algorithm: 'HS256', subject: '1', expiresIn: 60 });
    expect((await request(app).get('/notes?limit=10')).status).toBe(401);
    expect((await request(app).get('/notes?limit=10').set('Authorization', 'Bearer nope')).status).toBe(401);
    const other = jwt.sign({ name: 'x' }, SECRET, { algorithm: 'HS512', subject: '1' });
    expect((await request(app).get('/notes?limit=10').set('Authorization', `Bearer ${other}`)).status).toBe(401);
    const ok = await request(app).get('/notes?limit=10').set('Authorization', `Bearer ${token}`);
    expect(ok.status).toBe(200);
    const patched = await request(app).patch('/notes/6').set('Authorization', `Bearer ${token}`).send({ text: 'x' });
    expect(patched.status).toBe(204);
    expect(patched.text).toBe('');
  });
});

describe('measure', () => {
  let server: Server;
  let baseUrl: string;

  beforeAll(async () => {
    const { app, registerRoutes } = createBaselineApp('bare', SECRET);
    registerRoutes([{ method: 'GET', routePath: '/', url: '/', status: 200, body: { hello: 'world' } }]);
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('counts requests, latency percentiles and every response that is not the expected status', async () => {
    const good = await measure(baseUrl, { method: 'GET', path: '/', expectedStatus: 200 }, { connections: 2, durationSec: 1, warmupSec: 0.1 });
    expect(good.requests).toBeGreaterThan(10);
    expect(good.unexpected).toBe(0);
    expect(good.rps).toBeGreaterThan(0);
    expect(good.latencyMs.p50).toBeGreaterThan(0);
    expect(good.latencyMs.p99).toBeGreaterThanOrEqual(good.latencyMs.p50);

    const bad = await measure(baseUrl, { method: 'GET', path: '/', expectedStatus: 201 }, { connections: 2, durationSec: 1, warmupSec: 0 });
    expect(bad.unexpected).toBe(bad.requests);
    expect(bad.statusCounts['200']).toBe(bad.requests);
  }, 20_000);
});

describe('profile summary', () => {
  const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0, columnNumber: 0 });
  const profile: CpuProfile = {
    startTime: 0,
    endTime: 10_000,
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 5, 6] },
      { id: 2, callFrame: frame('handle', 'file:///app/node_modules/express/lib/application.js'), children: [3] },
      { id: 3, callFrame: frame('find', 'file:///app/dist/src/embedded-mongo/catalog.js'), children: [4] },
      { id: 4, callFrame: frame('cloneDeep', 'file:///app/node_modules/mingo/cjs/util/_internal.js') },
      { id: 5, callFrame: frame('(idle)', '') },
      { id: 6, callFrame: frame('(garbage collector)', '') },
    ],
    // Each sample's interval is the next delta: 4 → 3000 µs, 3 → 1000, 2 → 1000, 5 → 4000, 6 → 1000.
    samples: [4, 3, 2, 5, 6],
    timeDeltas: [0, 3000, 1000, 1000, 4000, 1000],
  };

  it('attributes packages and project folders', () => {
    expect(packageOf(frame('x', 'file:///a/node_modules/@scope/pkg/index.js'))).toBe('@scope/pkg');
    expect(packageOf(frame('x', 'node:internal/streams/readable'))).toBe('node:streams');
    expect(packageOf(frame('x', '/w/dist/src/embedded-mongo/wire.js'))).toBe('app: src/embedded-mongo/');
    expect(packageOf(frame('x', '/w/dist/src/app.js'))).toBe('app: src/app.js');
    expect(packageOf(frame('(garbage collector)', ''))).toBe('(garbage collector)');
  });

  it('ranks self and inclusive time, leaves idle out, and divides by requests', () => {
    const s = summarize(profile, 10, 10);
    expect(s.totalMs).toBe(10);
    expect(s.busyMs).toBe(6);
    expect(s.topSelf[0]).toMatchObject({ name: 'cloneDeep', ms: 3, pct: 50, usPerRequest: 300 });
    expect(s.selfByPackage.map((r) => r.name)).toEqual(['mingo', 'app: src/embedded-mongo/', 'express', '(garbage collector)']);
    const incl = Object.fromEntries(s.inclusiveByPackage.map((r) => [r.name, r.ms]));
    expect(incl).toMatchObject({ express: 5, 'app: src/embedded-mongo/': 4, mingo: 3 });
    expect(s.inclusiveProjectFunctions).toEqual([expect.objectContaining({ name: 'find', ms: 4 })]);
  });
});

describe('report', () => {
  const result = {
    requests: 1000,
    durationSec: 1,
    rps: 1000,
    latencyMs: { p50: 1, p97_5: 2, p99: 3, mean: 1.2, max: 9 },
    statusCounts: { '200': 1000 },
    unexpectedStatus: 0,
    errors: 0,
    unexpected: 0,
    bytesPerResponse: 500,
    loadAvg1m: 2,
  };
  const report: BenchReport = {
    date: '2026-01-01T00:00:00.000Z',
    command: 'npm run bench',
    machine: { cores: 2, cpuModel: 'CPU', memoryGiB: 8, node: 'v20.0.0', platform: 'linux', arch: 'x64' },
    config: {
      quick: false,
      connections: 10,
      durationSec: 10,
      warmupSec: 2,
      nodeEnv: 'production',
      dataset: [{ users: 1, notesPerUser: 1000 }],
      modes: ['memory'],
      growthSizes: [],
      gitCommit: 'abc1234',
      notes: [],
    },
    seeding: {},
    baselines: [{ kind: 'bare', scenario: 'root', method: 'GET', path: '/', status: 200, result: { ...result, rps: 4000 } }],
    scenarios: [
      {
        mode: 'memory',
        key: 'root',
        name: 'GET /',
        method: 'GET',
        path: '/',
        expectedStatus: 200,
        baseline: 'bare',
        result,
        baselineRps: 4000,
        ratio: 0.25,
        addedUsPerRequest: 750,
      },
    ],
    apiMemory: {},
    growth: [],
    durationSec: 30,
  };

  it('prints the scenario row with its baseline and ratio, as text and as markdown', () => {
    const text = renderText(report);
    expect(text).toMatch(/GET \/\s+1,000\s+1\.00\s+2\.00\s+3\.00\s+0\s+Express\s+4,000\s+0\.25\s+750/);
    const md = renderMarkdown(report);
    expect(md).toContain('Command: `npm run bench`');
    expect(md).toContain('| memory | GET / | 1,000 | 1.00 | 2.00 | 3.00 | 0 | Express | 4,000 | 0.25 | 750 |');
  });
});
