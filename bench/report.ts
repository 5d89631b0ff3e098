/**
 * The benchmark's results: their JSON shape, and the tables printed to stdout and written as
 * markdown (bench/results/latest.md, included in the README).
 */
import type { MemoryStats } from './ipc';
import type { LoadResult } from './load';
import type { SeedGroup, SeedResult } from './seedData';

export type Mode = 'memory' | 'disk';

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

export interface GrowthPoint {
  totalNotes: number;
  users: number;
  notesPerUser: number;
  seed?: Omit<SeedResult, 'benchUser'>;
  list?: LoadResult;
  note?: LoadResult;
  memory?: { afterSeed: MemoryStats; afterLoad: MemoryStats };
  error?: string;
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
    gitCommit: string | null;
    notes: string[];
  };
  seeding: Partial<Record<Mode, Omit<SeedResult, 'benchUser'>>>;
  baselines: BaselineResult[];
  scenarios: ScenarioResult[];
  apiMemory: Partial<Record<Mode, MemoryStats>>;
  growth: GrowthPoint[];
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

type Table = { head: string[]; rows: string[][]; align: Array<'l' | 'r'> };

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
  const rows = report.scenarios.map((s) => {
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
  return {
    head: [
      'total notes',
      'users',
      'seed s',
      'list req/s',
      'list p50 ms',
      'list p99 ms',
      'note req/s',
      'note p50 ms',
      'note p99 ms',
      'unexpected',
      'peak RSS MiB',
      'heap after GC MiB',
    ],
    align: ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    rows: report.growth.map((g) =>
      g.error
        ? [fmtInt(g.totalNotes), fmtInt(g.users), fmt(g.seed ? g.seed.totalMs / 1000 : null, 1), `failed: ${g.error}`, '', '', '', '', '', '', '', '']
        : [
            fmtInt(g.totalNotes),
            fmtInt(g.users),
            fmt(g.seed ? g.seed.totalMs / 1000 : null, 1),
            fmtInt(g.list?.rps),
            fmt(g.list?.latencyMs.p50),
            fmt(g.list?.latencyMs.p99),
            fmtInt(g.note?.rps),
            fmt(g.note?.latencyMs.p50),
            fmt(g.note?.latencyMs.p99),
            String((g.list?.unexpected ?? 0) + (g.note?.unexpected ?? 0)),
            fmtInt(g.memory ? Math.max(g.memory.afterLoad.peakRssMiB, g.memory.afterLoad.maxRssMiB) : null),
            fmtInt(g.memory?.afterSeed.heapUsedMiB),
          ],
    ),
  };
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
  const parts = [...header(report), '', toText(scenarioTable(report)), ...footer(report), '', 'Baselines:', toText(baselineTable(report))];
  if (report.growth.length) {
    parts.push('', "Growth (one user's 100 notes; total notes across users grow):", toText(growthTable(report)));
  }
  if (report.config.notes.length) parts.push('', ...report.config.notes.map((n) => `Note: ${n}`));
  return parts.join('\n');
}

/** The markdown written to bench/results/latest.md. */
export function renderMarkdown(report: BenchReport): string {
  const parts = [
    `Command: \`${report.command}\``,
    '',
    ...header(report).map((l) => `${l}  `),
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
  ];
  if (report.growth.length) {
    parts.push(
      '',
      "Growth: one user's `GET /notes?limit=10` and `GET /notes/{id}` (that user has 100 notes) as the total grows; peak RSS of the server process.",
      '',
      toMarkdown(growthTable(report)),
    );
  }
  if (report.config.notes.length) parts.push('', ...report.config.notes.map((n) => `- ${n}`));
  return `${parts.join('\n')}\n`;
}
