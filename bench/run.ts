/**
 * `npm run bench [-- options]`: the benchmark suite.
 *
 * 1. Starts the API in a child process on the embedded database in memory, seeds it through the
 *    models (one user with 1,000 notes and 1,000 users with 100 notes each), logs in over HTTP.
 * 2. Records the API's answer to every scenario once and gives it to two bare Express
 *    baselines (each in its own process): `Express` (no auth, no database) and `Express+JWT`
 *    (verifies the Bearer token), so each baseline returns the same status and body size.
 * 3. For each scenario: warm-up, then autocannon against the matching baseline, then against
 *    the API. The parent process runs autocannon; servers run in their own processes.
 * 4. When the durable journal exists: the same for the write scenarios with `TN_DATA_DIR` on a
 *    temporary directory (journal on disk).
 * 5. Growth: one user's list and note reads as the total grows (10k, 100k, 1M notes), with
 *    the server's peak memory.
 * 6. Prints the tables; writes bench/results/<date>.json and bench/results/latest.md (with
 *    --quick: bench/tmp/results/, so a smoke check never replaces the recorded results).
 *
 * Options: --quick (about 1 s per run, growth at 1k and 10k notes only), --duration N, --warmup N,
 * --connections N, --no-growth, --no-disk, --growth-sizes 10000,100000, --out DIR,
 * --profile [--scenario KEY] (profile one scenario instead of the suite).
 */
import { execSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchChild } from './children';
import { runGrowth } from './growth';
import type { MemoryStats } from './ipc';
import { measure, type LoadOptions } from './load';
import { renderSummary, runProfile } from './profile';
import { renderMarkdown, renderText, type BaselineResult, type BenchReport, type Machine, type ScenarioResult } from './report';
import { SCENARIOS, captureResponses, prepareContext, type Scenario, type ScenarioContext } from './scenarios';
import type { SeedGroup, SeedResult } from './seedData';
import { startApi, startBaseline } from './servers';

const ROOT = findRoot(__dirname);

function findRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/** The data set of the issue: one user with 1,000 notes; 1,000 users with 100 notes each. */
export const DATASET: SeedGroup[] = [
  { users: 1, notesPerUser: 1000 },
  { users: 1000, notesPerUser: 100 },
];

export interface Args {
  quick: boolean;
  growth: boolean;
  /** Only the growth runs (no scenarios, no baselines). */
  growthOnly: boolean;
  disk: boolean;
  durationSec: number;
  warmupSec: number;
  connections: number;
  growthSizes: number[];
  out: string | null;
  profile: boolean;
  scenario: string;
  raw: string[];
}

export function parseArgs(argv: string[]): Args {
  const args: Args = {
    quick: false,
    growth: true,
    growthOnly: false,
    disk: true,
    durationSec: 10,
    warmupSec: 2,
    connections: 10,
    growthSizes: [10_000, 100_000, 1_000_000],
    out: null,
    profile: false,
    scenario: 'list',
    raw: argv,
  };
  let duration: number | null = null;
  let warmup: number | null = null;
  let sizes: number[] | null = null;
  const value = (i: number, name: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
    return v;
  };
  const positive = (v: string, name: string) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--quick':
        args.quick = true;
        break;
      case '--no-growth':
        args.growth = false;
        break;
      case '--growth-only':
        args.growthOnly = true;
        break;
      case '--no-disk':
        args.disk = false;
        break;
      case '--profile':
        args.profile = true;
        break;
      case '--duration':
        duration = positive(value(i++, a), a);
        break;
      case '--warmup':
        warmup = Number(value(i++, a));
        if (!Number.isFinite(warmup) || warmup < 0) throw new Error(`--warmup must be ≥ 0`);
        break;
      case '--connections':
        args.connections = Math.round(positive(value(i++, a), a));
        break;
      case '--growth-sizes':
        sizes = value(i++, a)
          .split(',')
          .map((s) => Math.round(positive(s.replace(/_/g, ''), a)));
        break;
      case '--scenario':
        args.scenario = value(i++, a);
        break;
      case '--out':
        args.out = value(i++, a);
        break;
      case '--help':
      case '-h':
        process.stdout.write(
          'npm run bench -- [--quick] [--duration S] [--warmup S] [--connections N] [--no-growth] [--no-disk]\n' +
            '                 [--growth-sizes 10000,100000,1000000] [--growth-only] [--out DIR]\n' +
            '                 [--profile [--scenario root|list|listPage50|note|note304|create|patch]]\n',
        );
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${a} (see --help)`);
    }
  }
  if (args.quick) {
    args.durationSec = 1;
    args.warmupSec = 0.3;
    args.growthSizes = [1_000, 10_000];
  }
  if (args.growthOnly && !args.growth) throw new Error('--growth-only and --no-growth exclude each other');
  if (duration !== null) args.durationSec = duration;
  if (warmup !== null) args.warmupSec = warmup;
  if (sizes !== null) args.growthSizes = sizes;
  return args;
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function machine(): Machine {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
  };
}

function gitCommit(): string | null {
  try {
    const sha = execSync('git rev-parse --short HEAD', { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return null;
  }
}

/** Whether the durable journal is part of this build (the disk mode needs it). */
function durableAvailable(): boolean {
  return fs.existsSync(path.join(__dirname, '..', 'src', 'embedded-mongo', 'storage', 'journal.js'));
}

function summaryOf(seed: SeedResult): Omit<SeedResult, 'benchUser'> {
  const { benchUser: _benchUser, ...rest } = seed;
  return rest;
}

function ratioFields(api: number, baseline: number | null) {
  if (!baseline || api <= 0) return { ratio: null, addedUsPerRequest: null };
  return {
    ratio: Math.round((api / baseline) * 1000) / 1000,
    addedUsPerRequest: Math.round(1e6 / api - 1e6 / baseline),
  };
}

async function measureApi(
  mode: 'memory' | 'disk',
  api: BenchChild,
  scenario: Scenario,
  ctx: ScenarioContext,
  load: LoadOptions,
  baseline: BaselineResult | undefined,
): Promise<ScenarioResult> {
  const req = scenario.request(ctx);
  const result = await measure(api.url, req, load);
  const baselineRps = baseline ? baseline.result.rps : null;
  log(
    `  ${mode.padEnd(6)} ${scenario.name}: ${Math.round(result.rps)} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, ` +
      `unexpected ${result.unexpected}${baselineRps ? `, ratio ${(result.rps / baselineRps).toFixed(2)}` : ''}`,
  );
  if (result.unexpected > 0) log(`    statuses: ${JSON.stringify(result.statusCounts)}, connection errors ${result.errors}`);
  return {
    mode,
    key: scenario.key,
    name: scenario.name,
    method: req.method,
    path: req.path,
    expectedStatus: scenario.expectedStatus,
    baseline: scenario.baseline,
    result,
    baselineRps,
    ...ratioFields(result.rps, baselineRps),
  };
}

function skipped(mode: 'memory' | 'disk', scenario: Scenario, reason: string): ScenarioResult {
  return {
    mode,
    key: scenario.key,
    name: scenario.name,
    method: scenario.method,
    path: scenario.routePath,
    expectedStatus: scenario.expectedStatus,
    baseline: scenario.baseline,
    result: null,
    baselineRps: null,
    ratio: null,
    addedUsPerRequest: null,
    skipped: reason,
  };
}

async function runSuite(args: Args): Promise<BenchReport> {
  const started = performance.now();
  const load: LoadOptions = { connections: args.connections, durationSec: args.durationSec, warmupSec: args.warmupSec };
  const password = `bench-${crypto.randomBytes(9).toString('base64url')}`;
  const modes: Array<'memory' | 'disk'> = args.growthOnly ? [] : ['memory'];
  const notes: string[] = [];
  if (args.growthOnly) notes.push('Growth only (--growth-only): no scenarios or baselines in this run.');
  else if (args.disk && durableAvailable()) modes.push('disk');
  else if (args.disk) notes.push('Durable storage (src/embedded-mongo/storage/journal.ts) is not in this build: disk mode not measured.');

  const report: BenchReport = {
    date: new Date().toISOString(),
    command: `npm run bench${args.raw.length ? ` -- ${args.raw.join(' ')}` : ''}`,
    machine: machine(),
    config: {
      quick: args.quick,
      connections: args.connections,
      durationSec: args.durationSec,
      warmupSec: args.warmupSec,
      nodeEnv: 'production',
      dataset: DATASET,
      modes,
      growthSizes: args.growth ? args.growthSizes : [],
      gitCommit: gitCommit(),
      notes,
    },
    seeding: {},
    baselines: [],
    scenarios: [],
    apiMemory: {},
    growth: [],
    durationSec: 0,
  };

  const children: BenchChild[] = [];
  let diskDir: string | null = null;
  try {
    if (!args.growthOnly) await runScenarios(args, load, password, modes, report, children, (dir) => (diskDir = dir));
    // 5. Growth.
    if (args.growth) {
      const growthLoad: LoadOptions = {
        connections: args.connections,
        durationSec: args.quick ? 1 : Math.min(5, args.durationSec),
        warmupSec: args.quick ? 0.3 : Math.min(1, args.warmupSec),
      };
      report.growth = await runGrowth(args.growthSizes, growthLoad, password, log);
    }
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    if (diskDir) fs.rmSync(diskDir, { recursive: true, force: true });
  }
  report.durationSec = Math.round((performance.now() - started) / 100) / 10;
  const loads = [
    ...report.baselines.map((b) => b.result.loadAvg1m),
    ...report.scenarios.map((s) => s.result?.loadAvg1m ?? 0),
    ...report.growth.flatMap((g) => [g.list?.loadAvg1m ?? 0, g.note?.loadAvg1m ?? 0]),
  ];
  const maxLoad = Math.max(0, ...loads);
  if (maxLoad > report.machine.cores + 1) {
    notes.push(
      `Other processes competed for the CPUs during this run: the 1-minute load average reached ${maxLoad.toFixed(1)} on ${report.machine.cores} cores ` +
        '(the benchmark itself accounts for about 2). Absolute numbers are lower and noisier than on an idle machine; see loadAvg1m per run in the JSON.',
    );
  }
  return report;
}

/** Steps 1–4: the scenarios against their baselines, in memory and (writes) on disk. */
async function runScenarios(
  args: Args,
  load: LoadOptions,
  password: string,
  modes: Array<'memory' | 'disk'>,
  report: BenchReport,
  children: BenchChild[],
  setDiskDir: (dir: string) => void,
): Promise<void> {
  // 1. API in memory, seeded.
  log('API (in memory): starting and seeding 1 × 1,000 + 1,000 × 100 notes');
  const api = await startApi('api-memory', ':memory:');
  children.push(api);
  const seeded = await api.request<SeedResult>('seed', { spec: { groups: DATASET, password } });
  report.seeding.memory = summaryOf(seeded);
  log(`  seeded ${seeded.notes.toLocaleString('en-US')} notes, ${seeded.users} users in ${(seeded.totalMs / 1000).toFixed(1)} s`);
  const ctx = await prepareContext(api.url, seeded.benchUser);

  // 2. Baselines reproduce the API's answers.
  const { routes, failures } = await captureResponses(api.url, SCENARIOS, ctx);
  for (const [key, why] of failures) log(`  ${key}: not measured, ${why}`);
  const bare = await startBaseline('bare');
  children.push(bare);
  const jwtBaseline = await startBaseline('jwt');
  children.push(jwtBaseline);
  const ok = SCENARIOS.filter((s) => !failures.has(s.key));
  await bare.request('routes', { routes: ok.filter((s) => s.baseline === 'bare').map((s) => routes.get(s.key)) });
  await jwtBaseline.request('routes', { routes: ok.filter((s) => s.baseline === 'jwt').map((s) => routes.get(s.key)) });

  // 3. Each scenario: its baseline, then the API.
  log(`Scenarios (${args.connections} connections, ${args.warmupSec} s warm-up, ${args.durationSec} s each):`);
  const baselineOf = new Map<string, BaselineResult>();
  for (const scenario of SCENARIOS) {
    const failure = failures.get(scenario.key);
    if (failure) {
      report.scenarios.push(skipped('memory', scenario, failure));
      continue;
    }
    const req = scenario.request(ctx);
    const child = scenario.baseline === 'bare' ? bare : jwtBaseline;
    const result = await measure(child.url, req, load);
    const baseline: BaselineResult = { kind: scenario.baseline, scenario: scenario.key, method: req.method, path: req.path, status: scenario.expectedStatus, result };
    log(`  ${scenario.baseline.padEnd(6)} ${scenario.name}: ${Math.round(result.rps)} req/s, p50 ${result.latencyMs.p50} ms, unexpected ${result.unexpected}`);
    report.baselines.push(baseline);
    baselineOf.set(scenario.key, baseline);
    report.scenarios.push(await measureApi('memory', api, scenario, ctx, load, baseline));
  }
  report.apiMemory.memory = await api.request<MemoryStats>('stats');
  await api.stop();

  // 4. Durable mode: the writes with the journal on disk.
  if (modes.includes('disk')) {
    const diskDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-bench-'));
    setDiskDir(diskDir);
    // Also on Ctrl-C, which exits without running the finally blocks.
    process.once('exit', () => fs.rmSync(diskDir, { recursive: true, force: true }));
    log(`API (journal on disk in ${diskDir}): starting and seeding`);
    const disk = await startApi('api-disk', diskDir);
    children.push(disk);
    const diskSeed = await disk.request<SeedResult>('seed', { spec: { groups: DATASET, password } });
    report.seeding.disk = summaryOf(diskSeed);
    log(`  seeded in ${(diskSeed.totalMs / 1000).toFixed(1)} s`);
    const diskCtx = await prepareContext(disk.url, diskSeed.benchUser);
    const { failures: diskFailures } = await captureResponses(
      disk.url,
      SCENARIOS.filter((s) => s.write),
      diskCtx,
    );
    for (const scenario of SCENARIOS.filter((s) => s.write)) {
      const failure = diskFailures.get(scenario.key);
      if (failure) report.scenarios.push(skipped('disk', scenario, failure));
      else report.scenarios.push(await measureApi('disk', disk, scenario, diskCtx, load, baselineOf.get(scenario.key)));
    }
    report.apiMemory.disk = await disk.request<MemoryStats>('stats');
    await disk.stop();
  }
  await bare.stop();
  await jwtBaseline.stop();
}

function writeResults(report: BenchReport, args: Args): string[] {
  const dir = args.out ? path.resolve(args.out) : path.join(ROOT, 'bench', args.quick ? 'tmp/results' : 'results');
  fs.mkdirSync(dir, { recursive: true });
  const day = report.date.slice(0, 10);
  const jsonFile = path.join(dir, `${day}${args.quick ? '-quick' : ''}.json`);
  const mdFile = path.join(dir, args.quick ? 'latest-quick.md' : 'latest.md');
  fs.writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(mdFile, renderMarkdown(report));
  return [jsonFile, mdFile].map((f) => path.relative(process.cwd(), f));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.profile) {
    const run = await runProfile(
      {
        scenarioKey: args.scenario,
        load: { connections: args.connections, durationSec: args.durationSec, warmupSec: args.warmupSec },
        dataset: DATASET,
        password: `bench-${crypto.randomBytes(9).toString('base64url')}`,
        outDir: args.out ? path.resolve(args.out) : path.join(ROOT, 'bench', 'tmp', 'profiles'),
        intervalUs: 200,
      },
      log,
    );
    process.stdout.write(`Profile of ${run.scenario} (${Math.round(run.rps)} req/s under the profiler), ${run.file}\n\n`);
    process.stdout.write(`${renderSummary(run.summary)}\n`);
    return;
  }
  const report = await runSuite(args);
  const files = writeResults(report, args);
  process.stdout.write(`\n${renderText(report)}\n\n`);
  const unexpected = report.scenarios.reduce((n, s) => n + (s.result?.unexpected ?? 0), 0) + report.baselines.reduce((n, b) => n + b.result.unexpected, 0);
  process.stdout.write(`Written: ${files.join(', ')} (${report.durationSec} s)\n`);
  if (unexpected > 0) {
    process.stdout.write(`${unexpected} unexpected responses: see the table.\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
