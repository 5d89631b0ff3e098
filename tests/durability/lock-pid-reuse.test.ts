/**
 * A restart whose new process has the same pid as the killed one (a container restarted after a
 * SIGKILL, where the server is pid 1 both times) finds a LOCK naming its own pid. That lock is
 * stale and must be taken over; only a lock this process really holds refuses a second open.
 * Outside a test this needs a fresh pid namespace, e.g. `unshare -pf --mount-proc node
 * dist/src/server.js`, killed and started again on the same TN_DATA_DIR.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Mutation } from '../../src/embedded-mongo/storage/persistence';
import { JournalPersistence } from '../../src/embedded-mongo/storage/journal';
import { makeTempDir, removeDir } from '../helpers/tmp';

let root: string;
beforeEach(() => {
  root = makeTempDir('tn-lock-pid-');
});
afterEach(() => removeDir(root));

const put: Mutation = { op: 'put', db: 'd', coll: 'notes', doc: { _id: 'n1', text: 'kept' } };

it('takes over a LOCK naming this pid that this process does not hold (pid reused after a crash)', async () => {
  const dir = path.join(root, 'data');
  const before = new JournalPersistence({ dir, log: () => undefined });
  await before.load(() => undefined);
  await before.commit([put]);
  await before.close();
  // What the killed earlier incarnation, which had our pid, left behind.
  fs.writeFileSync(path.join(dir, 'LOCK'), `${process.pid}\n`);

  const warnings: string[] = [];
  const replayed: Mutation[] = [];
  const after = new JournalPersistence({ dir, log: (level, msg) => void (level === 'warn' && warnings.push(msg)) });
  await after.load((m) => void replayed.push(m));
  try {
    expect(replayed).toEqual([put]);
    expect(warnings).toEqual([`taking over stale lock ${path.join(dir, 'LOCK')} left by an earlier process with this pid ${process.pid}`]);
    expect(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8')).toBe(`${process.pid}\n`);

    // While `after` holds the directory, a second open in this process is still refused.
    await expect(new JournalPersistence({ dir, log: () => undefined }).load(() => undefined)).rejects.toThrow(`${dir} is locked by this process`);
  } finally {
    await after.close();
  }
  expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);
});
