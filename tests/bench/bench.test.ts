/**
 * The benchmark harness's own logic: argument parsing, percentiles, the baseline apps, the
 * load measurement's status accounting, the profile summary, the report tables, issue 11's
 * targets, the growth sizes, the peer (express-restify-mongoose over a real embedded server),
 * the heap of every isolate, and the TN_WORKERS process handling (a real node:cluster script).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import http, { type Server } from 'node:http';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createBaselineApp } from '../../bench/baselineServer';
import { ScriptServer, childPids, freePort } from '../../bench/children';
import { fasterReference, growthDataset, growthPaths, p50Ratio, settle } from '../../bench/growth';
import { heapAfterGc } from '../../bench/heap';
import { measure, percentile, type LoadResult } from '../../bench/load';
import { captureStart, captureStop, connectPeer, createPeerApp, indexPeerReads } from '../../bench/peerServer';
import { renderMarkdown, renderText, type BenchReport, type GrowthPoint, type ScenarioResult } from '../../bench/report';
import { DATASET, datasetFor, parseArgs } from '../../bench/run';
import { PEER_SCENARIOS, noteIdsOf, peerListPath, type ScenarioContext } from '../../bench/scenarios';
import { noteText } from '../../bench/seedData';
import { workersUnsupported } from '../../bench/servers';
import { planOf } from '../../bench/plan';
import { packageOf, summarize, type CpuProfile } from '../../bench/summarizeProfile';
import { evaluateTargets, type TargetRow } from '../../bench/targets';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded-mongo';
import { makeTempDir, removeDir } from '../helpers/tmp';

const SECRET = 'a-benchmark-secret-of-at-least-32-characters';

describe('bench arguments', () => {
  it('defaults to the full run: 10 s per scenario, 2 s warm-up, growth to 1M, disk mode, peer, TN_WORKERS=2, 50-connection writes', () => {
    const args = parseArgs([]);
    expect(args).toMatchObject({ quick: false, durationSec: 10, warmupSec: 2, connections: 10, growth: true, disk: true });
    expect(args).toMatchObject({ peer: true, workers: 2, writeConnections: 50 });
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
    expect(parseArgs(['--no-peer', '--workers', '3', '--write-connections=20'])).toMatchObject({ peer: false, workers: 3, writeConnections: 20 });
    expect(parseArgs(['--no-workers']).workers).toBe(0);
    expect(parseArgs(['--workers', '0']).workers).toBe(0);
  });

  it('--quick shortens every run, the growth sizes and the data set; explicit options still win', () => {
    expect(parseArgs(['--quick'])).toMatchObject({ durationSec: 1, warmupSec: 0.3, growthSizes: [1_000, 10_000] });
    expect(datasetFor(parseArgs(['--quick']))).toEqual([
      { users: 1, notesPerUser: 1000 },
      { users: 100, notesPerUser: 100 },
    ]);
    expect(datasetFor(parseArgs([]))).toEqual(DATASET);
    expect(DATASET).toEqual([
      { users: 1, notesPerUser: 1000 },
      { users: 1000, notesPerUser: 100 },
    ]);
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
      [['--workers=-1'], /^--workers must be 0 \(leave the row out\) or an integer from 2 to 64, got -1$/],
      [['--workers', '1.5'], /^--workers must be 0 .* got 1.5$/],
      [['--workers', '1'], /^--workers must be 0 .* got 1$/],
      [['--workers', '65'], /^--workers must be 0 .* got 65$/],
      [['--workers', '2', '--no-workers'], /^--workers and --no-workers exclude each other$/],
      [['--write-connections', '0'], /^--write-connections must be a positive number, got 0$/],
      [['--no-peer=1'], /^--no-peer takes no value$/],
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

/** A LoadResult with `rps` req/s and p50 `p50` ms, every answer the expected one. */
function load(rps: number, p50 = 1, extra: Partial<LoadResult> = {}): LoadResult {
  return {
    requests: Math.round(rps),
    durationSec: 1,
    rps,
    latencyMs: { p50, p97_5: p50 * 2, p99: p50 * 3, mean: p50, max: p50 * 4 },
    statusCounts: { '200': Math.round(rps) },
    unexpectedStatus: 0,
    errors: 0,
    unexpected: 0,
    bytesPerResponse: 500,
    loadAvg1m: 2,
    ...extra,
  };
}

function scenario(mode: ScenarioResult['mode'], key: string, rps: number, baselineRps: number, extra: Partial<LoadResult> = {}): ScenarioResult {
  return {
    mode,
    key,
    name: key === 'note' ? 'GET /notes/{id}' : key === 'list' ? 'GET /notes?limit=10' : key,
    method: 'GET',
    path: '/x',
    expectedStatus: 200,
    baseline: 'jwt',
    result: load(rps, 1, extra),
    baselineRps,
    ratio: Math.round((rps / baselineRps) * 1000) / 1000,
    addedUsPerRequest: Math.round(1e6 / rps - 1e6 / baselineRps),
  };
}

function growthPoint(bigUserNotes: number, p50s: { ref: number; page1: number; middle: number; deep: number }, bytesPerNote: number): GrowthPoint {
  const row = (key: 'page1' | 'pageMiddle' | 'deepSort', p50: number) => ({ key, name: key, path: `/notes?${key}`, result: load(100, p50), p50VsReference: p50Ratio(load(100, p50), load(100, p50s.ref)) });
  return {
    bigUserNotes,
    otherUsers: 1000,
    notesPerOtherUser: 100,
    totalNotes: bigUserNotes + 100_000,
    users: 1001,
    reference: { key: 'reference', name: '100-note user, page 1', path: '/notes?limit=10', result: load(100, p50s.ref) },
    rows: [row('page1', p50s.page1), row('pageMiddle', p50s.middle), row('deepSort', p50s.deep)],
    heap: { totalMiB: 1000, mainMiB: 100, workersMiB: [900], emptyMiB: 30, bytesPerNote, addedBytesPerNote: bytesPerNote - 10 },
    rssBytesPerNote: bytesPerNote + 300,
  };
}

/** A run with every section: targets met and missed side by side. */
function fullReport(): BenchReport {
  return {
    date: '2026-01-01T00:00:00.000Z',
    command: 'npm run bench',
    machine: { cores: 2, cpuModel: 'CPU', memoryGiB: 8, node: 'v20.0.0', platform: 'linux', arch: 'x64' },
    config: { quick: false, connections: 10, durationSec: 10, warmupSec: 2, nodeEnv: 'production', dataset: [], modes: ['memory', 'disk'], growthSizes: [1_000_000], gitCommit: null, notes: [] },
    seeding: {},
    baselines: [],
    scenarios: [
      scenario('memory', 'note', 1200, 2000), // 0.60 ≥ 0.50
      scenario('memory', 'note304', 800, 2000), // 0.40 < 0.50
      scenario('memory', 'list', 700, 2000), // 0.35 ≥ 0.30
      scenario('memory', 'listPage50', 700, 2000, { unexpected: 3, unexpectedStatus: 3 }), // ratio met, but 3 bad answers
      scenario('memory', 'create', 600, 2000), // 0.30 ≥ 0.30
      scenario('memory', 'patch', 600, 2000), // 0.30 < 0.35
      scenario('workers', 'note', 1800, 2000),
      scenario('workers', 'list', 1400, 2000),
    ],
    apiMemory: {},
    peer: {
      name: 'express-restify-mongoose',
      versions: { 'express-restify-mongoose': '9.0.13', mongoose: '8.24.10', express: '5.3.0' },
      results: [
        { key: 'list', name: 'GET /api/v1/Note?…', method: 'GET', path: '/api/v1/Note', result: load(500), apiRps: 700, ratio: 1.4, plan: { stage: 'IXSCAN', indexName: 'owner_1_updatedAt_1_seq_1', docsExamined: 10 } },
        { key: 'note', name: 'GET /api/v1/Note/{id}', method: 'GET', path: '/api/v1/Note/5', result: load(100), apiRps: 1200, ratio: 12, plan: { stage: 'COLLSCAN', indexName: null, docsExamined: 101_000 } },
      ],
    },
    workers: { count: 2, available: true, processes: 2 },
    writeBurst: { connections: 50, memory: load(1000), disk: load(850), ratio: 0.85 },
    growth: [growthPoint(10_000, { ref: 1, page1: 1, middle: 1, deep: 1 }, 900), growthPoint(1_000_000, { ref: 2, page1: 2.2, middle: 2.9, deep: 3.1 }, 1100)],
    durationSec: 60,
  };
}

function target(rows: TargetRow[], pattern: RegExp): TargetRow {
  const row = rows.find((r) => pattern.test(r.target));
  if (!row) throw new Error(`no target matching ${pattern}`);
  return row;
}

describe("issue 11's targets", () => {
  it('judges each ratio against its goal and fails a run with unexpected answers whatever its ratio', () => {
    const rows = evaluateTargets(fullReport());
    expect(target(rows, /^`GET \/notes\/\{id\}` ÷ Express/)).toMatchObject({ measured: '0.60', status: 'pass', goal: '≥ 0.50' });
    expect(target(rows, /→ 304/)).toMatchObject({ measured: '0.40', status: 'fail' });
    expect(target(rows, /\(page 1\) ÷ Express/)).toMatchObject({ measured: '0.35', status: 'pass' });
    expect(target(rows, /page=50` ÷/)).toMatchObject({ measured: '0.35', status: 'fail', note: '3 unexpected responses' });
    expect(target(rows, /`POST \/notes` \(memory\)/)).toMatchObject({ measured: '0.30', status: 'pass' });
    expect(target(rows, /PATCH/)).toMatchObject({ measured: '0.30', status: 'fail', goal: '≥ 0.35' });
    expect(target(rows, /journal on disk, 50 connections/)).toMatchObject({ measured: '0.85', status: 'pass', goal: '≥ 0.80' });
  });

  it('judges growth at the largest size: within 1.5× of the reference passes, beyond fails; heap per note against 1 KB', () => {
    const rows = evaluateTargets(fullReport());
    expect(target(rows, /user, page 1:/)).toMatchObject({ status: 'pass', measured: expect.stringMatching(/^1\.10× \(page1: p50 2\.20 vs 2\.00 ms\)$/) });
    expect(target(rows, /page 50,000/)).toMatchObject({ status: 'pass', measured: expect.stringMatching(/^1\.45×/) });
    expect(target(rows, /order=desc/)).toMatchObject({ status: 'fail', measured: expect.stringMatching(/^1\.55×/) });
    expect(target(rows, /Heap per note/)).toMatchObject({ status: 'fail', measured: '1,100 B (1,000 MiB ÷ 1,100,000 notes; RSS 1,400 B per note)' });
  });

  it('says n/a, with the size measured, when the growth stopped below 1M notes (a --quick run)', () => {
    const report = fullReport();
    report.growth = [report.growth[0]];
    const rows = evaluateTargets(report);
    for (const pattern of [/user, page 1:/, /page 50,000/, /order=desc/, /Heap per note/]) {
      expect(target(rows, pattern)).toMatchObject({ status: 'n/a', note: expect.stringContaining('10,000-note user') });
    }
    expect(target(rows, /Heap per note/).measured).toMatch(/^900 B/);
  });

  it('fails a growth row without any timed answer instead of reading its p50 of 0 as fast', () => {
    const report = fullReport();
    const point = report.growth[1];
    point.rows[0] = { ...point.rows[0], result: load(0, 0, { requests: 0, errors: 10, unexpected: 10 }), p50VsReference: p50Ratio(load(0, 0, { requests: 0 }), point.reference?.result) };
    expect(point.rows[0].p50VsReference).toBeNull();
    expect(target(evaluateTargets(report), /user, page 1:/)).toMatchObject({ status: 'fail', note: 'no answer within the run' });
  });

  it('reports TN_WORKERS as measured, or as not available with the reason, never with numbers it did not take', () => {
    expect(target(evaluateTargets(fullReport()), /TN_WORKERS=2/)).toMatchObject({ status: 'pass', measured: '1.50–2.00× one process (2 scenarios)' });
    const missing = fullReport();
    missing.workers = { count: 2, available: false, reason: 'this build has no TN_WORKERS' };
    missing.scenarios = missing.scenarios.filter((s) => s.mode !== 'workers');
    expect(target(evaluateTargets(missing), /TN_WORKERS=2/)).toMatchObject({ status: 'n/a', measured: 'not available', note: 'this build has no TN_WORKERS' });
  });

  it("compares with the peer, and refuses to claim a win over a peer whose query our database runs as a collection scan", () => {
    const rows = evaluateTargets(fullReport());
    expect(target(rows, /the peer's list/)).toMatchObject({ measured: '1.40', status: 'pass', goal: '≥ 1.30' });
    expect(target(rows, /the peer's by-id/)).toMatchObject({ measured: '12.00', status: 'n/a', note: expect.stringContaining('collection scan of 101,000 documents') });
    const noPeer = fullReport();
    noPeer.peer = null;
    expect(target(evaluateTargets(noPeer), /the peer's list/)).toMatchObject({ status: 'n/a' });
  });
});

describe('report sections of issue 11', () => {
  it('renders TN_WORKERS next to one process, the peer, the write burst, growth and the Done-when table', () => {
    const md = renderMarkdown(fullReport());
    expect(md).toContain('| GET /notes/{id} | 1,200 | 0.60 | 1,800 | 0.90 | 1.50 | 1.00 | 0 |');
    expect(md).toMatch(/\| GET \/notes\/\{id\} \| 1,200 \| GET \/api\/v1\/Note\/\{id\} \| 100 \| .* \| 12\.00 \| 0\.60 \| COLLSCAN, 101,000 examined \|/);
    expect(md).toContain('| 50 | 1,000 | 1.00 | 3.00 | 0 | 850 | 1.00 | 3.00 | 0 | 0.85 |');
    expect(md).toMatch(/\| 1,000,000 \| 1,100,000 \| big user: deepSort \| 100 \| 3\.10 \| 9\.30 \| 0 \| 1\.55 \|/);
    expect(md).toMatch(/\| 1,000,000 \| 1,100,000 \| 1,001 \| .* \| 1000\.0 \(workers 900\.0\) \| 1,100 \| 1,090 \| 1,400 \|/);
    expect(md).toContain('Issue 11, "Done when":');
    expect(md).toMatch(/\| `PATCH \/notes\/\{id\}` \(memory\) ÷ Express\+JWT \| ≥ 0\.35 \| 0\.30 \| fail \|/);
    // Workers rows have their own table, not the scenario table's.
    expect(md).not.toMatch(/\| workers \|/);
  });

  it('says "not available" for TN_WORKERS and "not measured" for a peer that did not start', () => {
    const report = fullReport();
    report.workers = { count: 2, available: false, reason: 'this build has no TN_WORKERS (src/config.ts does not read it)' };
    report.scenarios = report.scenarios.filter((s) => s.mode !== 'workers');
    report.peer = { name: 'express-restify-mongoose', versions: {}, results: [], skipped: '[peer-erm] exited with code 1 during start-up' };
    const text = renderText(report);
    expect(text).toContain('not available: this build has no TN_WORKERS (src/config.ts does not read it)');
    expect(text).toContain('not measured: [peer-erm] exited with code 1 during start-up');
  });

  it('renders a growth-only run: no scenario table, growth and the targets', () => {
    const report = fullReport();
    report.scenarios = [];
    report.peer = null;
    report.workers = null;
    report.writeBurst = null;
    const md = renderMarkdown(report);
    expect(md).not.toContain('Baselines (bare Express');
    expect(md).toContain("Growth: one user holding many notes");
    expect(md).toMatch(/\| `GET \/notes\/\{id\}` ÷ Express\+JWT \| ≥ 0\.50 \| – \| n\/a \| no scenarios in this run \|/);
  });
});

describe('growth sizes', () => {
  it('puts one big user next to 100-note users holding a tenth of its notes, at most 1,000 of them', () => {
    expect(growthDataset(1_000_000)).toEqual([
      { users: 1, notesPerUser: 1_000_000 },
      { users: 1000, notesPerUser: 100 },
    ]);
    expect(growthDataset(10_000)).toEqual([
      { users: 1, notesPerUser: 10_000 },
      { users: 10, notesPerUser: 100 },
    ]);
    expect(growthDataset(500)[1]).toEqual({ users: 1, notesPerUser: 100 });
    expect(growthDataset(5_000_000)[1].users).toBe(1000);
  });

  it("asks for page 50,000 and the deep sort's page 25,000 of a 1M-note user, scaled for smaller ones", () => {
    expect(growthPaths(1_000_000).map((p) => p.path)).toEqual([
      '/notes?limit=10',
      '/notes?limit=10&page=50000',
      '/notes?limit=10&sort=createdAt&order=desc&page=25000',
    ]);
    expect(growthPaths(1_000_000)[1].name).toBe('page 50,000');
    expect(growthPaths(10_000).map((p) => p.path)).toEqual(['/notes?limit=10', '/notes?limit=10&page=500', '/notes?limit=10&sort=createdAt&order=desc&page=250']);
    expect(growthPaths(5).map((p) => p.path)).toEqual(['/notes?limit=10', '/notes?limit=10&page=1', '/notes?limit=10&sort=createdAt&order=desc&page=1']);
  });

  it('compares with the faster of the two reference runs, never with one that timed nothing', () => {
    const ref = (p50: number, extra: Partial<LoadResult> = {}) => ({ key: 'reference' as const, name: 'r', path: '/notes?limit=10', result: load(100, p50, extra) });
    const [cold, warm] = [ref(3), ref(2)];
    expect(fasterReference(cold, warm)).toBe(warm);
    expect(fasterReference(warm, cold)).toBe(warm);
    const empty = ref(0, { requests: 0 });
    expect(fasterReference(empty, cold)).toBe(cold);
    expect(fasterReference(cold, { ...warm, error: 'timed out' })).toBe(cold);
  });

  it('divides p50s only when both runs timed answers', () => {
    expect(p50Ratio(load(10, 3), load(10, 2))).toBe(1.5);
    expect(p50Ratio(load(0, 0, { requests: 0 }), load(10, 2))).toBeNull();
    expect(p50Ratio(load(10, 3), load(0, 0, { requests: 0 }))).toBeNull();
    expect(p50Ratio(undefined, load(10, 2))).toBeNull();
  });
});

describe('TN_WORKERS availability', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeTempDir('tn-bench-workers-');
  });
  afterAll(() => removeDir(dir));

  it('is decided by whether the built config reads TN_WORKERS', () => {
    const yes = path.join(dir, 'config-yes.js');
    const no = path.join(dir, 'config-no.js');
    fs.writeFileSync(yes, 'const schema = { TN_WORKERS: 1 };');
    fs.writeFileSync(no, 'const schema = { PORT: 1 };');
    expect(workersUnsupported(yes)).toBeNull();
    expect(workersUnsupported(no)).toMatch(/no TN_WORKERS/);
    expect(workersUnsupported(path.join(dir, 'missing.js'))).toMatch(/is missing/);
  });
});

const haveProc = fs.existsSync('/proc/self/stat');
if (!haveProc) console.warn('bench: /proc is not available here, the process-tree tests are skipped');
const describeProc = haveProc ? describe : describe.skip;

describeProc('script servers (the TN_WORKERS runs: a node:cluster primary and its workers)', () => {
  let dir: string;
  let script: string;
  beforeAll(() => {
    dir = makeTempDir('tn-bench-cluster-');
    script = path.join(dir, 'cluster.js');
    // A primary forking two workers that share PORT, like `TN_WORKERS=2 npm start`; the
    // workers answer GET / with their pid.
    fs.writeFileSync(
      script,
      `const cluster = require('node:cluster');
       const http = require('node:http');
       if (cluster.isPrimary) {
         for (let i = 0; i < 2; i++) cluster.fork();
         process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers)) w.kill('SIGTERM'); setTimeout(() => process.exit(0), 100); });
       } else {
         http.createServer((req, res) => res.end(String(process.pid))).listen(Number(process.env.PORT), '127.0.0.1');
       }`,
    );
  });
  afterAll(() => removeDir(dir));

  it('finds a process’s children through /proc', async () => {
    const parent = spawn(process.execPath, ['-e', "require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)'], { stdio: 'ignore' }); setTimeout(() => {}, 20000)"], { stdio: 'ignore' });
    try {
      let children: number[] = [];
      for (let i = 0; i < 100 && children.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        children = childPids(parent.pid ?? 0);
      }
      expect(children).toHaveLength(1);
      expect(childPids(children[0])).toEqual([]);
      process.kill(children[0], 'SIGKILL');
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('is ready once GET / answers, counts the workers, and leaves none running after stop()', async () => {
    const server = await ScriptServer.start({ label: 'cluster-test', script, env: {}, port: await freePort(), readyTimeoutMs: 20_000 });
    let workers: number[] = [];
    try {
      for (let i = 0; i < 100 && workers.length < 2; i++) {
        workers = server.workerPids();
        if (workers.length < 2) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(workers).toHaveLength(2);
      const answered = new Set<string>();
      for (let i = 0; i < 20; i++) answered.add(await (await fetch(`${server.url}/`)).text());
      expect([...answered].every((pid) => workers.includes(Number(pid)))).toBe(true);
    } finally {
      await server.stop(5000);
    }
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(workers.filter(alive)).toEqual([]);
  }, 30_000);

  it('reports a script that exits during start-up with its last lines', async () => {
    const failing = path.join(dir, 'fails.js');
    fs.writeFileSync(failing, "console.error('Invalid configuration: TN_WORKERS must be 1-64'); process.exit(1);");
    await expect(ScriptServer.start({ label: 'fails', script: failing, env: {}, port: await freePort(), readyTimeoutMs: 10_000 })).rejects.toThrow(
      /exited with code 1 during start-up: Invalid configuration: TN_WORKERS must be 1-64/,
    );
  });
});

describe('heap of every isolate', () => {
  it('counts what a worker thread holds, after a GC, next to the main thread', async () => {
    const worker = new Worker(
      "globalThis.kept = Array.from({ length: 200000 }, (_, i) => ({ i, s: 'note ' + i })); require('node:worker_threads').parentPort.postMessage('ready'); setInterval(() => {}, 1000);",
      { eval: true },
    );
    try {
      await new Promise((resolve) => worker.once('message', resolve));
      const heap = await heapAfterGc();
      expect(heap.workerBytes.length).toBeGreaterThanOrEqual(1);
      // 200,000 small objects and strings: well over 5 MB, in the worker's isolate only.
      expect(Math.max(...heap.workerBytes)).toBeGreaterThan(5 * 1024 * 1024);
      expect(heap.totalBytes).toBe(heap.mainBytes + heap.workerBytes.reduce((a, b) => a + b, 0));
    } finally {
      await worker.terminate();
    }
  }, 30_000);
});

describe('the peer (express-restify-mongoose over the embedded server)', () => {
  let server: EmbeddedServer;
  let conn: Awaited<ReturnType<typeof connectPeer>>;
  let app: ReturnType<typeof createPeerApp>;
  const ctx: ScenarioContext = { token: 'unused', userId: '7', noteId: '12', etag: '"x"', patchNoteId: '13' };

  beforeAll(async () => {
    server = await startEmbeddedServer({ listen: 'socket', dataDir: ':memory:' });
    conn = await connectPeer(server.uri, 'bench-peer-test');
    const notes = conn.db?.collection('notes');
    if (!notes) throw new Error('not connected');
    await indexPeerReads(conn); // the peer's own by-id index: the API's indexes all start with the owner (issue 17)
    await notes.createIndex({ owner: 1, updatedAt: 1, seq: 1 });
    // 600 notes of owner 7 (updatedAt in reverse of seq, so the order is the index's, not insertion's) and 600 of others.
    const docs = Array.from({ length: 1200 }, (_, i) => ({ id: String(i + 1), seq: i + 1, owner: i % 2 === 0 ? '7' : '8', text: `n${i + 1}`, createdAt: i, updatedAt: 10_000 - i }));
    await notes.insertMany(docs);
    app = createPeerApp(conn);
  });

  afterAll(async () => {
    await conn.close();
    await server.close();
  });

  it('serves one note by its id, without auth', async () => {
    const res = await request(app).get(PEER_SCENARIOS.find((p) => p.key === 'note')!.request(ctx).path);
    expect(res.status).toBe(200);
    expect(noteIdsOf(res.body)).toEqual(['12']);
    expect((await request(app).get('/api/v1/Note/99999')).status).toBe(404);
  });

  it("serves one owner's page 1 and page 50 in the API's order (updatedAt, then seq)", async () => {
    const page1 = await request(app).get(peerListPath('7', 1));
    expect(page1.status).toBe(200);
    // Owner 7 holds the odd ids; the largest updatedAt is the smallest id, so ascending updatedAt starts at the end.
    expect(noteIdsOf(page1.body)).toEqual(['1199', '1197', '1195', '1193', '1191', '1189', '1187', '1185', '1183', '1181']);
    const page50 = await request(app).get(peerListPath('7', 50));
    expect(noteIdsOf(page50.body)).toEqual(['219', '217', '215', '213', '211', '209', '207', '205', '203', '201']);
  });

  it("reads the database's plan for a query (the peer table's last column)", async () => {
    const notes = conn.db?.collection('notes');
    const plan = planOf((await notes?.find({ id: '12' }).limit(1).explain()) as Parameters<typeof planOf>[0]);
    expect(plan).toMatchObject({ stage: 'IXSCAN', indexName: 'peer_id_1' });
    expect(plan.stages[plan.stages.length - 1]).toBe('IXSCAN');
  });

  it('records the queries erm sends, for the query plan in the report', async () => {
    captureStart();
    await request(app).get('/api/v1/Note/12');
    const queries = captureStop();
    expect(queries).toEqual([expect.objectContaining({ collection: 'notes', method: 'findOne', filter: { $and: [{ id: '12' }] } })]);
    // Stopped: nothing more is recorded.
    await request(app).get('/api/v1/Note/12');
    expect(captureStop()).toEqual([]);
  });
});

describe('query plans', () => {
  it('walks the winning plan down to its scan, keeping the index and the documents examined', () => {
    const nested = {
      queryPlanner: { winningPlan: { stage: 'LIMIT', inputStage: { stage: 'FETCH', inputStage: { stage: 'IXSCAN', indexName: 'owner_1_updatedAt_1_seq_1' } } } },
      executionStats: { totalDocsExamined: 10 },
    };
    expect(planOf(nested)).toEqual({ stage: 'IXSCAN', stages: ['LIMIT', 'FETCH', 'IXSCAN'], indexName: 'owner_1_updatedAt_1_seq_1', docsExamined: 10 });
    expect(planOf({ queryPlanner: { winningPlan: { stage: 'COLLSCAN' } } })).toEqual({ stage: 'COLLSCAN', stages: ['COLLSCAN'], indexName: null, docsExamined: null });
    expect(planOf({}).stage).toBe('unknown');
  });
});

describe('note ids in answers', () => {
  it('reads the API list, the peer list and a single note', () => {
    expect(noteIdsOf({ notes: [{ id: '1' }, { id: '2' }] })).toEqual(['1', '2']);
    expect(noteIdsOf([{ id: '3' }])).toEqual(['3']);
    expect(noteIdsOf({ id: '4', text: 'x' })).toEqual(['4']);
    expect(noteIdsOf(null)).toEqual([]);
  });
});

describe('settling after a growth row that timed out', () => {
  let server: Server;
  let url: string;
  let slowAnswers = 0;
  beforeAll(async () => {
    // Answers the first `slowAnswers` requests after 300 ms (the backlog), then at once.
    server = http.createServer((req, res) => {
      if (slowAnswers > 0) {
        slowAnswers--;
        setTimeout(() => res.end('late'), 300);
      } else res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const probe = { method: 'GET' as const, path: '/notes?limit=10', headers: { authorization: 'Bearer x' }, expectedStatus: 200 };

  it('waits until the probe is answered within the threshold again', async () => {
    slowAnswers = 3;
    const lines: string[] = [];
    expect(await settle(url, probe, 100, (l) => lines.push(l), 10_000)).toBe(true);
    expect(slowAnswers).toBe(0);
    expect(lines.join('')).toMatch(/idle again/);
  });

  it('gives up after its bound when the server stays slow', async () => {
    slowAnswers = 1000;
    expect(await settle(url, probe, 100, () => undefined, 1000)).toBe(false);
    slowAnswers = 0;
  });
});
