/**
 * A restart whose new process has the same pid as the killed one (a container restarted after a
 * SIGKILL, where the server is pid 1 both times) finds a LOCK naming its own pid. That lock is
 * stale and must be taken over; only a lock this process really holds refuses a second open.
 * Outside a test this needs a fresh pid namespace, e.g. `unshare -pf --mount-proc node
 * dist/src/server.js`, killed and started again on the same TN_DATA_DIR (lock-namespaces.test.ts
 * does that; a lease from another namespace is then taken over only once it stops being renewed).
 * Both LOCK formats: a bare pid (what versions before the lease wrote) and a lease naming this
 * boot and PID namespace with another process start time.
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
    // The pid stays the LOCK's first line; the lease that follows names this process precisely.
    expect(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8').split('\n')[0]).toBe(`${process.pid}`);

    // While `after` holds the directory, a second open in this process is still refused.
    await expect(new JournalPersistence({ dir, log: () => undefined }).load(() => undefined)).rejects.toThrow(`${dir} is locked by this process`);
  } finally {
    await after.close();
  }
  expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);
});

it('takes over at once a lease naming this pid, boot and PID namespace but another process start time', async () => {
  const dir = path.join(root, 'data');
  const before = new JournalPersistence({ dir, log: () => undefined });
  await before.load(() => undefined);
  await before.commit([put]);
  await before.close();
  // What an earlier incarnation with our pid (another process: another start time) left behind.
  const lease = {
    v: 1,
    pid: process.pid,
    token: '0123456789abcdef01234567',
    host: 'earlier',
    boot: fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    pidns: fs.readlinkSync('/proc/self/ns/pid'),
    start: '1',
    acquired: new Date().toISOString(),
    beat: 7,
  };
  fs.writeFileSync(path.join(dir, 'LOCK'), `${process.pid}\n${JSON.stringify(lease)}\n`);

  const warnings: string[] = [];
  const replayed: Mutation[] = [];
  const started = performance.now();
  const after = new JournalPersistence({ dir, log: (level, msg) => void (level === 'warn' && warnings.push(msg)), lockLeaseMs: 5_000 });
  await after.load((m) => void replayed.push(m));
  try {
    // No lease's wait: the owner is provably gone.
    expect(performance.now() - started).toBeLessThan(2_500);
    expect(replayed).toEqual([put]);
    expect(warnings).toEqual([`taking over stale lock ${path.join(dir, 'LOCK')} left by an earlier process with this pid ${process.pid}`]);
    await expect(new JournalPersistence({ dir, log: () => undefined }).load(() => undefined)).rejects.toThrow(`${dir} is locked by this process`);
  } finally {
    await after.close();
  }
  expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);
});
