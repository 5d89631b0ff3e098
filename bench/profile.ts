/**
 * `npm run bench -- --profile [--scenario list] [--duration 10]`: finds where the API spends its
 * time per request. Starts the API in memory, seeds the standard data set, warms up, then runs
 * V8's CPU profiler in the server process (the profiler behind `node --cpu-prof`) while
 * autocannon drives one scenario, writes the `.cpuprofile` under bench/tmp/profiles/ and prints
 * the summary (top self-time functions, self and inclusive time per package, µs per request).
 */
import path from 'node:path';
import fs from 'node:fs';
import type { BenchChild } from './children';
import { measure, warmUp, type LoadOptions } from './load';
import { SCENARIOS, prepareContext } from './scenarios';
import type { SeedGroup, SeedResult } from './seedData';
import { startApi } from './servers';
import { renderSummary, summarize, type CpuProfile, type ProfileSummary } from './summarizeProfile';

export interface ProfileOptions {
  scenarioKey: string;
  load: LoadOptions;
  dataset: SeedGroup[];
  password: string;
  outDir: string;
  intervalUs: number;
}

export interface ProfileRun {
  file: string;
  scenario: string;
  requests: number;
  rps: number;
  summary: ProfileSummary;
}

export async function runProfile(options: ProfileOptions, log: (message: string) => void): Promise<ProfileRun> {
  const scenario = SCENARIOS.find((s) => s.key === options.scenarioKey);
  if (!scenario) throw new Error(`unknown scenario ${options.scenarioKey}; one of ${SCENARIOS.map((s) => s.key).join(', ')}`);
  let api: BenchChild | null = null;
  try {
    api = await startApi('api-profile', ':memory:');
    log('profile: seeding');
    const seeded = await api.request<SeedResult>('seed', { spec: { groups: options.dataset, password: options.password } });
    const ctx = await prepareContext(api.url, seeded.benchUser);
    const req = scenario.request(ctx);
    log(`profile: warming up ${scenario.name}`);
    await warmUp(api.url, req, options.load.connections, Math.max(2, options.load.warmupSec));
    const file = path.join(options.outDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${scenario.key}.cpuprofile`);
    await api.request('profileStart', { intervalUs: options.intervalUs });
    log(`profile: ${options.load.durationSec} s of ${scenario.name} under the profiler`);
    const result = await measure(api.url, req, { ...options.load, warmupSec: 0 });
    await api.request('profileStop', { file });
    log(`profile: written to ${path.relative(process.cwd(), file)} (${result.requests} requests, ${Math.round(result.rps)} req/s under the profiler)`);
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
    // Requests counted by the client during the profiled window; the window also includes the
    // IPC round trips around it, a few ms.
    const summary = summarize(profile, 25, result.requests);
    return { file, scenario: scenario.name, requests: result.requests, rps: result.rps, summary };
  } finally {
    await api?.stop();
  }
}

export { renderSummary };
