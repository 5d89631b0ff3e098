/**
 * `npm run bench [-- options]`: the benchmark suite.
 *
 * 1. Starts the API in a child process on the embedded database in memory, seeds it through the
 *    models (one user with 1,000 notes and 1,000 users with 100 notes each), logs in over HTTP.
 * 2. Records the API's answer to every scenario once and gives it to two bare Express
 *    baselines (each in its own process): `Express` (no auth, no database) and `Express+JWT`
 *    (verifies the Bearer token), so each baseline returns the same status and body size.
 *    The peer, express-restify-mongoose in its own process, connects to the API's database
 *    (the connection string comes in the API child's ready message) and is checked to return
 *    the same notes.
 * 3. For each scenario: warm-up, then autocannon against the matching baseline, then against
 *    the API, then (by-id read and lists) against the peer. The parent process runs
 *    autocannon; servers run in their own processes. Then POST /notes at --write-connections.
 * 4. TN_WORKERS: the API as `npm start` runs it with TN_WORKERS=N (node:cluster), its
 *    MONGODB_URI at the same in-memory database, through every scenario; "not available" when
 *    the build has no TN_WORKERS or no worker processes appear.
 * 5. When the durable journal exists: the write scenarios and the write burst with `TN_DATA_DIR`
 *    on a temporary directory (journal on disk).
 * 6. Growth: one user holding 10k, 100k, 1M notes (next to 100-note users): its page 1, middle
 *    page and a deep page in the other sort against a 100-note user's page 1, and heap per note.
 * 7. Storage (bench/storage.ts): BSON bytes per document and per index key, heap per note, the
 *    journal's bytes and fsyncs per create/PATCH/DELETE and its bytes/s under a POST burst, the
 *    snapshot per document (`--storage-only`: this phase alone; `--no-storage`: without it).
 * 8. Scale-out (scaleOut.ts), last, as its processes load the machine for a minute after it:
 *    one database process as `npm run db` starts it, then N = 1, 2, 4 API processes
 *    (TN_WORKERS=N, MONGODB_URI at it): req/s, p50/p99 and CPU ms per request of the API
 *    processes and of the database process (from /proc) for three scenarios.
 * 9. Prints the tables and issue 11's "Done when" table; writes bench/results/<date>.json and
 *    bench/results/latest.md (with --quick: bench/tmp/results/, so a smoke check never
 *    replaces the recorded results), and the charts (charts.ts) in charts/ next to them.
 *
 * Options (read with node:util's parseArgs, see USAGE and bench/README.md): --quick (about 1 s
 * per run, growth at 1k and 10k notes only), --duration S, --warmup S, --connections N,
 * --write-connections N, --workers N, --no-workers, --no-peer, --no-growth, --growth-only,
 * --no-disk, --growth-sizes 10000,100000, --no-storage, --storage-only, --out DIR, --profile [--scenario KEY] (profile one
 * scenario instead of the suite), --no-scale-out, --scale-out-only, --scale-out-workers 1,2,4,
 * --charts-from FILE.json (redraw the charts of a recorded run, nothing measured), --help.
 */
import { execSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs as parseOptions, type ParseArgsConfig } from 'node:util';
import { PROJECT_ROOT } from '../src/utils/projectRoot';
import type { BaselineKind } from './baselineServer';
import type { BenchChild, ScriptServer } from './children';
import { writeCharts } from './charts';
import { runGrowth } from './growth';
import type { MemoryStats } from './ipc';
import { measure, type LoadOptions } from './load';
import { renderSummary, runProfile } from './profile';
import {
  renderMarkdown,
  renderText,
  type BaselineResult,
  type BenchReport,
  type Machine,
  type Mode,
  type PeerReport,
  type ScenarioResult,
  type WriteBurst,
} from './report';
import { DEFAULT_SCALE_OUT_WORKERS, runScaleOut } from './scaleOut';
import { PEER_SCENARIOS, SCENARIOS, captureResponses, checkPeer, prepareContext, sendOnce, type Scenario, type ScenarioContext } from './scenarios';
import type { QueryPlan } from './plan';
import type { SeedGroup, SeedResult } from './seedData';
import { runStorage } from './storage';
import { awaitWorkers, startApi, startBaseline, startPeer, startWorkers, workersUnsupported } from './servers';
import { evaluateTargets } from './targets';

/** The data set of the issue: one user with 1,000 notes; 1,000 users with 100 notes each. */
export const DATASET: SeedGroup[] = [
  { users: 1, notesPerUser: 1000 },
  { users: 1000, notesPerUser: 100 },
];

/** `--quick`: the same benchmark user among 100 others, so the two seedings take a second, not twenty. */
export const QUICK_DATASET: SeedGroup[] = [
  { users: 1, notesPerUser: 1000 },
  { users: 100, notesPerUser: 100 },
];

/** What the scenario runs seed. */
export function datasetFor(args: Pick<Args, 'quick'>): SeedGroup[] {
  return args.quick ? QUICK_DATASET : DATASET;
}

function describeDataset(groups: SeedGroup[]): string {
  return groups.map((g) => `${g.users.toLocaleString('en-US')} × ${g.notesPerUser.toLocaleString('en-US')}`).join(' + ');
}

/** What `npm run bench` is told to do; the load fields are the scenarios' LoadOptions. */
export interface Args extends LoadOptions {
  quick: boolean;
  growth: boolean;
  /** Only the growth runs (no scenarios, no baselines). */
  growthOnly: boolean;
  disk: boolean;
  growthSizes: number[];
  /** The storage phase (bench/storage.ts). */
  storage: boolean;
  /** Only the storage phase (no scenarios, baselines or growth). */
  storageOnly: boolean;
  /** Measure express-restify-mongoose over the same database. */
  peer: boolean;
  /** TN_WORKERS to measure next to one process (0: not measured). */
  workers: number;
  /** Connections of the POST /notes burst, journal on disk vs in memory. */
  writeConnections: number;
  out: string | null;
  profile: boolean;
  scenario: string;
  help: boolean;
  /** The scale-out rows: one `npm run db`, N API processes for each N of scaleOutWorkers. */
  scaleOut: boolean;
  /** Only the scale-out rows (no scenarios, baselines, peer, TN_WORKERS row or growth). */
  scaleOutOnly: boolean;
  scaleOutWorkers: number[];
  /** Redraw the charts of this recorded JSON and measure nothing. */
  chartsFrom: string | null;
  raw: string[];
}

/** The options withScaleOut() reads. */
type ScaleOutArgs = 'scaleOut' | 'scaleOutOnly' | 'scaleOutWorkers' | 'chartsFrom';

const OPTIONS = {
  quick: { type: 'boolean' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  connections: { type: 'string', default: '10' },
  'no-growth': { type: 'boolean' },
  'growth-only': { type: 'boolean' },
  'growth-sizes': { type: 'string' },
  'no-disk': { type: 'boolean' },
  storage: { type: 'boolean' },
  'no-storage': { type: 'boolean' },
  'storage-only': { type: 'boolean' },
  'no-peer': { type: 'boolean' },
  workers: { type: 'string' },
  'no-workers': { type: 'boolean' },
  'write-connections': { type: 'string', default: '50' },
  out: { type: 'string' },
  profile: { type: 'boolean' },
  scenario: { type: 'string', default: 'list' },
  help: { type: 'boolean', short: 'h' },
  'no-scale-out': { type: 'boolean' },
  'scale-out-only': { type: 'boolean' },
  'scale-out-workers': { type: 'string' },
  'charts-from': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

/** Run lengths and growth sizes of a full run and of `--quick`; --duration, --warmup and --growth-sizes override them. */
const RUN_DEFAULTS = {
  full: { durationSec: 10, warmupSec: 2, growthSizes: [10_000, 100_000, 1_000_000] },
  quick: { durationSec: 1, warmupSec: 0.3, growthSizes: [1_000, 10_000] },
};

const SCENARIO_KEYS = SCENARIOS.map((s) => s.key);
/** Issue 11's row: TN_WORKERS=2 next to one process. */
const DEFAULT_WORKERS = 2;

export const USAGE =
  'npm run bench -- [--quick] [--duration S] [--warmup S] [--connections N] [--no-growth] [--no-disk]\n' +
  '                 [--write-connections N] [--workers N | --no-workers] [--no-peer]\n' +
  '                 [--growth-sizes 10000,100000,1000000] [--growth-only] [--no-storage | --storage-only] [--out DIR]\n' +
  '                 [--no-scale-out | --scale-out-only] [--scale-out-workers 1,2,4]\n' +
  `                 [--profile [--scenario ${SCENARIO_KEYS.join('|')}]]\n` +
  'npm run bench -- --charts-from bench/results/DATE.json [--out DIR]   (redraw the charts only)\n';

/** util.parseArgs's error as one line naming the option, e.g. `--duration needs a value`. */
function usageError(err: unknown): Error {
  const { code, message } = err as { code?: string; message: string };
  // Node quotes the option as '--duration', '--duration <value>' or '-h, --help'.
  const quoted = /'([^']*)'/.exec(message)?.[1];
  const name = quoted?.replace(/ <value>$/, '').split(', ').pop();
  if (name === undefined) return new Error(message.split('\n')[0]);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new Error(`unknown option ${name} (see --help)`);
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new Error(`unexpected argument ${name}: the bench takes options only (see --help)`);
  const type = Object.entries(OPTIONS).find(([key]) => `--${key}` === name)?.[1].type;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && type) return new Error(type === 'boolean' ? `${name} takes no value` : `${name} needs a value`);
  return new Error(message.split('\n')[0]);
}

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
  return n;
}

function readOptions(argv: string[]) {
  try {
    return parseOptions({ args: argv, options: OPTIONS, strict: true }).values;
  } catch (err) {
    throw usageError(err);
  }
}

/** Reads the command line; throws an Error whose message is one line naming the bad option. */
export function parseArgs(argv: string[]): Args {
  const values = readOptions(argv);
  const quick = values.quick ?? false;
  const defaults = quick ? RUN_DEFAULTS.quick : RUN_DEFAULTS.full;
  const warmupSec = values.warmup === undefined ? defaults.warmupSec : Number(values.warmup);
  if (!Number.isFinite(warmupSec) || warmupSec < 0) throw new Error(`--warmup must be a number ≥ 0, got ${values.warmup}`);
  const growthSizes = values['growth-sizes']?.split(',').map((s) => Math.round(positive('--growth-sizes', s.replace(/_/g, ''))));
  if (!SCENARIO_KEYS.includes(values.scenario)) throw new Error(`--scenario must be one of ${SCENARIO_KEYS.join(', ')}, got ${values.scenario}`);
  const workers = values.workers === undefined ? DEFAULT_WORKERS : Number(values.workers);
  // TN_WORKERS=1 is the single process already measured: the row compares 2 or more with it.
  if (!Number.isInteger(workers) || workers < 0 || workers === 1 || workers > 64) {
    throw new Error(`--workers must be 0 (leave the row out) or an integer from 2 to 64, got ${values.workers}`);
  }
  if (values['no-workers'] && values.workers !== undefined) throw new Error('--workers and --no-workers exclude each other');
  const storageOnly = values['storage-only'] ?? false;
  if (values['no-storage'] && (values.storage || storageOnly)) throw new Error(`--no-storage and --${storageOnly ? 'storage-only' : 'storage'} exclude each other`);
  if (storageOnly && values['growth-only']) throw new Error('--growth-only and --storage-only exclude each other');
  if (storageOnly && values['scale-out-only']) throw new Error('--scale-out-only and --storage-only exclude each other');
  const args: Omit<Args, ScaleOutArgs> = {
    quick,
    growth: !values['no-growth'] && !storageOnly,
    growthOnly: values['growth-only'] ?? false,
    disk: !values['no-disk'],
    durationSec: values.duration === undefined ? defaults.durationSec : positive('--duration', values.duration),
    warmupSec,
    connections: Math.round(positive('--connections', values.connections)),
    growthSizes: growthSizes ?? [...defaults.growthSizes],
    peer: !values['no-peer'] && !storageOnly,
    workers: values['no-workers'] || storageOnly ? 0 : workers,
    // On in a full run; --growth-only leaves it out unless asked for.
    storage: storageOnly || (!values['no-storage'] && (values.storage ?? !values['growth-only'])),
    storageOnly,
    writeConnections: Math.round(positive('--write-connections', values['write-connections'])),
    out: values.out ?? null,
    profile: values.profile ?? false,
    scenario: values.scenario,
    help: values.help ?? false,
    raw: argv,
  };
  if (args.growthOnly && !args.growth) throw new Error('--growth-only and --no-growth exclude each other');
  return withScaleOut(args, values);
}

/**
 * The scale-out options: on by default (not with --growth-only); --scale-out-only leaves out
 * every other phase (so the JSON does not claim a peer, TN_WORKERS row or growth it never ran).
 */
function withScaleOut(args: Omit<Args, ScaleOutArgs>, values: ReturnType<typeof readOptions>): Args {
  const only = values['scale-out-only'] ?? false;
  if (only && values['no-scale-out']) throw new Error('--scale-out-only and --no-scale-out exclude each other');
  if (only && args.growthOnly) throw new Error('--scale-out-only and --growth-only exclude each other');
  const raw = values['scale-out-workers'];
  const workers = raw === undefined ? [...DEFAULT_SCALE_OUT_WORKERS] : raw.split(',').map((v) => Number(v.trim()));
  if (workers.length === 0 || workers.some((n) => !Number.isInteger(n) || n < 1 || n > 64) || new Set(workers).size !== workers.length) {
    throw new Error(`--scale-out-workers must be distinct integers from 1 to 64, comma-separated, got ${raw}`);
  }
  const scaleOut = { scaleOut: only || (!values['no-scale-out'] && !args.growthOnly && !args.storageOnly), scaleOutOnly: only, scaleOutWorkers: workers.sort((a, b) => a - b) };
  const chartsFrom = values['charts-from'] ?? null;
  if (only) return { ...args, ...scaleOut, chartsFrom, growth: false, peer: false, workers: 0, disk: false, storage: false };
  return { ...args, ...scaleOut, chartsFrom };
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
    const sha = execSync('git rev-parse --short HEAD', { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return null;
  }
}

/** Whether the durable journal is part of this build (the disk mode needs it). */
function durableAvailable(): boolean {
  return fs.existsSync(path.join(__dirname, '..', 'src', 'embedded-mongo', 'storage', 'journal.js'));
}

/** Password of the seeded users, new for each run. */
function newPassword(): string {
  return `bench-${crypto.randomBytes(9).toString('base64url')}`;
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
  mode: Mode,
  api: { url: string },
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

function skipped(mode: Mode, scenario: Scenario, reason: string): ScenarioResult {
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

/** Anything started for the run that must be stopped at its end. */
interface Stoppable {
  stop(): Promise<void>;
}

async function runSuite(args: Args): Promise<BenchReport> {
  const started = performance.now();
  const password = newPassword();
  const scenariosToo = !args.growthOnly && !args.scaleOutOnly && !args.storageOnly;
  const modes: Mode[] = scenariosToo ? ['memory'] : [];
  const notes: string[] = [];
  if (args.growthOnly) notes.push('Growth only (--growth-only): no scenarios, baselines, peer or TN_WORKERS in this run.');
  else if (args.scaleOutOnly) notes.push('Scale-out only (--scale-out-only): no scenarios, baselines, peer, TN_WORKERS row or growth in this run.');
  else if (args.storageOnly) notes.push('Storage only (--storage-only): no scenarios, baselines, peer, TN_WORKERS or growth in this run.');
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
      dataset: datasetFor(args),
      modes,
      growthSizes: args.growth ? args.growthSizes : [],
      peer: !args.growthOnly && args.peer,
      storage: args.storage,
      workers: scenariosToo ? args.workers : 0,
      scaleOutWorkers: args.scaleOut ? args.scaleOutWorkers : [],
      writeConnections: args.writeConnections,
      gitCommit: gitCommit(),
      notes,
    },
    seeding: {},
    baselines: [],
    scenarios: [],
    apiMemory: {},
    peer: null,
    workers: null,
    writeBurst: null,
    growth: [],
    durationSec: 0,
  };

  const children: Stoppable[] = [];
  let diskDir: string | null = null;
  try {
    if (scenariosToo) await runScenarios(args, password, modes, report, children, (dir) => (diskDir = dir));
    // 6. Growth.
    if (args.growth) {
      const growthLoad: LoadOptions = {
        connections: args.connections,
        durationSec: args.quick ? 1 : Math.min(5, args.durationSec),
        warmupSec: args.quick ? 0.3 : Math.min(1, args.warmupSec),
      };
      report.growth = await runGrowth(args.growthSizes, growthLoad, password, log);
    }
    // 7. Storage, with the write burst's req/s and the growth's heap per note of this run.
    if (args.storage) {
      const burst = { connections: args.writeConnections, durationSec: args.durationSec, warmupSec: args.warmupSec };
      const options = { dataset: report.config.dataset, password, operations: args.quick ? 100 : 1000, burst, writeBurstDisk: report.writeBurst?.disk, growth: report.growth };
      report.storage = await runStorage(options, log).catch((err: unknown) => {
        notes.push(`Storage phase failed: ${(err as Error).message.split('\n')[0]}`);
        return null;
      });
    }
    // 8. Scale-out, last: its 4 API processes raise the load average for a minute after it ends,
    // which would otherwise weigh on the phases after it.
    if (args.scaleOut) report.scaleOut = await runScaleOut({ workers: args.scaleOutWorkers, load: args, dataset: datasetFor(args), password }, log);
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    if (diskDir) fs.rmSync(diskDir, { recursive: true, force: true });
  }
  report.durationSec = Math.round((performance.now() - started) / 100) / 10;
  const loads = [
    ...report.baselines.map((b) => b.result.loadAvg1m),
    ...report.scenarios.map((s) => s.result?.loadAvg1m ?? 0),
    ...(report.peer?.results ?? []).map((p) => p.result?.loadAvg1m ?? 0),
    report.writeBurst?.memory?.loadAvg1m ?? 0,
    report.writeBurst?.disk?.loadAvg1m ?? 0,
    ...report.growth.flatMap((g) => [...(g.referenceRuns ?? [g.reference]), ...g.rows].map((r) => r?.result?.loadAvg1m ?? 0)),
  ];
  // The scale-out runs are left out: their own N API processes and database process load the
  // machine by design (their table has the load of each run).
  const maxLoad = Math.max(0, ...loads);
  if (maxLoad > report.machine.cores + 1) {
    notes.push(
      `Other processes competed for the CPUs during this run: the 1-minute load average reached ${maxLoad.toFixed(1)} on ${report.machine.cores} cores ` +
        '(the benchmark itself accounts for about 2). Absolute numbers are lower and noisier than on an idle machine; see loadAvg1m per run in the JSON.',
    );
  }
  report.targets = evaluateTargets(report);
  return report;
}

/** Starts the API on `dataDir` ('api-memory' or 'api-disk'), seeds the data set and logs the benchmark user in. */
async function startSeededApi(mode: Mode, dataDir: string, password: string, report: BenchReport, children: Stoppable[]) {
  const api = await startApi(`api-${mode}`, dataDir);
  children.push(api);
  const seeded = await api.request<SeedResult>('seed', { spec: { groups: report.config.dataset, password } });
  report.seeding[mode] = summaryOf(seeded);
  log(`  seeded ${seeded.notes.toLocaleString('en-US')} notes, ${seeded.users} users in ${(seeded.totalMs / 1000).toFixed(1)} s`);
  // A full GC of every isolate (the database's worker included), as the growth runs do after
  // seeding: the seeding's garbage is not the first scenarios' cost.
  await api.request('heap');
  return { api, ctx: await prepareContext(api.url, seeded.benchUser) };
}

/** POST /notes at `args.writeConnections` connections (the write burst). */
async function measureBurst(label: string, url: string, ctx: ScenarioContext, args: Args) {
  const create = SCENARIOS.find((s) => s.key === 'create');
  if (!create) throw new Error('no create scenario');
  const result = await measure(url, create.request(ctx), { ...args, connections: args.writeConnections });
  log(`  ${label.padEnd(6)} POST /notes × ${args.writeConnections} connections: ${Math.round(result.rps)} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, unexpected ${result.unexpected}`);
  return result;
}

/**
 * How our database runs each query the peer sends: the peer records erm's collection calls for
 * one request, the API child explains them. A collection scan where an index exists says the
 * comparison measures our planner rather than erm.
 */
async function peerPlans(api: BenchChild, peer: BenchChild, ctx: ScenarioContext): Promise<Map<string, QueryPlan | null>> {
  const plans = new Map<string, QueryPlan | null>();
  for (const scenario of PEER_SCENARIOS) {
    try {
      await peer.request('captureStart');
      await sendOnce(peer.url, scenario.request(ctx));
      const queries = await peer.request<Array<{ collection: string; method: string; filter: unknown; options: unknown }>>('captureStop');
      const find = queries.find((q) => q.method === 'find' || q.method === 'findOne');
      if (!find) {
        plans.set(scenario.key, null);
        continue;
      }
      const options = { ...((find.options ?? {}) as Record<string, unknown>) };
      if (find.method === 'findOne') options.limit = 1;
      const plan = await api.request<QueryPlan>('explain', { collection: find.collection, filter: find.filter, options });
      plans.set(scenario.key, plan);
      log(`  peer ${scenario.key}: ${find.method} ${JSON.stringify(find.filter)} → ${plan.stages.join(' › ')}${plan.indexName ? ` ${plan.indexName}` : ''}, ${plan.docsExamined ?? '?'} documents examined`);
    } catch (err) {
      plans.set(scenario.key, null);
      log(`  peer ${scenario.key}: query plan unknown (${(err as Error).message.split('\n')[0]})`);
    }
  }
  return plans;
}

/** The peer over the API's database, checked to serve the same notes; null when it could not start. */
async function startCheckedPeer(api: BenchChild, ctx: ScenarioContext, report: BenchReport, children: Stoppable[]) {
  const dbUri = typeof api.info.dbUri === 'string' ? api.info.dbUri : '';
  const peerReport: PeerReport = { name: 'express-restify-mongoose', versions: {}, results: [] };
  report.peer = peerReport;
  if (!dbUri) {
    peerReport.skipped = "the API child did not report its database's connection string";
    return { peer: null, failures: new Map<string, string>(), plans: new Map<string, QueryPlan | null>() };
  }
  try {
    const peer = await startPeer(dbUri, typeof api.info.dbName === 'string' ? api.info.dbName : '');
    children.push(peer);
    peerReport.versions = (peer.info.versions as Record<string, string> | undefined) ?? {};
    const failures = await checkPeer(api.url, peer.url, ctx);
    for (const [key, why] of failures) log(`  peer ${key}: not measured, ${why}`);
    return { peer, failures, plans: await peerPlans(api, peer, ctx) };
  } catch (err) {
    peerReport.skipped = (err as Error).message.split('\n')[0];
    log(`  peer: not measured, ${peerReport.skipped}`);
    return { peer: null, failures: new Map<string, string>(), plans: new Map<string, QueryPlan | null>() };
  }
}

/** Steps 1–5: the scenarios against their baselines and the peer, TN_WORKERS, in memory and (writes) on disk. */
async function runScenarios(
  args: Args,
  password: string,
  modes: Mode[],
  report: BenchReport,
  children: Stoppable[],
  setDiskDir: (dir: string) => void,
): Promise<void> {
  // 1. API in memory, seeded.
  log(`API (in memory): starting and seeding ${describeDataset(report.config.dataset)} notes`);
  const { api, ctx } = await startSeededApi('memory', ':memory:', password, report, children);

  // 2. Baselines reproduce the API's answers; the peer serves the same notes.
  const { routes, failures } = await captureResponses(api.url, SCENARIOS, ctx);
  for (const [key, why] of failures) log(`  ${key}: not measured, ${why}`);
  const ok = SCENARIOS.filter((s) => !failures.has(s.key));
  const baselines = {} as Record<BaselineKind, BenchChild>;
  for (const kind of ['bare', 'jwt'] as const) {
    baselines[kind] = await startBaseline(kind);
    children.push(baselines[kind]);
    await baselines[kind].request('routes', { routes: ok.filter((s) => s.baseline === kind).map((s) => routes.get(s.key)) });
  }
  const { peer, failures: peerFailures, plans } = args.peer
    ? await startCheckedPeer(api, ctx, report, children)
    : { peer: null, failures: new Map<string, string>(), plans: new Map<string, QueryPlan | null>() };

  // 3. Each scenario: its baseline, then the API, then the peer.
  log(`Scenarios (${args.connections} connections, ${args.warmupSec} s warm-up, ${args.durationSec} s each):`);
  const baselineOf = new Map<string, BaselineResult>();
  for (const scenario of SCENARIOS) {
    const failure = failures.get(scenario.key);
    if (failure) {
      report.scenarios.push(skipped('memory', scenario, failure));
      continue;
    }
    const req = scenario.request(ctx);
    const result = await measure(baselines[scenario.baseline].url, req, args);
    const baseline: BaselineResult = { kind: scenario.baseline, scenario: scenario.key, method: req.method, path: req.path, status: scenario.expectedStatus, result };
    log(`  ${scenario.baseline.padEnd(6)} ${scenario.name}: ${Math.round(result.rps)} req/s, p50 ${result.latencyMs.p50} ms, unexpected ${result.unexpected}`);
    report.baselines.push(baseline);
    baselineOf.set(scenario.key, baseline);
    const ours = await measureApi('memory', api, scenario, ctx, args, baseline);
    report.scenarios.push(ours);
    const peerScenario = PEER_SCENARIOS.find((p) => p.key === scenario.key);
    if (peer && peerScenario) {
      const result = await measurePeer(peer, peerScenario, ctx, args, ours, peerFailures.get(scenario.key));
      report.peer?.results.push({ ...result, plan: plans.get(scenario.key) ?? null });
    }
  }
  const burst: WriteBurst = { connections: args.writeConnections, memory: null, disk: null, ratio: null };
  report.writeBurst = burst;
  if (!modes.includes('disk')) burst.skipped = 'the journal on disk is not measured in this run';
  else if (failures.has('create')) burst.skipped = `POST /notes: ${failures.get('create')}`;
  else burst.memory = await measureBurst('memory', api.url, ctx, args);

  // 4. TN_WORKERS API processes on the same database.
  if (args.workers > 0) await runWorkers(args, api, ctx, baselineOf, report, children);

  report.apiMemory.memory = await api.request<MemoryStats>('stats');
  await peer?.stop();
  await api.stop();

  // 5. Durable mode: the writes with the journal on disk.
  if (modes.includes('disk')) {
    const diskDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-bench-'));
    setDiskDir(diskDir);
    // Also on Ctrl-C, which exits without running the finally blocks.
    process.once('exit', () => fs.rmSync(diskDir, { recursive: true, force: true }));
    log(`API (journal on disk in ${diskDir}): starting and seeding`);
    const disk = await startSeededApi('disk', diskDir, password, report, children);
    const writes = SCENARIOS.filter((s) => s.write);
    const { failures: diskFailures } = await captureResponses(disk.api.url, writes, disk.ctx);
    for (const scenario of writes) {
      const failure = diskFailures.get(scenario.key);
      if (failure) report.scenarios.push(skipped('disk', scenario, failure));
      else report.scenarios.push(await measureApi('disk', disk.api, scenario, disk.ctx, args, baselineOf.get(scenario.key)));
    }
    if (!burst.skipped && !diskFailures.has('create')) {
      burst.disk = await measureBurst('disk', disk.api.url, disk.ctx, args);
      if (burst.memory && burst.memory.rps > 0) burst.ratio = Math.round((burst.disk.rps / burst.memory.rps) * 1000) / 1000;
    } else if (!burst.skipped) burst.skipped = `POST /notes on disk: ${diskFailures.get('create')}`;
    report.apiMemory.disk = await disk.api.request<MemoryStats>('stats');
    await disk.api.stop();
  }
  for (const child of Object.values(baselines)) await child.stop();
}

/** The peer's run for one of the API's reads, right after the API's. */
async function measurePeer(
  peer: BenchChild,
  scenario: (typeof PEER_SCENARIOS)[number],
  ctx: ScenarioContext,
  load: LoadOptions,
  ours: ScenarioResult,
  failure: string | undefined,
) {
  const req = scenario.request(ctx);
  const base = { key: scenario.key, name: scenario.name, method: req.method, path: req.path, apiRps: ours.result?.rps ?? null };
  if (failure) return { ...base, result: null, ratio: null, skipped: failure };
  const result = await measure(peer.url, req, load);
  const ratio = ours.result && result.rps > 0 ? Math.round((ours.result.rps / result.rps) * 1000) / 1000 : null;
  log(`  peer   ${scenario.name}: ${Math.round(result.rps)} req/s, p50 ${result.latencyMs.p50} ms, unexpected ${result.unexpected}${ratio === null ? '' : `, API ÷ peer ${ratio.toFixed(2)}`}`);
  return { ...base, result, ratio };
}

/**
 * TN_WORKERS=N: `dist/src/server.js` as `npm start` runs it, its MONGODB_URI at the in-memory
 * API's database, measured through every scenario against the baseline runs already made.
 * "Not available" (never numbers) when the build does not know TN_WORKERS or no worker
 * processes appear under the primary.
 */
async function runWorkers(
  args: Args,
  api: BenchChild,
  ctx: ScenarioContext,
  baselineOf: Map<string, BaselineResult>,
  report: BenchReport,
  children: Stoppable[],
): Promise<void> {
  const count = args.workers;
  report.workers = { count, available: false };
  const dbUri = typeof api.info.dbUri === 'string' ? api.info.dbUri : '';
  const unsupported = workersUnsupported() ?? (dbUri ? null : "the API child did not report its database's connection string");
  if (unsupported) {
    report.workers.reason = unsupported;
    log(`TN_WORKERS=${count}: not available, ${unsupported}`);
    return;
  }
  log(`TN_WORKERS=${count}: starting dist/src/server.js on the in-memory API's database`);
  let cluster: ScriptServer | null = null;
  try {
    cluster = await startWorkers(count, dbUri);
    children.push(cluster);
    const pids = await awaitWorkers(cluster, count);
    report.workers.processes = pids.length;
    if (pids.length < count) {
      report.workers.reason = `TN_WORKERS=${count} started ${pids.length} worker process(es) under the primary (pid ${cluster.pid})`;
      log(`  not available: ${report.workers.reason}`);
      return;
    }
    report.workers.available = true;
    const { failures } = await captureResponses(cluster.url, SCENARIOS, ctx);
    for (const scenario of SCENARIOS) {
      const failure = failures.get(scenario.key);
      if (failure) report.scenarios.push(skipped('workers', scenario, failure));
      else report.scenarios.push(await measureApi('workers', cluster, scenario, ctx, args, baselineOf.get(scenario.key)));
    }
  } catch (err) {
    report.workers.available = false;
    report.workers.reason = `start-up failed: ${(err as Error).message.split('\n')[0]}`;
    log(`  not available: ${report.workers.reason}`);
    report.scenarios = report.scenarios.filter((s) => s.mode !== 'workers');
  } finally {
    await cluster?.stop();
  }
}

/**
 * What a run's files are called: a full run's are the recorded results (bench/results/); a quick
 * or one-phase run (--growth-only, --storage-only, --scale-out-only) goes to bench/tmp/results/
 * with a suffix, so it never replaces the recorded run, its tables or the charts the docs show.
 */
function resultSuffix(args: Args): string {
  const parts = [args.quick ? 'quick' : '', args.growthOnly ? 'growth-only' : '', args.storageOnly ? 'storage-only' : '', args.scaleOutOnly ? 'scale-out-only' : ''];
  return parts.filter(Boolean).join('-');
}

function writeResults(report: BenchReport, args: Args): string[] {
  const suffix = resultSuffix(args);
  const dir = args.out ? path.resolve(args.out) : path.join(PROJECT_ROOT, 'bench', suffix ? 'tmp/results' : 'results');
  fs.mkdirSync(dir, { recursive: true });
  const day = report.date.slice(0, 10);
  const jsonFile = path.join(dir, `${day}${suffix ? `-${suffix}` : ''}.json`);
  const mdFile = path.join(dir, suffix ? `latest-${suffix}.md` : 'latest.md');
  fs.writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(mdFile, renderMarkdown(report));
  const charts = writeCharts(report, path.join(dir, 'charts'));
  return [jsonFile, mdFile, ...charts].map((f) => path.relative(process.cwd(), f));
}

/** `--charts-from FILE`: the charts of a recorded run, into charts/ next to it (or under --out). */
function redrawCharts(file: string, out: string | null): void {
  let report: BenchReport;
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8')) as BenchReport;
  } catch (err) {
    throw new Error(`--charts-from: cannot read ${file}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (typeof report?.date !== 'string' || typeof report.config !== 'object' || !Array.isArray(report.growth)) {
    throw new Error(`--charts-from: ${file} is not a bench result (no date, config or growth)`);
  }
  const dir = path.join(out ? path.resolve(out) : path.dirname(path.resolve(file)), 'charts');
  const charts = writeCharts(report, dir);
  process.stdout.write(`Charts of ${file}: ${charts.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (args.chartsFrom) {
    try {
      redrawCharts(args.chartsFrom, args.out);
    } catch (err) {
      process.stderr.write(`bench: ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
    return;
  }
  if (args.profile) {
    const run = await runProfile(
      {
        scenarioKey: args.scenario,
        load: args,
        dataset: DATASET,
        password: newPassword(),
        outDir: args.out ? path.resolve(args.out) : path.join(PROJECT_ROOT, 'bench', 'tmp', 'profiles'),
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
  const unexpected =
    report.scenarios.reduce((n, s) => n + (s.result?.unexpected ?? 0), 0) +
    report.baselines.reduce((n, b) => n + b.result.unexpected, 0) +
    (report.peer?.results ?? []).reduce((n, p) => n + (p.result?.unexpected ?? 0), 0) +
    (report.writeBurst?.memory?.unexpected ?? 0) +
    (report.writeBurst?.disk?.unexpected ?? 0) +
    (report.storage?.journal.burst.unexpected ?? 0) +
    (report.scaleOut?.points ?? []).reduce((n, p) => n + p.runs.reduce((m, r) => m + (r.result?.unexpected ?? 0), 0), 0);
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
