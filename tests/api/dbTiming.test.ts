/**
 * tn_db_command_duration_seconds comes from timing each command where the API sends it, not from
 * the driver's command monitoring (which builds an event and decodes every reply in full for it).
 */
import mongoose from 'mongoose';
import request from 'supertest';
import { app } from '../../src/app';
import { registry } from '../../src/metrics';
import { plansFacets, timed } from '../../src/models/commands';
import { Note } from '../../src/models/Note';
import { useTestDb } from '../helpers/db';
import { newNote, newUser } from './helpers';

useTestDb();

/** The count of one series of the histogram, 0 when it has none yet. */
async function observed(command: string, outcome: string): Promise<number> {
  const metric = await registry.getSingleMetric('tn_db_command_duration_seconds')?.get();
  const value = metric?.values.find((v) => (v as { metricName?: string }).metricName === 'tn_db_command_duration_seconds_count' && v.labels.command === command && v.labels.outcome === outcome);
  return value?.value ?? 0;
}

describe('database command timing', () => {
  it("the app's connection does not monitor commands", () => {
    expect(mongoose.connection.getClient().options.monitorCommands).toBe(false);
  });

  it('a list counts one aggregate (embedded server) or one count and one find (MongoDB), a create one findAndModify and one insert', async () => {
    const facets = await plansFacets(Note);
    const user = await newUser('Timed');
    expect((await request(app).get('/notes').set(user.auth)).status).toBe(200); // the caller's user is now remembered
    const names = ['aggregate', 'count', 'find', 'findAndModify', 'insert'] as const;
    const before = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await observed(n, 'ok')] as const)));

    expect((await request(app).get('/notes').set(user.auth)).status).toBe(200);
    await newNote(user, 'timed');

    const after = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await observed(n, 'ok')] as const)));
    const added = Object.fromEntries(names.map((n) => [n, after[n] - before[n]]));
    expect(added).toEqual(facets ? { aggregate: 1, count: 0, find: 0, findAndModify: 1, insert: 1 } : { aggregate: 0, count: 1, find: 1, findAndModify: 1, insert: 1 });
  });

  it('a command that fails is counted with outcome error, and its error reaches the caller unchanged', async () => {
    const failedBefore = await observed('find', 'error');
    const refused = new Error('refused');

    await expect(timed('find', () => Promise.reject(refused))).rejects.toBe(refused);

    expect(await observed('find', 'error')).toBe(failedBefore + 1);
  });
});
