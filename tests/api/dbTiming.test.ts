/**
 * tn_db_command_duration_seconds comes from timing each command where the API sends it, not from
 * the driver's command monitoring (which builds an event and decodes every reply in full for it).
 */
import mongoose from 'mongoose';
import request from 'supertest';
import { app } from '../../src/app';
import { registry } from '../../src/metrics';
import { timed } from '../../src/models/commands';
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

  it('a list counts one count and one find, a create one findAndModify and one insert', async () => {
    const user = await newUser('Timed');
    expect((await request(app).get('/notes').set(user.auth)).status).toBe(200); // the caller's user is now remembered
    const before = { count: await observed('count', 'ok'), find: await observed('find', 'ok'), findAndModify: await observed('findAndModify', 'ok'), insert: await observed('insert', 'ok') };

    expect((await request(app).get('/notes').set(user.auth)).status).toBe(200);
    await newNote(user, 'timed');

    expect(await observed('count', 'ok')).toBe(before.count + 1);
    expect(await observed('find', 'ok')).toBe(before.find + 1);
    expect(await observed('findAndModify', 'ok')).toBe(before.findAndModify + 1);
    expect(await observed('insert', 'ok')).toBe(before.insert + 1);
  });

  it('a command that fails is counted with outcome error, and its error reaches the caller unchanged', async () => {
    const failedBefore = await observed('find', 'error');
    const refused = new Error('refused');

    await expect(timed('find', () => Promise.reject(refused))).rejects.toBe(refused);

    expect(await observed('find', 'error')).toBe(failedBefore + 1);
  });
});
