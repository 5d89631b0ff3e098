/**
 * The scale-out phase for real (issue 17, part 4), as `npm run bench -- --quick --scale-out-only`
 * runs it from the build: one `npm run db` process, then TN_WORKERS=1 and TN_WORKERS=2 against
 * it, short runs. Checks what the JSON claims against the process table: the database and the
 * API processes it counted existed, the CPU per request is positive on both sides, every answer
 * was the expected one, nothing is left running afterwards, and the table and charts are written.
 * In the slow project (jest.config.js): it builds dist/ when src/ changed and starts real processes.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchReport } from '../../bench/report';
import { buildIfNeeded, ROOT } from '../helpers/serverProcess';
import { findAll, parseXml } from '../helpers/xml';
import { makeTempDir, removeDir } from '../helpers/tmp';

jest.setTimeout(180_000);

const describeLinux = fs.existsSync('/proc/self/stat') ? describe : describe.skip;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describeLinux('scale-out phase (built bench, npm run db, TN_WORKERS=1 and 2)', () => {
  let out: string;
  let report: BenchReport;
  let stdout = '';
  let code: number | null = null;

  beforeAll(async () => {
    await buildIfNeeded();
    out = makeTempDir('tn-scale-run-');
    const argv = ['--quick', '--scale-out-only', '--scale-out-workers', '1,2', '--duration', '1', '--warmup', '0.2', '--connections', '4', '--out', out];
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'bench', 'run.js'), ...argv], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    const json = fs.readdirSync(out).find((f) => f.endsWith('-quick-scale-out-only.json'));
    if (!json) throw new Error(`no JSON written (exit ${code}): ${stderr.slice(-2000)}`);
    report = JSON.parse(fs.readFileSync(path.join(out, json), 'utf8')) as BenchReport;
  }, 240_000);

  afterAll(() => {
    if (out) removeDir(out);
  });

  it('exits 0 and measures every scenario at N = 1 and 2 with only expected answers', () => {
    expect(code).toBe(0);
    const scale = report.scaleOut;
    expect(scale?.database.available).toBe(true);
    expect(scale?.cores).toBe(os.cpus().length);
    expect(scale?.points.map((p) => [p.processes, p.available, p.reason])).toEqual([
      [1, true, undefined],
      [2, true, undefined],
    ]);
    for (const point of scale?.points ?? []) {
      expect(point.runs.map((r) => r.key)).toEqual(['note', 'list', 'create']);
      expect(point.loadAvgAtStart).toHaveLength(3);
      for (const run of point.runs) {
        expect(run.result?.requests).toBeGreaterThan(0);
        expect(run.result?.unexpected).toBe(0);
      }
    }
    // Only the scale-out phase ran.
    expect(report.scenarios).toEqual([]);
    expect(report.growth).toEqual([]);
  });

  it('counts the primary and its workers for N = 2, the lone process for N = 1, and CPU on both sides', () => {
    const [one, two] = report.scaleOut?.points ?? [];
    expect(one.apiPids).toHaveLength(1);
    expect(two.apiPids).toHaveLength(3);
    expect(new Set([...(one.apiPids ?? []), ...(two.apiPids ?? []), report.scaleOut?.database.pid]).size).toBe(5);
    for (const run of [...one.runs, ...two.runs]) {
      const cpu = run.cpu;
      expect(cpu?.apiMsPerRequest).toBeGreaterThan(0);
      expect(cpu?.apiSec).toBeGreaterThan(0);
      expect(cpu?.dbSec).toBeGreaterThanOrEqual(0);
      expect(cpu?.dbMsPerRequest).toBeCloseTo(((cpu?.dbSec ?? 0) * 1000) / (run.result?.requests ?? 1), 3);
      // CPU cannot exceed the cores × the window.
      expect(cpu?.machineBusy).toBeGreaterThan(0);
      expect(cpu?.machineBusy).toBeLessThanOrEqual(1.05);
    }
    // The database answered every request: over all six runs its CPU shows (one reading is one 10 ms tick).
    expect([...one.runs, ...two.runs].reduce((sum, run) => sum + (run.cpu?.dbSec ?? 0), 0)).toBeGreaterThan(0);
  });

  it('leaves no database or API process running', () => {
    const pids = [report.scaleOut?.database.pid ?? 0, ...(report.scaleOut?.points ?? []).flatMap((p) => p.apiPids ?? [])];
    expect(pids.filter(alive)).toEqual([]);
  });

  it('prints and writes the table and the charts', () => {
    expect(stdout).toMatch(/Scale-out: N API processes/);
    expect(stdout).toMatch(/\n2\s+POST \/notes\s+[\d,]+\s+\d+\.\d\d/);
    expect(fs.readFileSync(path.join(out, 'latest-quick-scale-out-only.md'), 'utf8')).toContain('| N | scenario | req/s |');
    const svg = parseXml(fs.readFileSync(path.join(out, 'charts', 'scale-out-throughput.svg'), 'utf8'));
    expect(findAll(svg, 'circle')).toHaveLength(6);
  });
});
