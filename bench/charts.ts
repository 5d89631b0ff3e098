/**
 * The benchmark's charts, drawn from its own JSON as hand-written SVG (no dependency): line
 * charts with labelled axes (units in the labels), a legend, and a title naming the run (date
 * and commit). Written with stable names into a `charts/` folder next to the JSON, so the README
 * and docs/scaling.md can embed the latest run's:
 *
 * - `scale-out-throughput.svg`: requests/s against the number of API processes, one line per scenario;
 * - `scale-out-p99.svg`: p99 latency against the number of API processes;
 * - `scale-out-cpu.svg`: CPU ms per request (API processes, database process) against the number of API processes;
 * - `growth-latency.svg`: p50 latency of the growth rows against the big user's notes (log scale).
 *
 * A chart without data (a run without scale-out rows, or without growth) still gets its file,
 * saying "no data" and why, so an embedded image never shows a stale run's numbers.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { BenchReport, GrowthRow } from './report';

/** One line of a chart; a null y leaves a gap (not measured, or failed). */
export interface Series {
  name: string;
  points: Array<{ x: number; y: number | null }>;
  /** Drawn dashed (e.g. the database side next to the API side). */
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  /** The run the numbers come from (date, commit), under the title. */
  run?: string;
  /** What was measured; wrapped onto a second line when long. */
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  xScale: 'linear' | 'log';
  /** Where the x ticks go (default: every x of the data). */
  xTicks?: number[];
  formatX?: (x: number) => string;
  series: Series[];
  /** Said in the plot area when no series has a point. */
  emptyMessage?: string;
}

/** Outer size and the plot area's margins, in SVG units (pixels). */
const WIDTH = 820;
const HEIGHT = 440;
const MARGIN = { left: 78, right: 230, top: 96, bottom: 62 };
/** Colour-blind-safe palette (Okabe–Ito). */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A "nice" tick step (1, 2 or 5 × 10^k) giving about `count` ticks up to `max`. */
export function niceStep(max: number, count = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  return step;
}

/** A number as a tick label: thousands separated, as many decimals as the step needs. */
export function formatTick(value: number, step: number): string {
  const decimals = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step)));
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** 1,000 → "1k", 1,000,000 → "1M": the growth chart's x labels. */
export function formatCount(n: number): string {
  if (n >= 1e6 && n % 1e5 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 100 === 0) return `${n / 1e3}k`;
  return n.toLocaleString('en-US');
}

/** Splits `text` at spaces into lines of at most `width` characters (a word longer than that keeps its own line). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** Maps data x to the plot's pixels, linearly or on a log scale; a single value sits in the middle. */
function xMapper(spec: ChartSpec, xs: number[]): (x: number) => number {
  const f = spec.xScale === 'log' ? (x: number) => Math.log10(x) : (x: number) => x;
  const lo = Math.min(...xs.map(f));
  const hi = Math.max(...xs.map(f));
  const width = WIDTH - MARGIN.left - MARGIN.right;
  const pad = width * 0.06;
  if (hi === lo) return () => MARGIN.left + width / 2;
  return (x) => MARGIN.left + pad + ((f(x) - lo) / (hi - lo)) * (width - 2 * pad);
}

function frame(spec: ChartSpec, body: string[]): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeXml(spec.title)}">`,
    `<title>${escapeXml(spec.title)}</title>`,
    `<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="26" ${FONT} font-size="17" font-weight="600" fill="#222222">${escapeXml(spec.title)}</text>`,
    spec.run ? `<text x="${MARGIN.left}" y="45" ${FONT} font-size="12" fill="#333333">${escapeXml(spec.run)}</text>` : '',
    // About 6.5 px per character at 12 px: the subtitle keeps to the chart's width.
    ...wrap(spec.subtitle ?? '', Math.floor((WIDTH - MARGIN.left - 10) / 6.5))
      .slice(0, 2)
      .map((line, i) => `<text x="${MARGIN.left}" y="${63 + i * 15}" ${FONT} font-size="12" fill="#555555">${escapeXml(line)}</text>`),
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999999" stroke-width="1"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 16}" ${FONT} font-size="13" fill="#222222" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    `<text x="18" y="${MARGIN.top + plotH / 2}" ${FONT} font-size="13" fill="#222222" text-anchor="middle" transform="rotate(-90 18 ${MARGIN.top + plotH / 2})">${escapeXml(spec.yLabel)}</text>`,
    ...body,
    '</svg>',
    '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

/** A line chart of `spec` as an SVG document. */
export function renderChart(spec: ChartSpec): string {
  const points = spec.series.flatMap((s) => s.points.filter((p): p is { x: number; y: number } => p.y !== null && Number.isFinite(p.y)));
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  if (points.length === 0) {
    const lines = wrap(`no data: ${spec.emptyMessage ?? 'nothing measured in this run'}`, Math.floor(plotW / 8.5));
    return frame(
      spec,
      lines.map(
        (line, i) =>
          `<text class="no-data" x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH / 2 + (i - (lines.length - 1) / 2) * 20}" ${FONT} font-size="15" fill="#777777" text-anchor="middle">${escapeXml(line)}</text>`,
      ),
    );
  }
  const xTicks = spec.xTicks ?? [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  const xOf = xMapper(spec, [...xTicks, ...points.map((p) => p.x)]);
  const maxY = Math.max(...points.map((p) => p.y));
  const step = niceStep(maxY);
  const top = Math.max(step, Math.ceil(maxY / step) * step);
  const yOf = (y: number) => MARGIN.top + plotH - (y / top) * plotH;
  const formatX = spec.formatX ?? ((x: number) => x.toLocaleString('en-US'));
  const body: string[] = [];
  for (let y = 0; y <= top + step / 2; y += step) {
    const py = num(yOf(y));
    body.push(`<line x1="${MARGIN.left}" y1="${py}" x2="${MARGIN.left + plotW}" y2="${py}" stroke="#e5e5e5" stroke-width="1"/>`);
    body.push(`<text class="y-tick" x="${MARGIN.left - 8}" y="${py}" dy="4" ${FONT} font-size="12" fill="#444444" text-anchor="end">${formatTick(y, step)}</text>`);
  }
  for (const x of xTicks) {
    const px = num(xOf(x));
    body.push(`<line x1="${px}" y1="${MARGIN.top + plotH}" x2="${px}" y2="${MARGIN.top + plotH + 5}" stroke="#999999" stroke-width="1"/>`);
    body.push(`<text class="x-tick" x="${px}" y="${MARGIN.top + plotH + 20}" ${FONT} font-size="12" fill="#444444" text-anchor="middle">${escapeXml(formatX(x))}</text>`);
  }
  spec.series.forEach((series, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const dash = series.dashed ? ' stroke-dasharray="6 4"' : '';
    // Consecutive measured points are joined; a gap (null) breaks the line.
    const runs: Array<Array<{ x: number; y: number }>> = [[]];
    for (const p of series.points) {
      if (p.y === null || !Number.isFinite(p.y)) runs.push([]);
      else runs[runs.length - 1].push({ x: p.x, y: p.y });
    }
    body.push(`<g class="series" data-name="${escapeXml(series.name)}">`);
    for (const run of runs.filter((r) => r.length > 1)) {
      body.push(`<polyline fill="none" stroke="${colour}" stroke-width="2.2"${dash} points="${run.map((p) => `${num(xOf(p.x))},${num(yOf(p.y))}`).join(' ')}"/>`);
    }
    for (const p of runs.flat()) {
      body.push(`<circle cx="${num(xOf(p.x))}" cy="${num(yOf(p.y))}" r="4" fill="${colour}"><title>${escapeXml(`${series.name}: ${formatX(p.x)} → ${p.y}`)}</title></circle>`);
    }
    body.push('</g>');
    const ly = MARGIN.top + 12 + i * 22;
    const lx = WIDTH - MARGIN.right + 16;
    body.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${colour}" stroke-width="2.2"${dash}/>`);
    body.push(`<text class="legend" x="${lx + 32}" y="${ly}" dy="4" ${FONT} font-size="12" fill="#222222">${escapeXml(series.name)}</text>`);
  });
  return frame(spec, body);
}

/** "Thunder Notes bench, 2026-12-07 18:32 UTC, commit 9ecf847": the run each chart names under its title. */
export function runName(report: BenchReport): string {
  const when = `${report.date.slice(0, 10)} ${report.date.slice(11, 16)} UTC`;
  return `Thunder Notes bench, ${when}${report.config.gitCommit ? `, commit ${report.config.gitCommit}` : ''}${report.config.quick ? ' (--quick)' : ''}`;
}

/** The scale-out charts' series: one per scenario, y picked from each run. */
function scaleOutSeries(report: BenchReport, pick: (run: NonNullable<BenchReport['scaleOut']>['points'][number]['runs'][number]) => number | null): Series[] {
  const points = report.scaleOut?.points ?? [];
  const names = [...new Set(points.flatMap((p) => p.runs.map((r) => r.name)))];
  return names.map((name) => ({
    name,
    points: points.map((p) => {
      const run = p.runs.find((r) => r.name === name);
      return { x: p.processes, y: run?.result ? pick(run) : null };
    }),
  }));
}

function scaleOutSubtitle(report: BenchReport): string {
  const s = report.scaleOut;
  const load = s ? `${s.load.connections} connections, ${s.load.durationSec} s per run, ` : '';
  return `TN_WORKERS=N API processes on one npm run db (in memory); ${load}${s?.cores ?? report.machine.cores} cores shared with the load generator`;
}

const NO_SCALE_OUT = 'this run has no scale-out rows';

/** Growth rows by key, as drawn: the reference first. */
const GROWTH_LINES: Array<{ key: GrowthRow['key']; name: string }> = [
  { key: 'reference', name: 'reference: 100-note user' },
  { key: 'page1', name: 'page 1' },
  { key: 'pageMiddle', name: 'middle page' },
  { key: 'deepSort', name: 'deep page, other sort' },
  { key: 'note', name: 'one note by id' },
];

function growthChart(report: BenchReport): ChartSpec {
  const growth = report.growth.filter((g) => g.bigUserNotes > 0);
  const p50 = (row: GrowthRow | undefined) => (row?.result && row.result.requests > 0 && !row.error ? row.result.latencyMs.p50 : null);
  return {
    title: 'Latency against the notes a user holds',
    run: runName(report),
    subtitle: 'GET /notes?limit=10 pages and GET /notes/{id} of one user holding N notes, next to 100-note users',
    xLabel: "notes of the big user (log scale; the server holds 1.1 × as many)",
    yLabel: 'p50 latency (ms)',
    xScale: 'log',
    formatX: formatCount,
    series: GROWTH_LINES.map(({ key, name }) => ({
      name,
      points: growth.map((g) => ({ x: g.bigUserNotes, y: p50(key === 'reference' ? g.reference : g.rows.find((r) => r.key === key)) })),
    })),
    emptyMessage: 'this run has no growth rows',
  };
}

function cpuChart(report: BenchReport): ChartSpec {
  const api = scaleOutSeries(report, (run) => run.cpu?.apiMsPerRequest ?? null).map((s) => ({ ...s, name: `API: ${s.name}` }));
  const db = scaleOutSeries(report, (run) => run.cpu?.dbMsPerRequest ?? null).map((s) => ({ ...s, name: `db: ${s.name}`, dashed: true }));
  return {
    title: 'CPU per request against API processes',
    run: runName(report),
    subtitle: `${scaleOutSubtitle(report)}; from /proc utime+stime`,
    xLabel: 'API processes (TN_WORKERS)',
    yLabel: 'CPU per request (ms)',
    xScale: 'linear',
    series: [...api, ...db],
    emptyMessage: NO_SCALE_OUT,
  };
}

/** Every chart of a report, with its file name. */
export function chartsOf(report: BenchReport): Array<{ file: string; spec: ChartSpec }> {
  const scale = (title: string, yLabel: string, pick: Parameters<typeof scaleOutSeries>[1]): ChartSpec => ({
    title,
    run: runName(report),
    subtitle: scaleOutSubtitle(report),
    xLabel: 'API processes (TN_WORKERS)',
    yLabel,
    xScale: 'linear',
    series: scaleOutSeries(report, pick),
    emptyMessage: NO_SCALE_OUT,
  });
  return [
    { file: 'scale-out-throughput.svg', spec: scale('Throughput against API processes', 'throughput (requests/s)', (r) => r.result?.rps ?? null) },
    { file: 'scale-out-p99.svg', spec: scale('p99 latency against API processes', 'p99 latency (ms)', (r) => r.result?.latencyMs.p99 ?? null) },
    { file: 'scale-out-cpu.svg', spec: cpuChart(report) },
    { file: 'growth-latency.svg', spec: growthChart(report) },
  ];
}

/** Draws every chart of `report` into `dir`; returns the files written. */
export function writeCharts(report: BenchReport, dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return chartsOf(report).map(({ file, spec }) => {
    const target = path.join(dir, file);
    fs.writeFileSync(target, renderChart(spec));
    return target;
  });
}
