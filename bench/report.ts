/**
 * The benchmark's results: their JSON shape, and the tables printed to stdout and written as
 * markdown (bench/results/latest.md, included in the README): the scenarios against their
 * baselines, TN_WORKERS next to one process, the scale-out rows (N API processes on one
 * database process, with CPU per request), the peer, the write burst on disk and in memory,
 * growth, and issue 11's "Done when" table.
 */
import type { MemoryStats } from './ipc';
import type { LoadResult } from './load';
import { requestsPerCore } from './procCpu';
import type { ScaleOutReport } from './scaleOut';
import type { SeedGroup, SeedResult } from './seedData';
import { storageSections, type StorageReport } from './storageReport';
import { evaluateTargets, type TargetRow } from './targets';

/** Where the API under test keeps its data: in memory, journal on disk, or TN_WORKERS API processes on the in-memory database. */
export type Mode = 'memory' | 'disk' | 'workers';

export interface BaselineResult {
  kind: 'bare' | 'jwt';
  /** The scenario whose response this baseline reproduces. */
  scenario: string;
  method: string;
  path: string;
  status: number;
  result: LoadResult;
}

export interface ScenarioResult {
  mode: Mode;
  key: string;
  name: string;
  method: string;
  path: string;
  expectedStatus: number;
  baseline: 'bare' | 'jwt';
  result: LoadResult | null;
  baselineRps: number | null;
  /** API req/s ÷ baseline req/s. */
  ratio: number | null;
  /** 1/api − 1/baseline: what the API adds per request, in microseconds of server time. */
  addedUsPerRequest: number | null;
  /** Why the scenario was not measured (e.g. the route answered 404). */
  skipped?: string;
}

/** One request of a growth point. */
export interface GrowthRow {
  /** `reference`: a 100-note user's page 1; the others are the big user's. */
  key: 'reference' | 'page1' | 'pageMiddle' | 'deepSort' | 'note';
  name: string;
  path: string;
  result?: LoadResult;
  /** This row's p50 ÷ the reference's p50 (issue 11: ≤ 1.5). */
  p50VsReference?: number | null;
  error?: string;
}

/** One server: a user with `bigUserNotes` notes next to `otherUsers` users with `notesPerOtherUser` each. */
export interface GrowthPoint {
  bigUserNotes: number;
  otherUsers: number;
  notesPerOtherUser: number;
  totalNotes: number;
  users: number;
  seed?: Omit<SeedResult, 'benchUser'>;
  /** The reference run compared with: the faster of `referenceRuns`. */
  reference?: GrowthRow;
  /** The reference measured before and after the big user's rows. */
  referenceRuns?: GrowthRow[];
  rows: GrowthRow[];
  /** JavaScript heap after a forced GC once seeded, every isolate of the process (main thread and workers). */
  heap?: {
    totalMiB: number;
    mainMiB: number;
    workersMiB: number[];
    /** The same before seeding (an empty database). */
    emptyMiB: number;
    /** totalMiB ÷ notes held (issue 11: ≤ 1 KB). */
    bytesPerNote: number;
    /** (totalMiB − emptyMiB) ÷ notes: what each note adds. */
    addedBytesPerNote: number;
  };
  /** RSS once seeded ÷ notes: the whole process, buffers outside the JavaScript heap included. */
  rssBytesPerNote?: number;
  memory?: { afterSeed: MemoryStats; afterLoad: MemoryStats };
  error?: string;
}

/** The peer's answer to one of the API's reads. */
export interface PeerResult {
  /** The API scenario it is compared with. */
  key: 'note' | 'list' | 'listPage50';
  name: string;
  method: string;
  path: string;
  result: LoadResult | null;
  /** The API's req/s for the same read in this run (in memory, one process). */
  apiRps: number | null;
  /** API req/s ÷ peer req/s (issue 11: ≥ 1.3). */
  ratio: number | null;
  /** How our database runs the query the peer sends for this request (explain of its find). */
  plan?: { stage: string; stages?: string[]; indexName: string | null; docsExamined: number | null } | null;
  skipped?: string;
}

/** express-restify-mongoose over the API's database. */
export interface PeerReport {
  name: string;
  versions: Record<string, string>;
  results: PeerResult[];
  /** Why the peer was not measured at all (it failed to start, say). */
  skipped?: string;
}

/** The `TN_WORKERS` API processes (node:cluster), measured on the same in-memory database. */
export interface WorkersReport {
  count: number;
  available: boolean;
  /** Why not, when not available. */
  reason?: string;
  /** Worker processes seen under the primary. */
  processes?: number;
}

/** POST /notes at many connections, journal on disk and in memory. */
export interface WriteBurst {
  connections: number;
  memory: LoadResult | null;
  disk: LoadResult | null;
  /** disk req/s ÷ memory req/s (issue 11: ≥ 0.8). */
  ratio: number | null;
  skipped?: string;
}

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  arch: string;
}

export interface BenchReport {
  date: string;
  command: string;
  machine: Machine;
  config: {
    quick: boolean;
    connections: number;
    durationSec: number;
    warmupSec: number;
    nodeEnv: string;
    dataset: SeedGroup[];
    modes: Mode[];
    growthSizes: number[];
    /** The peer measured (express-restify-mongoose). */
    peer?: boolean;
    /** The storage phase run (bench/storage.ts). */
    storage?: boolean;
    /** TN_WORKERS measured with this many processes (0: not measured). */
    workers?: number;
    /** The scale-out rows' numbers of API processes ([]: not measured). */
    scaleOutWorkers?: number[];
    /** Connections of the write burst (POST /notes, disk and memory). */
    writeConnections?: number;
    gitCommit: string | null;
    notes: string[];
  };
  seeding: Partial<Record<Mode, Omit<SeedResult, 'benchUser'>>>;
  baselines: BaselineResult[];
  scenarios: ScenarioResult[];
  apiMemory: Partial<Record<Mode, MemoryStats>>;
  peer?: PeerReport | null;
  workers?: WorkersReport | null;
  writeBurst?: WriteBurst | null;
  /** N API processes against one `npm run db` (issue 17). */
  scaleOut?: ScaleOutReport | null;
  growth: GrowthPoint[];
  /** The storage phase (bench/storage.ts): sizes per document and index, heap per note, the journal. */
  storage?: StorageReport | null;
  /** Issue 11's targets as evaluated when the run ended (the tables recompute them). */
  targets?: TargetRow[];
  durationSec: number;
}

const BASELINE_NAMES = { bare: 'Express', jwt: 'Express+JWT' } as const;

function fmt(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  return value.toFixed(digits);
}

function fmtInt(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return Math.round(value).toLocaleString('en-US');
}

export type Table = { head: string[]; rows: string[][]; align: Array<'l' | 'r'> };

function toText(table: Table): string {
  const widths = table.head.map((h, i) => Math.max(h.length, ...table.rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (table.align[i] === 'r' ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [line(table.head), widths.map((w) => '-'.repeat(w)).join('  '), ...table.rows.map(line)].join('\n');
}

function toMarkdown(table: Table): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${table.head.map(esc).join(' | ')} |`,
    `|${table.align.map((a) => (a === 'r' ? ' ---: ' : ' --- ')).join('|')}|`,
    ...table.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

function scenarioTable(report: BenchReport): Table {
  const rows = report.scenarios.filter((s) => s.mode !== 'workers').map((s) => {
    if (!s.result) return [s.mode, s.name, '–', '–', '–', '–', '–', BASELINE_NAMES[s.baseline], '–', '–', '–', `skipped: ${(s.skipped ?? '').slice(0, 60)}`];
    const r = s.result;
    return [
      s.mode,
      s.name,
      fmtInt(r.rps),
      fmt(r.latencyMs.p50),
      fmt(r.latencyMs.p97_5),
      fmt(r.latencyMs.p99),
      String(r.unexpected),
      BASELINE_NAMES[s.baseline],
      fmtInt(s.baselineRps),
      fmt(s.ratio),
      fmtInt(s.addedUsPerRequest),
      '',
    ];
  });
  const head = ['db', 'scenario', 'req/s', 'p50 ms', 'p97.5 ms', 'p99 ms', 'unexpected', 'baseline', 'baseline req/s', 'ratio', '+µs/req', ''];
  const hasNotes = rows.some((r) => r[11] !== '');
  return {
    head: hasNotes ? head : head.slice(0, 11),
    rows: hasNotes ? rows : rows.map((r) => r.slice(0, 11)),
    align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'l'].slice(0, hasNotes ? 12 : 11) as Array<'l' | 'r'>,
  };
}

function baselineTable(report: BenchReport): Table {
  return {
    head: ['baseline', 'reproduces', 'status', 'req/s', 'p50 ms', 'p97.5 ms', 'p99 ms', 'unexpected', 'bytes/resp'],
    align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows: report.baselines.map((b) => [
      BASELINE_NAMES[b.kind],
      `${b.method} ${b.path.replace(/^\/notes\/\d+$/, '/notes/{id}')}`,
      String(b.status),
      fmtInt(b.result.rps),
      fmt(b.result.latencyMs.p50),
      fmt(b.result.latencyMs.p97_5),
      fmt(b.result.latencyMs.p99),
      String(b.result.unexpected),
      fmtInt(b.result.bytesPerResponse),
    ]),
  };
}

function growthTable(report: BenchReport): Table {
  const rows: string[][] = [];
  for (const g of report.growth) {
    const who = [fmtInt(g.bigUserNotes), fmtInt(g.totalNotes)];
    if (g.error && !g.reference) {
      rows.push([...who, `failed: ${g.error}`, '', '', '', '', '', '']);
      continue;
    }
    for (const r of [...(g.referenceRuns ?? [g.reference]), ...g.rows]) {
      if (!r) continue;
      const res = r.result;
      const timed = res && res.requests > 0;
      rows.push([
        ...who,
        r.key === 'reference' ? r.name : `big user: ${r.name}`,
        r.error ? `failed: ${r.error.slice(0, 60)}` : fmtInt(res?.rps),
        timed ? fmt(res.latencyMs.p50) : '–',
        timed ? fmt(res.latencyMs.p99) : '–',
        res ? String(res.unexpected) : '–',
        r.key === 'reference' ? (r === g.reference ? '1.00 (compared with)' : '') : fmt(r.p50VsReference),
        r.path,
      ]);
    }
  }
  return {
    head: ["big user's notes", 'total notes', 'request', 'req/s', 'p50 ms', 'p99 ms', 'unexpected', 'p50 ÷ reference', 'path'],
    align: ['r', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'l'],
    rows,
  };
}

function growthMemoryTable(report: BenchReport): Table {
  return {
    head: ["big user's notes", 'total notes', 'users', 'seed s', 'notes/s', 'heap after GC MiB', 'heap bytes/note', 'added bytes/note', 'RSS bytes/note', 'peak RSS MiB'],
    align: ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows: report.growth.map((g) => [
      fmtInt(g.bigUserNotes),
      fmtInt(g.totalNotes),
      fmtInt(g.users),
      fmt(g.seed ? g.seed.totalMs / 1000 : null, 1),
      fmtInt(g.seed && g.seed.notesMs > 0 ? g.seed.notes / (g.seed.notesMs / 1000) : null),
      g.heap ? `${fmt(g.heap.totalMiB, 1)}${g.heap.workersMiB.length ? ` (workers ${g.heap.workersMiB.map((w) => fmt(w, 1)).join(' + ')})` : ''}` : '–',
      fmtInt(g.heap?.bytesPerNote),
      fmtInt(g.heap?.addedBytesPerNote),
      fmtInt(g.rssBytesPerNote),
      fmtInt(g.memory ? Math.max(g.memory.afterLoad.peakRssMiB, g.memory.afterLoad.maxRssMiB) : null),
    ]),
  };
}

function modeLabel(report: BenchReport): string {
  return `TN_WORKERS=${report.workers?.count ?? 2}`;
}

/** TN_WORKERS next to one process, scenario by scenario, each with its ratio to the same baseline run. */
function workersTable(report: BenchReport): Table {
  const label = modeLabel(report);
  const rows = report.scenarios
    .filter((s) => s.mode === 'workers')
    .map((w) => {
      const one = report.scenarios.find((s) => s.mode === 'memory' && s.key === w.key);
      if (!w.result) return [w.name, fmtInt(one?.result?.rps), fmt(one?.ratio), '–', '–', '–', '–', '–', `skipped: ${(w.skipped ?? '').slice(0, 60)}`];
      const factor = one?.result && one.result.rps > 0 ? w.result.rps / one.result.rps : null;
      return [
        w.name,
        fmtInt(one?.result?.rps),
        fmt(one?.ratio),
        fmtInt(w.result.rps),
        fmt(w.ratio),
        fmt(factor),
        fmt(w.result.latencyMs.p50),
        String(w.result.unexpected),
        '',
      ];
    });
  return {
    head: ['scenario', '1 process req/s', 'ratio', `${label} req/s`, 'ratio', '× 1 process', `${label} p50 ms`, 'unexpected', ''],
    align: ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    rows,
  };
}

/** The scale-out rows: per N and scenario, throughput, latency and CPU per request of the API and the database. */
function scaleOutTable(scale: ScaleOutReport): Table {
  const rows: string[][] = [];
  for (const point of scale.points) {
    if (!point.available) {
      rows.push([String(point.processes), `not available: ${(point.reason ?? '').slice(0, 80)}`, ...Array<string>(11).fill('')]);
      continue;
    }
    for (const run of point.runs) {
      const one = scale.points.find((p) => p.processes === 1)?.runs.find((r) => r.key === run.key)?.result;
      const r = run.result;
      if (!r) {
        rows.push([String(point.processes), run.name, `skipped: ${(run.skipped ?? '').slice(0, 60)}`, ...Array<string>(10).fill('')]);
        continue;
      }
      const c = run.cpu;
      rows.push([
        String(point.processes),
        run.name,
        fmtInt(r.rps),
        fmt(one && one.rps > 0 ? r.rps / one.rps : null),
        fmt(r.latencyMs.p50),
        fmt(r.latencyMs.p99),
        String(r.unexpected),
        fmt(c?.apiMsPerRequest, 3),
        fmt(c?.dbMsPerRequest, 3),
        fmtInt(requestsPerCore(c && c.apiMsPerRequest !== null && c.dbMsPerRequest !== null ? c.apiMsPerRequest + c.dbMsPerRequest : null)),
        fmt(c?.benchMsPerRequest, 3),
        c?.machineBusy === null || c?.machineBusy === undefined ? '–' : `${Math.round(c.machineBusy * 100)} %`,
        fmt(r.loadAvg1m),
      ]);
    }
  }
  return {
    head: ['N', 'scenario', 'req/s', '× N=1', 'p50 ms', 'p99 ms', 'unexpected', 'API CPU ms/req', 'db CPU ms/req', 'req/core (API+db)', 'bench CPU ms/req', 'machine busy', 'load 1m'],
    align: ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows,
  };
}

/** The scale-out section: the table and how its CPU columns are computed. */
function scaleOutSection(scale: ScaleOutReport): { title: string; table?: Table; lines?: string[] } {
  const title =
    `Scale-out: N API processes (\`dist/src/server.js\` with TN_WORKERS=N, MONGODB_URI at one \`npm run db\` in memory), ` +
    `${scale.load.connections} connections, N × ${scale.load.warmupSec} s warm-up, ${scale.load.durationSec} s per run, on ${scale.cores} cores:`;
  const method =
    'CPU ms/req = CPU seconds (utime + stime from /proc/<pid>/stat, every thread; API = the primary and its workers, db = the database process) ' +
    `used during autocannon's run (after the warm-up) × 1000 ÷ responses in it; one reading is 1/${scale.clockTicksPerSec} s per process. ` +
    "req/core = 1000 ÷ (API + db CPU ms/req). bench = the load generator's own process on the same cores; machine busy = (API + db + bench CPU) ÷ (run × cores).";
  if (!scale.database.available || scale.points.length === 0) return { title, lines: [`not available: ${scale.error ?? scale.database.reason ?? 'unknown reason'}`] };
  return { title, table: scaleOutTable(scale), lines: ['', method, ...(scale.error ? [`stopped early: ${scale.error}`] : [])] };
}

function planText(plan: PeerResult['plan']): string {
  if (!plan) return '–';
  const examined = plan.docsExamined === null ? '' : `, ${fmtInt(plan.docsExamined)} examined`;
  return `${(plan.stages ?? [plan.stage]).join(' › ')}${plan.indexName ? ` ${plan.indexName}` : ''}${examined}`;
}

function peerTable(report: BenchReport): Table {
  const jwtRatio = (key: string) => report.scenarios.find((s) => s.mode === 'memory' && s.key === key)?.ratio;
  const ourName = (key: string) => report.scenarios.find((s) => s.key === key)?.name ?? key;
  return {
    head: ['API request', 'API req/s', 'peer request', 'peer req/s', 'peer p50 ms', 'peer p99 ms', 'unexpected', 'API ÷ peer', 'API ÷ Express+JWT', "peer's query on our database"],
    align: ['l', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    rows: (report.peer?.results ?? []).map((p) =>
      p.result
        ? [
            ourName(p.key),
            fmtInt(p.apiRps),
            p.name,
            fmtInt(p.result.rps),
            fmt(p.result.latencyMs.p50),
            fmt(p.result.latencyMs.p99),
            String(p.result.unexpected),
            fmt(p.ratio),
            fmt(jwtRatio(p.key)),
            planText(p.plan),
          ]
        : [ourName(p.key), fmtInt(p.apiRps), p.name, `skipped: ${(p.skipped ?? '').slice(0, 80)}`, '', '', '', '–', fmt(jwtRatio(p.key)), planText(p.plan)],
    ),
  };
}

function writeBurstTable(burst: WriteBurst): Table {
  const cells = (r: LoadResult | null) => (r ? [fmtInt(r.rps), fmt(r.latencyMs.p50), fmt(r.latencyMs.p99), String(r.unexpected)] : ['–', '–', '–', '–']);
  return {
    head: ['connections', 'memory req/s', 'p50 ms', 'p99 ms', 'unexpected', 'disk req/s', 'p50 ms', 'p99 ms', 'unexpected', 'disk ÷ memory'],
    align: ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows: [[String(burst.connections), ...cells(burst.memory), ...cells(burst.disk), fmt(burst.ratio)]],
  };
}

function targetsTable(targets: TargetRow[]): Table {
  return {
    head: ['issue 11 target', 'goal', 'measured', 'result', 'note'],
    align: ['l', 'l', 'l', 'l', 'l'],
    rows: targets.map((t) => [t.target, t.goal, t.measured, t.status, t.note ?? '']),
  };
}

/** The sections after the scenario table, as [title, table or line] pairs, shared by text and markdown. */
function sections(report: BenchReport): Array<{ title: string; table?: Table; lines?: string[] }> {
  const out: Array<{ title: string; table?: Table; lines?: string[] }> = [];
  const w = report.workers;
  if (w) {
    const title = `${modeLabel(report)} next to one process (node:cluster API processes, \`dist/src/server.js\`, on the in-memory API's database through MONGODB_URI; ratios to the same baseline runs):`;
    if (w.available) out.push({ title, table: workersTable(report) });
    else out.push({ title, lines: [`not available: ${w.reason ?? 'unknown reason'}`] });
  }
  if (report.scaleOut) out.push(scaleOutSection(report.scaleOut));
  const peer = report.peer;
  if (peer) {
    const v = peer.versions;
    const title =
      `Peer: ${peer.name} ${v['express-restify-mongoose'] ?? ''} (mongoose ${v.mongoose ?? '?'}, Express ${v.express ?? '?'}, its defaults, no auth) ` +
      'over the same database in its own process; API ÷ peer = API req/s ÷ peer req/s for the same notes:';
    if (peer.skipped) out.push({ title, lines: [`not measured: ${peer.skipped}`] });
    else out.push({ title, table: peerTable(report) });
  }
  const burst = report.writeBurst;
  if (burst) {
    const title = `POST /notes at ${burst.connections} connections, journal on disk and in memory (each on its own freshly seeded API):`;
    if (burst.skipped) out.push({ title, lines: [`not measured: ${burst.skipped}`] });
    else out.push({ title, table: writeBurstTable(burst) });
  }
  if (report.growth.length) {
    out.push({
      title:
        "Growth: one user holding many notes next to 100-note users, on one server per size; p50 ÷ reference = the row's p50 ÷ a 100-note user's page 1 on the same server:",
      table: growthTable(report),
    });
    out.push({
      title: 'Growth, seeding and memory (heap after a forced GC once seeded, every isolate; RSS once seeded and peak RSS of the server process):',
      table: growthMemoryTable(report),
    });
  }
  out.push(...storageSections(report.storage));
  out.push({ title: 'Issue 11, "Done when":', table: targetsTable(evaluateTargets(report)) });
  return out;
}

function footer(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const mode of ['memory', 'disk'] as const) {
    const seed = report.seeding[mode];
    const mem = report.apiMemory[mode];
    if (!seed && !mem) continue;
    const parts: string[] = [];
    if (seed) parts.push(`seeded ${fmtInt(seed.notes)} notes and ${fmtInt(seed.users)} users in ${fmt(seed.totalMs / 1000, 1)} s`);
    if (mem) parts.push(`after the runs RSS ${fmtInt(mem.rssMiB)} MiB, peak ${fmtInt(Math.max(mem.peakRssMiB, mem.maxRssMiB))} MiB, heap ${fmtInt(mem.heapUsedMiB)} MiB`);
    lines.push(`API ${mode === 'memory' ? 'in memory' : 'with the journal on disk'}: ${parts.join('; ')}.`);
  }
  return lines;
}

function header(report: BenchReport): string[] {
  const m = report.machine;
  const c = report.config;
  return [
    `${report.date} · ${m.cores} × ${m.cpuModel} · ${m.memoryGiB} GiB · Node ${m.node} · ${m.platform}/${m.arch}` +
      (c.gitCommit ? ` · commit ${c.gitCommit}` : ''),
    `${c.connections} connections, ${c.warmupSec} s warm-up, ${c.durationSec} s per run, NODE_ENV=${c.nodeEnv}; ` +
      `data: ${c.dataset.map((g) => `${fmtInt(g.users)} user(s) × ${fmtInt(g.notesPerUser)} notes`).join(' + ')}`,
  ];
}

/** The plain-text report printed at the end of a run. */
export function renderText(report: BenchReport): string {
  const parts = [...header(report)];
  if (report.scenarios.some((x) => x.mode !== 'workers')) parts.push('', toText(scenarioTable(report)), ...footer(report), '', 'Baselines:', toText(baselineTable(report)));
  for (const section of sections(report)) {
    parts.push('', section.title, ...(section.table ? [toText(section.table)] : []), ...(section.lines ?? []));
  }
  if (report.config.notes.length) parts.push('', ...report.config.notes.map((n) => `Note: ${n}`));
  return parts.join('\n');
}

/** The markdown written to bench/results/latest.md. */
export function renderMarkdown(report: BenchReport): string {
  const parts = [`Command: \`${report.command}\``, '', ...header(report).map((l) => `${l}  `)];
  if (report.scenarios.some((x) => x.mode !== 'workers')) {
    parts.push(
      '',
      'ratio = API req/s ÷ the baseline\'s req/s for the same request and response size; +µs/req = 10⁶/API req/s − 10⁶/baseline req/s.',
      '',
      toMarkdown(scenarioTable(report)),
      '',
      ...footer(report).map((l) => `${l}  `),
      '',
      'Baselines (bare Express 5 in their own process, same status and body as the API):',
      '',
      toMarkdown(baselineTable(report)),
    );
  }
  for (const section of sections(report)) {
    parts.push('', section.title, '', ...(section.table ? [toMarkdown(section.table)] : []), ...(section.lines ?? []));
  }
  if (report.config.notes.length) parts.push('', ...report.config.notes.map((n) => `- ${n}`));
  return `${parts.join('\n')}\n`;
}
