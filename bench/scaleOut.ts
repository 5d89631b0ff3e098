/**
 * Scale-out rows (issue 17, part 4): the deployment past one process, simulated on one machine.
 * ONE database process started as an operator would (`npm run db`, i.e. `node dist/scripts/db.js`,
 * in memory; it prints `MONGODB_URI=...`), seeded once through the models by a short-lived API
 * child connected to it; then, for each N (1, 2, 4), the API as `npm start` runs it with
 * TN_WORKERS=N and MONGODB_URI at that database, through GET /notes/{id}, GET /notes?limit=10 and
 * POST /notes. The data is reused across N: the reads are the benchmark user's, the creates go to
 * a second seeded user, so the notes read never change between N.
 *
 * Per run: requests/s, p50/p99, unexpected answers, and CPU per request. CPU is read from
 * /proc/<pid>/stat (utime + stime, every thread) of the API processes (the cluster primary and
 * its workers, found as the primary's children) and of the database process, just before and
 * just after the measured window (after the warm-up), and divided by the requests answered in
 * it; the warm-up before each run is N times the suite's, so every process is as warm as the
 * single one. The bench's own process (autocannon) is read the same way through process.cpuUsage(), so
 * the rows say how much of the machine's cores the load generator took.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { BenchChild, ScriptServer, trackChild } from './children';
import { measure, warmUp, type LoadOptions, type LoadRequest, type LoadResult } from './load';
import { clockTicksPerSecond, cpuMsPerRequest, cpuSecondsBetween, cpuTicks } from './procCpu';
import { SCENARIOS, captureResponses, login, prepareContext, type ScenarioContext } from './scenarios';
import { benchEmail, type SeedGroup, type SeedResult } from './seedData';
import { apiEnv, awaitWorkers, startWorkers, workersUnsupported } from './servers';

/** The scenarios measured at each N, by key (see scenarios.ts). */
export const SCALE_OUT_SCENARIOS = ['note', 'list', 'create'] as const;
/** The numbers of API processes measured by default. */
export const DEFAULT_SCALE_OUT_WORKERS = [1, 2, 4];

/** The built `npm run db` script. */
export const DB_SCRIPT = path.join(__dirname, '..', 'scripts', 'db.js');

/** CPU used in one measured window, and per request. */
export interface CpuPerRequest {
  /** Wall-clock length of the window (autocannon's run), seconds. */
  windowSec: number;
  /** CPU seconds of the API processes (the primary and its workers), the database process and the bench's own process. */
  apiSec: number | null;
  dbSec: number | null;
  benchSec: number;
  /** CPU ms per answered request: API processes, database process, and the load generator. */
  apiMsPerRequest: number | null;
  dbMsPerRequest: number | null;
  benchMsPerRequest: number | null;
  /** (API + database + bench CPU seconds) ÷ (window × cores): how busy the machine was, 0–1. */
  machineBusy: number | null;
}

/** One scenario at one N. */
export interface ScaleOutRun {
  key: string;
  name: string;
  method: string;
  path: string;
  expectedStatus: number;
  result: LoadResult | null;
  cpu?: CpuPerRequest;
  skipped?: string;
}

/** N API processes (TN_WORKERS=N) against the one database process. */
export interface ScaleOutPoint {
  processes: number;
  available: boolean;
  /** Why not, when not available. */
  reason?: string;
  /** The API processes whose CPU is counted: the primary first, then its workers (only the primary when N = 1). */
  apiPids?: number[];
  /** The 1, 5 and 15-minute load averages when this N started. */
  loadAvgAtStart?: number[];
  runs: ScaleOutRun[];
}

/** The scale-out rows of a run. */
export interface ScaleOutReport {
  /** os.cpus().length: N above it shares cores (and the bench's autocannon takes one of them). */
  cores: number;
  /** Clock ticks per second of /proc's CPU times (one tick is the resolution of each process's reading). */
  clockTicksPerSec: number;
  workers: number[];
  load: LoadOptions;
  /** How the database process was started, its pid, and whether it came up. */
  database: { command: string; pid?: number; available: boolean; reason?: string };
  /** Why the phase stopped before (or while) measuring: the database or the seeding failed. */
  error?: string;
  seeding?: Omit<SeedResult, 'benchUser'>;
  dataset: SeedGroup[];
  points: ScaleOutPoint[];
}

/** What runScaleOut needs from the command line. */
export interface ScaleOutOptions {
  workers: number[];
  load: LoadOptions;
  dataset: SeedGroup[];
  password: string;
}

/** The one database process of the scale-out rows. */
interface Database {
  pid: number;
  uri: string;
  stop(): Promise<void>;
}

/** Stops `child` with SIGTERM (a clean close), SIGKILL after `graceMs`. */
async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts `node dist/scripts/db.js` (what `npm run db` execs) in memory, with the API's production
 * environment, and resolves with the connection string it prints once on stdout.
 */
export function startDatabase(log: (line: string) => void, script = DB_SCRIPT, timeoutMs = 60_000): Promise<Database> {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...apiEnv(':memory:') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  const lastLines: string[] = [];
  return new Promise<Database>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${why}${lastLines.length ? `: ${lastLines.join(' / ')}` : ''}`));
    };
    const timer = setTimeout(() => fail(`no MONGODB_URI line after ${timeoutMs} ms`), timeoutMs);
    const onExit = (code: number | null) => fail(`exited with code ${code} during start-up`);
    child.once('error', (err) => fail(err.message));
    child.once('exit', onExit);
    for (const stream of [child.stdout, child.stderr]) {
      readline.createInterface({ input: stream }).on('line', (line) => {
        const uri = /^MONGODB_URI=(\S+)$/.exec(line)?.[1];
        if (uri && stream === child.stdout) {
          clearTimeout(timer);
          child.off('exit', onExit);
          resolve({ pid: child.pid ?? 0, uri, stop: () => stopChild(child) });
          return;
        }
        lastLines.push(line);
        if (lastLines.length > 5) lastLines.shift();
        log(`  [db] ${line}`);
      });
    }
  });
}

/**
 * Seeds the database at `dbUri` through the models (the API child of the other phases, connected
 * to it with MONGODB_URI) and logs in: the benchmark user for the reads, the second seeded user
 * for the creates. The child is stopped before anything is measured.
 */
async function seedDatabase(dbUri: string, options: ScaleOutOptions) {
  const seeder = await BenchChild.start({
    label: 'scale-out-seed',
    entry: 'serverProcess.js',
    env: { ...apiEnv(':memory:'), MONGODB_URI: dbUri },
    readyTimeoutMs: 120_000,
  });
  try {
    const seeded = await seeder.request<SeedResult>('seed', { spec: { groups: options.dataset, password: options.password } });
    const reader = await prepareContext(seeder.url, seeded.benchUser);
    const writerToken = await login(seeder.url, { email: benchEmail(2), password: options.password });
    const { benchUser: _benchUser, ...summary } = seeded;
    return { summary, reader, writer: { ...reader, token: writerToken } };
  } finally {
    await seeder.stop();
  }
}

/** CPU per request over one window, from the readings at its two ends. */
export function cpuPerRequest(input: {
  windowSec: number;
  apiSec: number | null;
  dbSec: number | null;
  benchSec: number;
  requests: number;
  cores: number;
}): CpuPerRequest {
  const { windowSec, apiSec, dbSec, benchSec, requests, cores } = input;
  // Four decimals: the tables show it as a whole percentage, and 0.985 (from 0.9848) would round to 99 %.
  const busy = apiSec === null || dbSec === null || windowSec <= 0 ? null : Math.round(((apiSec + dbSec + benchSec) / (windowSec * cores)) * 10000) / 10000;
  return {
    windowSec: Math.round(windowSec * 1000) / 1000,
    apiSec,
    dbSec,
    benchSec: Math.round(benchSec * 1000) / 1000,
    apiMsPerRequest: cpuMsPerRequest(apiSec, requests),
    dbMsPerRequest: cpuMsPerRequest(dbSec, requests),
    benchMsPerRequest: cpuMsPerRequest(benchSec, requests),
    machineBusy: busy,
  };
}

/**
 * Warms up, then measures `req` with the CPU of the API processes and of the database read just
 * before and just after autocannon's run (the warm-up is not counted).
 */
async function measureWithCpu(url: string, req: LoadRequest, load: LoadOptions, pids: { api: number[]; db: number }, ticksPerSec: number) {
  if (load.warmupSec > 0) await warmUp(url, req, load.connections, load.warmupSec);
  const all = [...pids.api, pids.db];
  const bench0 = process.cpuUsage();
  const before = cpuTicks(all);
  const t0 = performance.now();
  const result = await measure(url, req, { ...load, warmupSec: 0 });
  const windowSec = (performance.now() - t0) / 1000;
  const after = cpuTicks(all);
  const bench = process.cpuUsage(bench0);
  const pick = (m: Map<number, number | null>, wanted: number[]) => new Map(wanted.map((pid) => [pid, m.get(pid) ?? null]));
  const cpu = cpuPerRequest({
    windowSec,
    apiSec: cpuSecondsBetween(pick(before, pids.api), pick(after, pids.api), ticksPerSec),
    dbSec: cpuSecondsBetween(pick(before, [pids.db]), pick(after, [pids.db]), ticksPerSec),
    benchSec: (bench.user + bench.system) / 1e6,
    requests: result.requests,
    cores: os.cpus().length,
  });
  return { result, cpu };
}

/**
 * The load of one run at N API processes: the warm-up is N times the suite's, so each process
 * (which compiles its own hot code) gets as much warm-up traffic as the single one; cold code in
 * some processes would inflate the CPU per request of the larger N.
 */
export function warmupFor(count: number, load: LoadOptions): LoadOptions {
  return { ...load, warmupSec: load.warmupSec * count };
}

/** Starts TN_WORKERS=`count` and waits (bounded) until its workers are up; the API pids, primary first. */
async function startApiProcesses(count: number, dbUri: string): Promise<{ server: ScriptServer; pids: number[] }> {
  const server = await startWorkers(count, dbUri);
  // TN_WORKERS=1 is one process without a cluster primary: no workers to wait for.
  const expected = count > 1 ? count : 0;
  const workers = await awaitWorkers(server, expected);
  if (workers.length < expected) {
    await server.stop();
    throw new Error(`TN_WORKERS=${count} started ${workers.length} worker process(es) under the primary (pid ${server.pid})`);
  }
  return { server, pids: [server.pid, ...workers] };
}

/** One N: start the API processes, check each scenario answers as expected once, measure each. */
async function runPoint(
  count: number,
  db: Database,
  contexts: { reader: ScenarioContext; writer: ScenarioContext },
  options: ScaleOutOptions,
  ticksPerSec: number,
  log: (line: string) => void,
): Promise<ScaleOutPoint> {
  const point: ScaleOutPoint = { processes: count, available: false, loadAvgAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100), runs: [] };
  const unsupported = count > 1 ? workersUnsupported() : null;
  if (unsupported) {
    point.reason = unsupported;
    log(`  N=${count}: not available, ${unsupported}`);
    return point;
  }
  let server: ScriptServer | null = null;
  try {
    const started = await startApiProcesses(count, db.uri);
    server = started.server;
    point.apiPids = started.pids;
    point.available = true;
    const scenarios = SCALE_OUT_SCENARIOS.map((key) => SCENARIOS.find((s) => s.key === key)).filter((s) => s !== undefined);
    const ctxOf = (write: boolean) => (write ? contexts.writer : contexts.reader);
    for (const scenario of scenarios) {
      const req = scenario.request(ctxOf(scenario.write));
      const base = { key: scenario.key, name: scenario.name, method: req.method, path: req.path, expectedStatus: scenario.expectedStatus };
      const { failures } = await captureResponses(server.url, [scenario], ctxOf(scenario.write));
      const failure = failures.get(scenario.key);
      if (failure) {
        point.runs.push({ ...base, result: null, skipped: failure });
        log(`  N=${count} ${scenario.name}: not measured, ${failure}`);
        continue;
      }
      const { result, cpu } = await measureWithCpu(server.url, req, warmupFor(count, options.load), { api: started.pids, db: db.pid }, ticksPerSec);
      point.runs.push({ ...base, result, cpu });
      log(
        `  N=${count} ${scenario.name}: ${Math.round(result.rps)} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, ` +
          `unexpected ${result.unexpected}; CPU/request API ${cpu.apiMsPerRequest ?? '?'} ms, db ${cpu.dbMsPerRequest ?? '?'} ms, ` +
          `bench ${cpu.benchMsPerRequest ?? '?'} ms; machine ${cpu.machineBusy === null ? '?' : Math.round(cpu.machineBusy * 100)} % busy`,
      );
    }
  } catch (err) {
    point.available = false;
    point.reason = `start-up failed: ${(err as Error).message.split('\n')[0]}`;
    point.runs = [];
    log(`  N=${count}: not available, ${point.reason}`);
  } finally {
    await server?.stop();
  }
  return point;
}

/** The scale-out phase: one database process, then each N of `options.workers` in turn. */
export async function runScaleOut(options: ScaleOutOptions, log: (line: string) => void): Promise<ScaleOutReport> {
  const report: ScaleOutReport = {
    cores: os.cpus().length,
    clockTicksPerSec: clockTicksPerSecond(),
    workers: options.workers,
    load: options.load,
    database: { command: `node ${path.relative(process.cwd(), DB_SCRIPT)} (npm run db), TN_DATA_DIR=:memory:`, available: false },
    dataset: options.dataset,
    points: [],
  };
  log(`Scale-out: one database process (npm run db, in memory), API processes N = ${options.workers.join(', ')}`);
  let db: Database | null = null;
  try {
    db = await startDatabase(log);
    report.database.pid = db.pid;
    report.database.available = true;
    const { summary, reader, writer } = await seedDatabase(db.uri, options);
    report.seeding = summary;
    log(`  seeded ${summary.notes.toLocaleString('en-US')} notes, ${summary.users} users in ${(summary.totalMs / 1000).toFixed(1)} s`);
    for (const count of options.workers) report.points.push(await runPoint(count, db, { reader, writer }, options, report.clockTicksPerSec, log));
  } catch (err) {
    report.error = (err as Error).message.split('\n')[0];
    if (!report.database.available) report.database.reason = report.error;
    log(`  scale-out: not available, ${report.error}`);
  } finally {
    await db?.stop();
  }
  return report;
}
