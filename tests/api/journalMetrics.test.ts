/**
 * The embedded server's journal in /metrics: fsyncs, their time, commits, and whether writes are
 * taken, read from the journal's own counters at scrape time.
 */
import request from 'supertest';
import { app } from '../../src/app';
import { connect, type DbHandle } from '../../src/db';
import { observeStorage } from '../../src/metrics';
import { Note } from '../../src/models/Note';
import { usingRealMongo } from '../helpers/mongoTarget';
import { makeTempDir, removeDir } from '../helpers/tmp';

/** The value of one unlabelled sample in Prometheus text. */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no sample ${name} in:\n${text}`);
  return Number(line.slice(name.length + 1));
}

const describeJournal = usingRealMongo ? describe.skip : describe;

describeJournal('journal metrics (embedded server with a data directory)', () => {
  let dir: string;
  let db: DbHandle;

  beforeAll(async () => {
    dir = makeTempDir('tn-metrics-');
    db = await connect({ uri: '', dataDir: dir, dbName: 'tn_metrics' });
    observeStorage(db.embedded!);
  });

  afterAll(async () => {
    await db.close();
    removeDir(dir);
  });

  it('counts fsyncs, their seconds and commits, and reports the journal writable', async () => {
    const before = (await request(app).get('/metrics')).text;
    for (let i = 0; i < 3; i++) await Note.create({ id: `m${i}`, seq: 900_000 + i, owner: 'metrics', text: 'x', createdAt: 1, updatedAt: 1 });
    const after = (await request(app).get('/metrics')).text;

    expect(sample(after, 'tn_journal_fsyncs_total')).toBeGreaterThanOrEqual(sample(before, 'tn_journal_fsyncs_total') + 1);
    expect(sample(after, 'tn_journal_commits_total')).toBeGreaterThanOrEqual(sample(before, 'tn_journal_commits_total') + 3);
    expect(sample(after, 'tn_journal_fsync_seconds_total')).toBeGreaterThan(0);
    expect(sample(after, 'tn_journal_writable')).toBe(1);
    expect(sample(after, 'tn_journal_failures_total')).toBe(0);
  });
});
