/**
 * Growth: does one user's request cost stay flat as the collection grows? For each total
 * (e.g. 10k, 100k, 1M notes, 100 per user), a fresh in-memory API process is seeded, then the
 * first user's `GET /notes?limit=10` and `GET /notes/{id}` are measured, and the process's
 * memory is read (heap after a forced GC once seeded; peak RSS over seeding and load).
 */
import type { MemoryStats } from './ipc';
import { measure, type LoadOptions } from './load';
import type { GrowthPoint } from './report';
import { login } from './scenarios';
import type { SeedResult } from './seedData';
import { startApi } from './servers';

export const NOTES_PER_USER = 100;

export async function runGrowth(
  sizes: number[],
  options: LoadOptions,
  password: string,
  log: (message: string) => void,
): Promise<GrowthPoint[]> {
  const points: GrowthPoint[] = [];
  for (const totalNotes of sizes) {
    const users = Math.max(1, Math.round(totalNotes / NOTES_PER_USER));
    const point: GrowthPoint = { totalNotes: users * NOTES_PER_USER, users, notesPerUser: NOTES_PER_USER };
    points.push(point);
    log(`growth: ${point.totalNotes.toLocaleString('en-US')} notes (${users.toLocaleString('en-US')} users × ${NOTES_PER_USER})`);
    // A large heap limit so 1M documents fit; --expose-gc for the after-seed heap figure.
    const api = await startApi(`api-${point.totalNotes}`, ':memory:', ['--max-old-space-size=12288', '--expose-gc']);
    try {
      const seeded = await api.request<SeedResult>('seed', { spec: { groups: [{ users, notesPerUser: NOTES_PER_USER }], password } });
      const { benchUser, ...seedSummary } = seeded;
      point.seed = seedSummary;
      log(`  seeded in ${(seeded.totalMs / 1000).toFixed(1)} s`);
      await api.request('gc');
      const afterSeed = await api.request<MemoryStats>('stats');
      const token = await login(api.url, benchUser);
      const headers = { authorization: `Bearer ${token}` };
      point.list = await measure(api.url, { method: 'GET', path: '/notes?limit=10', headers, expectedStatus: 200 }, options);
      point.note = await measure(api.url, { method: 'GET', path: `/notes/${benchUser.noteIds[0]}`, headers, expectedStatus: 200 }, options);
      const afterLoad = await api.request<MemoryStats>('stats');
      point.memory = { afterSeed, afterLoad };
      log(
        `  list ${Math.round(point.list.rps)} req/s p50 ${point.list.latencyMs.p50} ms p99 ${point.list.latencyMs.p99} ms; ` +
          `note ${Math.round(point.note.rps)} req/s p50 ${point.note.latencyMs.p50} ms p99 ${point.note.latencyMs.p99} ms; ` +
          `peak RSS ${Math.max(afterLoad.peakRssMiB, afterLoad.maxRssMiB)} MiB`,
      );
    } catch (err) {
      point.error = (err as Error).message.split('\n')[0];
      log(`  failed: ${point.error}`);
    } finally {
      await api.stop();
    }
  }
  return points;
}
