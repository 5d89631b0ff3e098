/**
 * Health reports in the IETF health-check response format (draft-inadarei-api-health-check):
 * `status` pass | warn | fail, `checks` keyed `component:measurement`, each a list of results.
 * Liveness asks nothing of the database. Readiness pings it and makes one acknowledged write
 * (for the embedded server: a journal append and its fsync), each bounded by PROBE_TIMEOUT_MS.
 * Concurrent readiness requests share one probe and its result is reused for REUSE_MS, so
 * polling `/ready` cannot turn into a stream of journal writes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isConnected, pingDatabase, writeProbe } from '../models/HealthProbe';
import { PROJECT_ROOT } from '../utils/projectRoot';

/** How long a database probe may take before it counts as failed. */
export const PROBE_TIMEOUT_MS = 2000;
/** How long a readiness result is reused. */
export const REUSE_MS = 1000;

/** The draft's status values. */
export type HealthStatus = 'pass' | 'warn' | 'fail';

/** One check result. */
export interface CheckResult {
  componentType: string;
  status: HealthStatus;
  observedValue?: number;
  observedUnit?: string;
  time: string;
  output?: string;
}

/** A health response body. */
export interface HealthReport {
  status: HealthStatus;
  version: string;
  releaseId: string;
  serviceId: string;
  description: string;
  checks: Record<string, CheckResult[]>;
}

/** A readiness report and the internal reasons of any failure (for the log, not the client). */
export interface Readiness {
  report: HealthReport;
  failures: { check: string; err: unknown }[];
}

const RELEASE = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function report(status: HealthStatus, description: string, checks: Record<string, CheckResult[]>): HealthReport {
  return { status, version: RELEASE.split('.')[0], releaseId: RELEASE, serviceId: 'thunder-notes', description, checks };
}

/** The process is up and serving: no database involved. */
export function liveness(now: Date = new Date()): HealthReport {
  return report('pass', 'Thunder Notes API: process up', {
    'uptime': [{ componentType: 'system', status: 'pass', observedValue: Math.round(process.uptime()), observedUnit: 's', time: now.toISOString() }],
  });
}

class ProbeTimeout extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeTimeout(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Runs one probe; the client sees a short output, the log gets the error. */
async function probe(name: string, work: () => Promise<void>, failures: Readiness['failures']): Promise<CheckResult> {
  const started = performance.now();
  const time = new Date().toISOString();
  try {
    await withTimeout(work(), PROBE_TIMEOUT_MS);
    return { componentType: 'datastore', status: 'pass', observedValue: Math.round((performance.now() - started) * 100) / 100, observedUnit: 'ms', time };
  } catch (err) {
    failures.push({ check: name, err });
    const output = err instanceof ProbeTimeout ? err.message : `${name === 'database:write' ? 'write' : 'ping'} failed`;
    return { componentType: 'datastore', status: 'fail', time, output };
  }
}

async function probeDatabase(): Promise<Readiness> {
  const failures: Readiness['failures'] = [];
  if (!isConnected()) {
    // No command is sent while disconnected: mongoose would buffer it instead of failing.
    const time = new Date().toISOString();
    const down: CheckResult = { componentType: 'datastore', status: 'fail', time, output: 'not connected' };
    failures.push({ check: 'database', err: new Error('mongoose is not connected') });
    return { report: report('fail', 'Thunder Notes API: database not connected', { 'database:responseTime': [down], 'database:write': [down] }), failures };
  }
  const ping = await probe('database:responseTime', pingDatabase, failures);
  const write = await probe('database:write', () => writeProbe(), failures);
  const status: HealthStatus = ping.status === 'pass' && write.status === 'pass' ? 'pass' : 'fail';
  const description = status === 'pass' ? 'Thunder Notes API: ready' : 'Thunder Notes API: database not ready';
  return { report: report(status, description, { 'database:responseTime': [ping], 'database:write': [write] }), failures };
}

let inFlight: Promise<Readiness> | null = null;
let last: { at: number; result: Readiness } | null = null;

/** Whether the API can serve requests: the database answers and accepts writes. */
export async function readiness(): Promise<Readiness> {
  if (last && last.result.report.status === 'pass' && !isConnected()) last = null; // never report a stale pass
  // A reused result carries no failures: they were handed out (and logged) once already.
  if (last && Date.now() - last.at < REUSE_MS) return { report: last.result.report, failures: [] };
  if (inFlight) return { report: (await inFlight).report, failures: [] };
  inFlight = probeDatabase().finally(() => {
    inFlight = null;
  });
  const result = await inFlight;
  last = { at: Date.now(), result };
  return result;
}
