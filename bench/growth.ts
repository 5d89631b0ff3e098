/**
 * Growth: does a request cost the same whatever the size of the data behind it? For each size N
 * (e.g. 10k, 100k, 1M), a fresh in-memory API process is seeded with one user holding N notes
 * and, next to it, users with 100 notes each holding a tenth of N between them (at most 1,000
 * users: the rest of a real collection). On that one server:
 *
 * - the reference: a 100-note user's `GET /notes?limit=10` (page 1), run before and after the
 *   big user's rows; the faster run is the one compared with;
 * - the big user's page 1, the page in the middle of its notes (page 50,000 at 1M), a deep page
 *   in the other sort (`sort=createdAt&order=desc`, page 25,000 at 1M) and one note by id;
 *   each row's p50 is divided by the reference's p50 (issue 11: within 1.5×);
 * - the JavaScript heap after a forced GC once seeded, over every isolate of the process (the
 *   database may run in a worker thread), divided by the notes held (issue 11: ≤ 1 KB per note),
 *   and the process's peak RSS.
 */
import type { MemoryStats } from './ipc';
import type { HeapUsage } from './heap';
import { measure, warmUp, type LoadOptions, type LoadRequest } from './load';
import type { GrowthPoint, GrowthRow } from './report';
import { login } from './scenarios';
import { benchEmail, type SeedGroup, type SeedResult } from './seedData';
import { startApi } from './servers';

export const NOTES_PER_USER = 100;
/** Other users next to the big one: a tenth of its notes, in 100-note users, at most this many. */
export const MAX_OTHER_USERS = 1000;
export const PAGE_LIMIT = 10;

/** The seed of one growth point: the big user (user 1) first, then the 100-note users (user 2 is the reference). */
export function growthDataset(bigUserNotes: number): SeedGroup[] {
  const others = Math.min(MAX_OTHER_USERS, Math.max(1, Math.round(bigUserNotes / 10 / NOTES_PER_USER)));
  return [
    { users: 1, notesPerUser: bigUserNotes },
    { users: others, notesPerUser: NOTES_PER_USER },
  ];
}

/** The big user's requests for a user with `notes` notes: page 1, the middle page, a deep page sorted the other way. */
export function growthPaths(notes: number): Array<{ key: GrowthRow['key']; name: string; path: string }> {
  const pages = Math.max(1, Math.ceil(notes / PAGE_LIMIT));
  const middle = Math.max(1, Math.floor(pages / 2));
  const deep = Math.max(1, Math.floor(pages / 4));
  return [
    { key: 'page1', name: 'page 1', path: `/notes?limit=${PAGE_LIMIT}` },
    { key: 'pageMiddle', name: `page ${middle.toLocaleString('en-US')}`, path: `/notes?limit=${PAGE_LIMIT}&page=${middle}` },
    { key: 'deepSort', name: `createdAt desc, page ${deep.toLocaleString('en-US')}`, path: `/notes?limit=${PAGE_LIMIT}&sort=createdAt&order=desc&page=${deep}` },
  ];
}

/** row p50 ÷ reference p50, or null when either run had no answer to time. */
export function p50Ratio(row: { requests: number; latencyMs: { p50: number } } | undefined, reference: { requests: number; latencyMs: { p50: number } } | undefined): number | null {
  if (!row || !reference || row.requests === 0 || reference.requests === 0 || reference.latencyMs.p50 <= 0) return null;
  return Math.round((row.latencyMs.p50 / reference.latencyMs.p50) * 100) / 100;
}

const MiB = 1024 * 1024;

/** Of two runs of the reference, the one with the lower p50 among those that timed answers. */
export function fasterReference(a: GrowthRow, b: GrowthRow): GrowthRow {
  const p50 = (r: GrowthRow) => (r.result && r.result.requests > 0 && !r.error ? r.result.latencyMs.p50 : Infinity);
  return p50(b) < p50(a) ? b : a;
}

/**
 * Waits (at most `maxMs`) until `probe` (a cheap request that reaches the database) is answered
 * within `thresholdMs` again: after a run whose requests timed out, the server is still busy
 * with them, and the next row would measure that backlog instead of its own request.
 */
export async function settle(baseUrl: string, probe: LoadRequest, thresholdMs: number, log: (message: string) => void, maxMs = 120_000): Promise<boolean> {
  const started = performance.now();
  while (performance.now() - started < maxMs) {
    const t = performance.now();
    try {
      const res = await fetch(new URL(probe.path, baseUrl), { headers: probe.headers, signal: AbortSignal.timeout(30_000) });
      await res.arrayBuffer();
      if (performance.now() - t < thresholdMs) {
        log(`  (server idle again after ${((performance.now() - started) / 1000).toFixed(1)} s)`);
        return true;
      }
    } catch {
      // still busy
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  log(`  (server still busy after ${maxMs / 1000} s)`);
  return false;
}

export async function runGrowth(
  sizes: number[],
  options: LoadOptions,
  password: string,
  log: (message: string) => void,
): Promise<GrowthPoint[]> {
  const points: GrowthPoint[] = [];
  for (const bigUserNotes of sizes) {
    const groups = growthDataset(bigUserNotes);
    const others = groups[1];
    const point: GrowthPoint = {
      bigUserNotes,
      otherUsers: others.users,
      notesPerOtherUser: others.notesPerUser,
      totalNotes: bigUserNotes + others.users * others.notesPerUser,
      users: 1 + others.users,
      rows: [],
    };
    points.push(point);
    log(
      `growth: one user with ${bigUserNotes.toLocaleString('en-US')} notes + ${others.users.toLocaleString('en-US')} users × ${others.notesPerUser} ` +
        `(${point.totalNotes.toLocaleString('en-US')} notes)`,
    );
    // A large heap limit so millions of documents fit.
    const api = await startApi(`api-growth-${bigUserNotes}`, ':memory:', ['--max-old-space-size=12288']);
    try {
      const empty = await api.request<HeapUsage>('heap');
      const seeded = await api.request<SeedResult>('seed', { spec: { groups, password } });
      const { benchUser, ...seedSummary } = seeded;
      point.seed = seedSummary;
      log(`  seeded in ${(seeded.totalMs / 1000).toFixed(1)} s (${Math.round(seeded.notes / (seeded.notesMs / 1000)).toLocaleString('en-US')} notes/s)`);
      const heap = await api.request<HeapUsage>('heap');
      point.heap = {
        totalMiB: Math.round((heap.totalBytes / MiB) * 10) / 10,
        mainMiB: Math.round((heap.mainBytes / MiB) * 10) / 10,
        workersMiB: heap.workerBytes.map((b) => Math.round((b / MiB) * 10) / 10),
        emptyMiB: Math.round((empty.totalBytes / MiB) * 10) / 10,
        bytesPerNote: Math.round(heap.totalBytes / seeded.notes),
        addedBytesPerNote: Math.round((heap.totalBytes - empty.totalBytes) / seeded.notes),
      };
      const afterSeed = await api.request<MemoryStats>('stats');
      // Everything the process holds, off-heap buffers included: what "heap per note" cannot see.
      point.rssBytesPerNote = Math.round((afterSeed.rssMiB * MiB) / seeded.notes);
      log(`  heap after GC ${point.heap.totalMiB} MiB (${point.heap.bytesPerNote} bytes per note), RSS ${afterSeed.rssMiB} MiB`);

      const bigHeaders = { authorization: `Bearer ${await login(api.url, benchUser)}` };
      const refHeaders = { authorization: `Bearer ${await login(api.url, { email: benchEmail(2), password })}` };
      const run = async (key: GrowthRow['key'], name: string, req: LoadRequest): Promise<GrowthRow> => {
        const row: GrowthRow = { key, name, path: req.path };
        try {
          row.result = await measure(api.url, req, options);
          const r = row.result;
          log(`  ${name}: ${Math.round(r.rps)} req/s, p50 ${r.latencyMs.p50} ms, p99 ${r.latencyMs.p99} ms, unexpected ${r.unexpected}`);
        } catch (err) {
          row.error = (err as Error).message.split('\n')[0];
          log(`  ${name}: failed: ${row.error}`);
        }
        // Requests given up on are still being worked on: let them finish before the next row.
        if (row.error || (row.result?.errors ?? 0) > 0) await settle(api.url, reference, Math.max(100, 3 * (point.reference?.result?.latencyMs.p50 ?? 0)), log);
        return row;
      };
      const reference: LoadRequest = { method: 'GET', path: `/notes?limit=${PAGE_LIMIT}`, headers: refHeaders, expectedStatus: 200 };
      // A fresh process runs its first seconds unoptimised: warm both users' lists up before any
      // row is timed, so the first rows measured are not the cold ones.
      for (const req of [reference, { ...reference, headers: bigHeaders }]) {
        try {
          await warmUp(api.url, req, options.connections, Math.max(1, 3 * options.warmupSec));
        } catch {
          await settle(api.url, reference, 1000, log); // the row itself reports the failure
        }
      }
      const firstReference = await run('reference', '100-note user, page 1', reference);
      point.reference = firstReference;
      for (const { key, name, path } of growthPaths(bigUserNotes)) {
        point.rows.push(await run(key, name, { method: 'GET', path, headers: bigHeaders, expectedStatus: 200 }));
      }
      point.rows.push(await run('note', 'one note by id', { method: 'GET', path: `/notes/${benchUser.noteIds[0]}`, headers: bigHeaders, expectedStatus: 200 }));
      // The reference again, after the big user's rows: the faster of the two runs is the one
      // compared with, so a cold first run cannot flatter the big user's ratios.
      const secondReference = await run('reference', '100-note user, page 1 (again)', reference);
      point.referenceRuns = [firstReference, secondReference];
      point.reference = fasterReference(firstReference, secondReference);
      for (const row of point.rows) row.p50VsReference = p50Ratio(row.result, point.reference.result);
      const afterLoad = await api.request<MemoryStats>('stats');
      point.memory = { afterSeed, afterLoad };
    } catch (err) {
      point.error = (err as Error).message.split('\n')[0];
      log(`  failed: ${point.error}`);
    } finally {
      await api.stop();
    }
  }
  return points;
}
