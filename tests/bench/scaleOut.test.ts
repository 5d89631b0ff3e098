/**
 * Issue 17's bench additions, without starting the API: the SVG charts (well-formed XML whose
 * points follow the numbers given), CPU per request from /proc (the arithmetic, and a real
 * reading of this process against Node's own count), the scale-out options, the scale-out
 * table, and the database start-up of the scale-out phase with stand-in scripts. The real
 * phase (built API and `npm run db`) runs in scaleOutRun.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chartsOf, formatCount, niceStep, renderChart, writeCharts, type ChartSpec } from '../../bench/charts';
import type { LoadResult } from '../../bench/load';
import { clockTicksPerSecond, cpuMsPerRequest, cpuSecondsBetween, cpuTicks, requestsPerCore, ticksOfStat } from '../../bench/procCpu';
import { renderMarkdown, renderText, type BenchReport } from '../../bench/report';
import { parseArgs } from '../../bench/run';
import { cpuPerRequest, startDatabase, warmupFor, type ScaleOutReport } from '../../bench/scaleOut';
import { findAll, parseXml, type XmlElement } from '../helpers/xml';
import { makeTempDir, removeDir } from '../helpers/tmp';

const haveProc = fs.existsSync('/proc/self/stat');

function circles(svg: XmlElement, series: string): Array<{ cx: number; cy: number }> {
  const group = findAll(svg, 'g').find((g) => g.attrs['data-name'] === series);
  if (!group) throw new Error(`no series ${series}`);
  return findAll(group, 'circle').map((c) => ({ cx: Number(c.attrs.cx), cy: Number(c.attrs.cy) }));
}

function texts(svg: XmlElement, cls?: string): string[] {
  return findAll(svg, 'text')
    .filter((t) => cls === undefined || t.attrs.class === cls)
    .map((t) => t.text);
}

describe('the XML checker the chart tests rely on', () => {
  it('accepts a well-formed document and refuses broken ones', () => {
    const doc = parseXml('<?xml version="1.0"?>\n<svg a="1 &amp; 2"><g><text>x &lt; y</text></g><circle r="4"/></svg>\n');
    expect(doc.attrs.a).toBe('1 & 2');
    expect(findAll(doc, 'text')[0].text).toBe('x < y');
    for (const bad of ['<svg><g></svg>', '<svg a="1" a="2"/>', '<svg>a & b</svg>', '<svg a=1/>', '<svg/><svg/>', '<svg><text>a</txt></svg>', '<svg a="<"/>']) {
      expect(() => parseXml(bad)).toThrow(/not well-formed/);
    }
  });
});

describe('charts', () => {
  const spec: ChartSpec = {
    title: 'Throughput <&> test',
    run: 'Thunder Notes bench, 2026-01-01 00:00 UTC, commit abc1234',
    subtitle: 'a subtitle',
    xLabel: 'API processes (TN_WORKERS)',
    yLabel: 'throughput (requests/s)',
    xScale: 'linear',
    series: [
      { name: 'GET /notes/{id}', points: [{ x: 1, y: 1200 }, { x: 2, y: 2100 }, { x: 4, y: 2900 }] },
      { name: 'POST <notes> & co', points: [{ x: 1, y: 300 }, { x: 2, y: null }, { x: 4, y: 800 }] },
    ],
  };

  it('draws well-formed SVG whose points follow the values: x to the right, higher values higher up', () => {
    const svg = parseXml(renderChart(spec));
    expect(svg.name).toBe('svg');
    expect(svg.attrs.xmlns).toBe('http://www.w3.org/2000/svg');
    const read = circles(svg, 'GET /notes/{id}');
    expect(read).toHaveLength(3);
    expect(read[0].cx).toBeLessThan(read[1].cx);
    expect(read[1].cx).toBeLessThan(read[2].cx);
    // SVG's y grows downwards: 1200 < 2100 < 2900 req/s means decreasing cy.
    expect(read[0].cy).toBeGreaterThan(read[1].cy);
    expect(read[1].cy).toBeGreaterThan(read[2].cy);
    // Linear x: 1 → 2 is a third of 1 → 4.
    expect((read[1].cx - read[0].cx) / (read[2].cx - read[0].cx)).toBeCloseTo(1 / 3, 2);
    // Linear y from 0: the distances to the zero line are proportional to the values.
    const zero = Number(findAll(svg, 'text').find((t) => t.attrs.class === 'y-tick' && t.text === '0')?.attrs.y);
    expect((zero - read[0].cy) / (zero - read[2].cy)).toBeCloseTo(1200 / 2900, 2);
  });

  it('labels the axes, the ticks up to at least the largest value, the legend and the run, escaping text', () => {
    const svg = parseXml(renderChart(spec));
    const all = texts(svg);
    expect(all).toEqual(expect.arrayContaining(['Throughput <&> test', 'API processes (TN_WORKERS)', 'throughput (requests/s)', 'Thunder Notes bench, 2026-01-01 00:00 UTC, commit abc1234']));
    expect(texts(svg, 'legend')).toEqual(['GET /notes/{id}', 'POST <notes> & co']);
    expect(texts(svg, 'x-tick')).toEqual(['1', '2', '4']);
    const yTicks = texts(svg, 'y-tick').map((t) => Number(t.replace(/,/g, '')));
    expect(yTicks[0]).toBe(0);
    expect(Math.max(...yTicks)).toBeGreaterThanOrEqual(2900);
    expect(Math.max(...yTicks)).toBeLessThan(2900 * 1.5);
    expect(texts(svg, 'y-tick')).toContain('3,000');
  });

  it('leaves a gap for a missing value: the series keeps its measured points, no line through the gap', () => {
    const svg = parseXml(renderChart(spec));
    expect(circles(svg, 'POST <notes> & co')).toHaveLength(2);
    const group = findAll(svg, 'g').find((g) => g.attrs['data-name'] === 'POST <notes> & co');
    expect(findAll(group as XmlElement, 'polyline')).toHaveLength(0);
    const full = findAll(svg, 'g').find((g) => g.attrs['data-name'] === 'GET /notes/{id}');
    const polyline = findAll(full as XmlElement, 'polyline');
    expect(polyline).toHaveLength(1);
    expect(polyline[0].attrs.points.split(' ')).toHaveLength(3);
  });

  it('spaces a log axis by ratio: 10k → 100k as wide as 100k → 1M', () => {
    const svg = parseXml(renderChart({ ...spec, xScale: 'log', formatX: formatCount, series: [{ name: 'p50', points: [10_000, 100_000, 1_000_000].map((x) => ({ x, y: 3 })) }] }));
    const [a, b, c] = circles(svg, 'p50');
    expect(b.cx - a.cx).toBeCloseTo(c.cx - b.cx, 1);
    expect(texts(svg, 'x-tick')).toEqual(['10k', '100k', '1M']);
  });

  it('says "no data" (and draws no point) when no series has a value', () => {
    const svg = parseXml(renderChart({ ...spec, series: [{ name: 'x', points: [{ x: 1, y: null }] }], emptyMessage: 'this run has no scale-out rows' }));
    expect(findAll(svg, 'circle')).toHaveLength(0);
    expect(texts(svg, 'no-data').join(' ')).toBe('no data: this run has no scale-out rows');
  });

  it('picks round tick steps', () => {
    expect(niceStep(2900)).toBe(1000);
    expect(niceStep(3.7)).toBe(1);
    expect(niceStep(0.42)).toBe(0.1);
    expect(niceStep(0)).toBe(1);
  });

  it("draws the recorded run's growth: one line per request, a point per size at its p50; no scale-out rows there", () => {
    const file = path.join(__dirname, '..', '..', 'bench', 'results', '2026-12-07.json');
    const report = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchReport;
    const dir = makeTempDir('tn-charts-');
    try {
      const written = writeCharts(report, dir).map((f) => path.basename(f));
      expect(written).toEqual(['scale-out-throughput.svg', 'scale-out-p99.svg', 'scale-out-cpu.svg', 'growth-latency.svg']);
      const growth = parseXml(fs.readFileSync(path.join(dir, 'growth-latency.svg'), 'utf8'));
      const page1 = circles(growth, 'page 1');
      expect(page1).toHaveLength(report.growth.length);
      const p50s = report.growth.map((g) => g.rows.find((r) => r.key === 'page1')?.result?.latencyMs.p50 ?? 0);
      // The higher the p50, the higher the point (smaller cy), point for point.
      for (let i = 0; i < p50s.length; i++) {
        for (let j = 0; j < p50s.length; j++) if (p50s[i] > p50s[j]) expect(page1[i].cy).toBeLessThan(page1[j].cy);
      }
      expect(texts(growth).join(' ')).toContain(`commit ${report.config.gitCommit}`);
      const throughput = parseXml(fs.readFileSync(path.join(dir, 'scale-out-throughput.svg'), 'utf8'));
      expect(texts(throughput, 'no-data').join(' ')).toMatch(/^no data: this run has no scale-out rows/);
    } finally {
      removeDir(dir);
    }
  });
});

describe('CPU per request from /proc', () => {
  it('reads utime + stime after the command name, whatever it holds', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ...
    const stat = '4242 (node (worker) 1) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 37 0 0 20 0 11 0';
    expect(ticksOfStat(stat)).toBe(287);
    expect(() => ticksOfStat('4242 (x) S 1')).toThrow(/unreadable/);
  });

  it('sums the processes between two readings, and refuses a sum with a process missing', () => {
    const before = new Map<number, number | null>([[1, 100], [2, 50]]);
    expect(cpuSecondsBetween(before, new Map([[1, 150], [2, 80]]), 100)).toBeCloseTo(0.8, 10);
    expect(cpuSecondsBetween(before, new Map([[1, 150], [2, null]]), 100)).toBeNull();
    expect(cpuSecondsBetween(before, new Map([[1, 150]]), 100)).toBeNull();
  });

  it('divides by the requests: ms per request, requests per core, machine busy', () => {
    expect(cpuMsPerRequest(0.8, 1000)).toBe(0.8);
    expect(cpuMsPerRequest(1.5, 4000)).toBe(0.375);
    expect(cpuMsPerRequest(null, 1000)).toBeNull();
    expect(cpuMsPerRequest(1, 0)).toBeNull();
    expect(requestsPerCore(0.8)).toBe(1250);
    expect(requestsPerCore(null)).toBeNull();
    expect(cpuPerRequest({ windowSec: 2, apiSec: 1.6, dbSec: 0.4, benchSec: 1, requests: 4000, cores: 2 })).toEqual({
      windowSec: 2,
      apiSec: 1.6,
      dbSec: 0.4,
      benchSec: 1,
      apiMsPerRequest: 0.4,
      dbMsPerRequest: 0.1,
      benchMsPerRequest: 0.25,
      machineBusy: 0.75,
    });
    expect(warmupFor(4, { connections: 10, durationSec: 10, warmupSec: 2 })).toEqual({ connections: 10, durationSec: 10, warmupSec: 8 });
    expect(cpuPerRequest({ windowSec: 1, apiSec: null, dbSec: 0.1, benchSec: 0.1, requests: 10, cores: 2 })).toMatchObject({ apiMsPerRequest: null, machineBusy: null });
  });

  (haveProc ? it : it.skip)("agrees with Node's own count for this process, within a tick per thread", () => {
    const hz = clockTicksPerSecond();
    const before = cpuTicks([process.pid]);
    const usage = process.cpuUsage();
    // Spin until Node counts 0.3 s of CPU (not 0.3 s of wall clock: the machine may be busy), at most 10 s.
    const until = performance.now() + 10_000;
    let x = 0;
    const spent = () => {
      const u = process.cpuUsage(usage);
      return (u.user + u.system) / 1e6;
    };
    while (spent() < 0.3 && performance.now() < until) for (let i = 0; i < 10_000; i++) x += Math.sqrt(x + 1);
    const measured = cpuSecondsBetween(before, cpuTicks([process.pid]), hz) as number;
    const node = process.cpuUsage(usage);
    expect(x).toBeGreaterThan(0);
    expect(measured).toBeGreaterThanOrEqual(0.2);
    expect(Math.abs(measured - (node.user + node.system) / 1e6)).toBeLessThan(0.1);
    expect(cpuTicks([2 ** 22 + 12345]).get(2 ** 22 + 12345)).toBeNull();
  });
});

describe('scale-out options', () => {
  it('is on by default with N = 1, 2, 4, and off with --no-scale-out or --growth-only', () => {
    expect(parseArgs([])).toMatchObject({ scaleOut: true, scaleOutOnly: false, scaleOutWorkers: [1, 2, 4], chartsFrom: null });
    expect(parseArgs(['--no-scale-out']).scaleOut).toBe(false);
    expect(parseArgs(['--growth-only']).scaleOut).toBe(false);
    expect(parseArgs(['--scale-out-workers', '4, 1,8']).scaleOutWorkers).toEqual([1, 4, 8]);
    expect(parseArgs(['--charts-from', 'x.json']).chartsFrom).toBe('x.json');
  });

  it('--scale-out-only leaves every other phase out, and the quick settings still apply', () => {
    expect(parseArgs(['--quick', '--scale-out-only'])).toMatchObject({
      scaleOut: true,
      scaleOutOnly: true,
      growth: false,
      peer: false,
      workers: 0,
      disk: false,
      durationSec: 1,
      warmupSec: 0.3,
    });
  });

  it('refuses bad worker lists and contradictory options, naming them', () => {
    const refusals: Array<[string[], RegExp]> = [
      [['--scale-out-workers', '0'], /^--scale-out-workers must be distinct integers from 1 to 64, comma-separated, got 0$/],
      [['--scale-out-workers', '1,1'], /^--scale-out-workers must be distinct/],
      [['--scale-out-workers', '2,x'], /^--scale-out-workers must be distinct/],
      [['--scale-out-workers', '65'], /^--scale-out-workers must be distinct/],
      [['--scale-out-workers', ''], /^--scale-out-workers must be distinct/],
      [['--scale-out-only', '--no-scale-out'], /^--scale-out-only and --no-scale-out exclude each other$/],
      [['--scale-out-only', '--growth-only'], /^--scale-out-only and --growth-only exclude each other$/],
      [['--scale-out-only=1'], /^--scale-out-only takes no value$/],
      [['--charts-from'], /^--charts-from needs a value$/],
    ];
    for (const [argv, message] of refusals) expect(() => parseArgs(argv)).toThrow(message);
  });
});

describe('the scale-out table', () => {
  const result = (rps: number): LoadResult => ({
    requests: rps * 2,
    durationSec: 2,
    rps,
    latencyMs: { p50: 4, p97_5: 8, p99: 9.5, mean: 4.2, max: 20 },
    statusCounts: { '200': rps * 2 },
    unexpectedStatus: 0,
    errors: 0,
    unexpected: 0,
    bytesPerResponse: 400,
    loadAvg1m: 2.5,
  });
  const cpu = cpuPerRequest({ windowSec: 2, apiSec: 1.6, dbSec: 0.4, benchSec: 1, requests: 4000, cores: 2 });
  const run = (rps: number) => ({ key: 'note', name: 'GET /notes/{id}', method: 'GET', path: '/notes/5', expectedStatus: 200, result: result(rps), cpu });
  const scaleOut: ScaleOutReport = {
    cores: 2,
    clockTicksPerSec: 100,
    workers: [1, 2, 4],
    load: { connections: 10, durationSec: 2, warmupSec: 1 },
    database: { command: 'node dist/scripts/db.js', pid: 10, available: true },
    dataset: [{ users: 1, notesPerUser: 10 }],
    points: [
      { processes: 1, available: true, apiPids: [11], runs: [run(2000)] },
      { processes: 2, available: true, apiPids: [12, 13, 14], runs: [run(3000)] },
      { processes: 4, available: false, reason: 'TN_WORKERS=4 started 3 worker process(es) under the primary (pid 15)', runs: [] },
    ],
  };
  const report: BenchReport = {
    date: '2026-01-01T00:00:00.000Z',
    command: 'npm run bench -- --scale-out-only',
    machine: { cores: 2, cpuModel: 'CPU', memoryGiB: 8, node: 'v20.0.0', platform: 'linux', arch: 'x64' },
    config: { quick: false, connections: 10, durationSec: 2, warmupSec: 1, nodeEnv: 'production', dataset: [], modes: [], growthSizes: [], gitCommit: 'abc1234', notes: [] },
    seeding: {},
    baselines: [],
    scenarios: [],
    apiMemory: {},
    scaleOut,
    growth: [],
    durationSec: 10,
  };

  it('shows req/s, the factor over N=1, latency and CPU per request of each side, and says which N was not available', () => {
    const text = renderText(report);
    // N, scenario, req/s, × N=1, p50, p99, unexpected, API ms/req, db ms/req, req/core, bench ms/req, busy, load.
    expect(text).toMatch(/1\s+GET \/notes\/\{id\}\s+2,000\s+1\.00\s+4\.00\s+9\.50\s+0\s+0\.400\s+0\.100\s+2,000\s+0\.250\s+75 %\s+2\.50/);
    expect(text).toMatch(/2\s+GET \/notes\/\{id\}\s+3,000\s+1\.50\s+/);
    expect(text).toMatch(/4\s+not available: TN_WORKERS=4 started 3 worker process\(es\)/);
    expect(text).toContain('utime + stime from /proc/<pid>/stat');
    const md = renderMarkdown(report);
    expect(md).toContain('| N | scenario | req/s | × N=1 |');
    expect(md).toMatch(/\| 2 \| GET \/notes\/\{id\} \| 3,000 \| 1\.50 \|/);
  });

  it('says why when the database could not start', () => {
    const down = { ...report, scaleOut: { ...scaleOut, points: [], database: { ...scaleOut.database, available: false, reason: 'exited with code 1 during start-up' } } };
    expect(renderText(down)).toMatch(/Scale-out: .*\nnot available: exited with code 1 during start-up/);
  });

  it("draws the rows: throughput and p99 by N, CPU per request of the API and the database", () => {
    const charts = new Map(chartsOf(report).map((c) => [c.file, parseXml(renderChart(c.spec))]));
    const throughput = circles(charts.get('scale-out-throughput.svg') as XmlElement, 'GET /notes/{id}');
    expect(throughput).toHaveLength(2); // N=4 was not available: no point
    expect(throughput[1].cy).toBeLessThan(throughput[0].cy);
    const cpuChart = charts.get('scale-out-cpu.svg') as XmlElement;
    expect(texts(cpuChart, 'legend')).toEqual(['API: GET /notes/{id}', 'db: GET /notes/{id}']);
    expect(circles(cpuChart, 'db: GET /notes/{id}')[0].cy).toBeGreaterThan(circles(cpuChart, 'API: GET /notes/{id}')[0].cy);
    expect(texts(charts.get('growth-latency.svg') as XmlElement, 'no-data')).toEqual(['no data: this run has no growth rows']);
  });
});

describe('the scale-out database process', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeTempDir('tn-scale-db-');
  });
  afterAll(() => removeDir(dir));

  it('is ready once it prints MONGODB_URI on stdout, and stops on SIGTERM', async () => {
    const script = path.join(dir, 'db-ok.js');
    fs.writeFileSync(script, "console.error('starting'); console.log('MONGODB_URI=mongodb://%2Ftmp%2Fx.sock/?maxIdleTimeMS=1'); setInterval(() => {}, 1000);");
    const db = await startDatabase(() => undefined, script, 10_000);
    expect(db.uri).toBe('mongodb://%2Ftmp%2Fx.sock/?maxIdleTimeMS=1');
    expect(() => process.kill(db.pid, 0)).not.toThrow();
    await db.stop();
    expect(() => process.kill(db.pid, 0)).toThrow();
  });

  it('reports a database that exits during start-up with its last lines', async () => {
    const script = path.join(dir, 'db-fail.js');
    fs.writeFileSync(script, "console.error('Start-up failed: MONGODB_URI is set'); process.exit(1);");
    await expect(startDatabase(() => undefined, script, 10_000)).rejects.toThrow(/exited with code 1 during start-up: Start-up failed: MONGODB_URI is set/);
  });

  it('gives up on a database that never prints its connection string', async () => {
    const script = path.join(dir, 'db-silent.js');
    fs.writeFileSync(script, 'setInterval(() => {}, 1000);');
    await expect(startDatabase(() => undefined, script, 500)).rejects.toThrow(/no MONGODB_URI line after 500 ms/);
  });
});
