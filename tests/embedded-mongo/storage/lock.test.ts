/** One owner per data directory: the LOCK lease of JournalPersistence (src/embedded-mongo/storage/lock.ts). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JournalPersistence } from '../../../src/embedded-mongo/storage/journal';
import type { Mutation } from '../../../src/embedded-mongo/storage/persistence';
import { makeTempDir, removeDir } from '../../helpers/tmp';
import { captureLog, deadPid, filesIn } from './helpers';

let root: string;
let dir: string;
beforeEach(() => {
  root = makeTempDir();
  dir = path.join(root, 'data', 'db');
});
afterEach(() => removeDir(root));

const lockFile = (): string => path.join(dir, 'LOCK');
const put = (id: number): Mutation => ({ op: 'put', db: 'd', coll: 'notes', doc: { _id: id, text: `note ${id}` } });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The lease in LOCK: the pid on the first line, the owner as JSON on the second. */
interface Lease {
  pid: number;
  token: string;
  host: string;
  boot: string | null;
  pidns: string | null;
  start: string | null;
  beat: number;
}

function readLease(): { firstLine: string; lease: Lease } {
  const [firstLine, json] = fs.readFileSync(lockFile(), 'utf8').split('\n');
  return { firstLine, lease: JSON.parse(json) as Lease };
}

/** This machine as the lock module sees it. */
const BOOT = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const PIDNS = fs.readlinkSync('/proc/self/ns/pid');
function startTimeOf(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** A lease as another owner would write it; by default pid 1 of another container on another host. */
function otherOwner(fields: Partial<Lease> = {}): string {
  const lease = { v: 1, pid: 1, token: 'feedfacefeedfacefeedface', host: 'other-host', boot: 'another-boot', pidns: 'pid:[4026599999]', start: '42', acquired: new Date().toISOString(), beat: 0, ...fields };
  return `${lease.pid}\n${JSON.stringify(lease)}\n`;
}

/** Puts `content` in place of LOCK the way a contender does: a new file renamed over it. */
function replaceLock(content: string): void {
  fs.writeFileSync(`${lockFile()}.test`, content);
  fs.renameSync(`${lockFile()}.test`, lockFile());
}

describe('data directory lock', () => {
  it('creates a missing directory, holds LOCK with its pid and identity while open and removes it on close', async () => {
    const p = new JournalPersistence({ dir });
    await p.load(() => undefined);
    const { firstLine, lease } = readLease();
    expect(firstLine).toBe(String(process.pid));
    expect(lease).toMatchObject({ pid: process.pid, boot: BOOT, pidns: PIDNS, start: startTimeOf(process.pid) });
    expect(lease.token).toMatch(/^[0-9a-f]{24}$/);
    await p.close();
    expect(filesIn(dir)).toEqual(['journal-1.log']);
    await p.close(); // idempotent
  });

  it('stops a second instance with an error naming the directory and the owner pid', async () => {
    const first = new JournalPersistence({ dir });
    await first.load(() => undefined);
    const second = new JournalPersistence({ dir });
    const failure = second.load(() => undefined);
    await expect(failure).rejects.toThrow(dir);
    await expect(failure).rejects.toThrow(`locked by this process`);
    const held = fs.readFileSync(lockFile(), 'utf8');
    fs.writeFileSync(lockFile(), `${process.ppid}\n`); // a live process that is not us
    await expect(new JournalPersistence({ dir }).load(() => undefined)).rejects.toThrow(`${dir} is locked by process ${process.ppid}`);
    // Put back exactly what `first` wrote (a lease now names its owner by more than the pid).
    fs.writeFileSync(lockFile(), held);
    await first.commit([{ op: 'createCollection', db: 'a', coll: 'b' }]);
    await first.close();
    expect(fs.existsSync(lockFile())).toBe(false);
  });

  it('takes over a lock left by a dead process, with a warning', async () => {
    fs.mkdirSync(dir, { recursive: true });
    const pid = deadPid();
    fs.writeFileSync(lockFile(), `${pid}\n`);
    const captured = captureLog();
    const p = new JournalPersistence({ dir, log: captured.log });
    await p.load(() => undefined);
    expect(captured.lines).toEqual([`warn: taking over stale lock ${lockFile()} left by dead process ${pid}`]);
    expect(readLease().firstLine).toBe(String(process.pid));
    await p.close();
  });

  it('takes over a lock with unreadable content once it has not changed for a lease', async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(lockFile(), 'garbage');
    const captured = captureLog();
    const p = new JournalPersistence({ dir, log: captured.log, lockLeaseMs: 200 });
    const started = performance.now();
    await p.load(() => undefined);
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    expect(captured.lines.join('\n')).toMatch(/unreadable content "garbage"/);
    await p.close();
    expect(filesIn(dir)).toEqual(['journal-1.log']);
  });

  it('does not remove a lock that another process has taken since', async () => {
    const p = new JournalPersistence({ dir });
    await p.load(() => undefined);
    fs.writeFileSync(lockFile(), `${process.ppid}\n`);
    await p.close();
    expect(fs.readFileSync(lockFile(), 'utf8')).toBe(`${process.ppid}\n`);
  });
});

describe('lease renewal', () => {
  it('renews the lease every tenth of the lease period in the same file, and stops when closed', async () => {
    const captured = captureLog();
    const p = new JournalPersistence({ dir, log: captured.log, lockLeaseMs: 300 });
    await p.load(() => undefined);
    const inode = fs.statSync(lockFile()).ino;
    const before = readLease().lease;
    await sleep(200);
    const after = readLease().lease;
    expect(after.beat).toBeGreaterThanOrEqual(before.beat + 2);
    expect({ ...after, beat: 0 }).toEqual({ ...before, beat: 0 });
    // Rewritten in place: a contender's new LOCK (a new inode) can never be overwritten by a renewal.
    expect(fs.statSync(lockFile()).ino).toBe(inode);
    await p.close();
    // After close no heartbeat runs: it would report the foreign LOCK below as a takeover.
    const foreign = otherOwner();
    replaceLock(foreign);
    await sleep(150);
    expect(captured.lines).toEqual([]);
    expect(fs.readFileSync(lockFile(), 'utf8')).toBe(foreign);
  });
});

describe('stale or live: leases of this machine are judged at once', () => {
  it('takes over at once a lease of this boot and PID namespace whose process is dead', async () => {
    fs.mkdirSync(dir, { recursive: true });
    const pid = deadPid();
    fs.writeFileSync(lockFile(), otherOwner({ pid, host: 'vm', boot: BOOT, pidns: PIDNS }));
    const captured = captureLog();
    const started = performance.now();
    const p = new JournalPersistence({ dir, log: captured.log, lockLeaseMs: 5_000 });
    await p.load(() => undefined);
    // Not a lease's wait: the restart after a kill -9 on the same machine stays immediate.
    expect(performance.now() - started).toBeLessThan(2_500);
    expect(captured.lines).toEqual([`warn: taking over stale lock ${lockFile()} left by dead process ${pid}`]);
    expect(readLease().lease.pid).toBe(process.pid);
    await p.close();
  });

  it('takes over at once a lease whose pid now belongs to a newer process (pid reuse)', async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(lockFile(), otherOwner({ pid: process.ppid, boot: BOOT, pidns: PIDNS, start: '1' }));
    const captured = captureLog();
    const p = new JournalPersistence({ dir, log: captured.log, lockLeaseMs: 5_000 });
    await p.load(() => undefined);
    expect(captured.lines).toEqual([`warn: taking over stale lock ${lockFile()} left by dead process ${process.ppid} (that pid now belongs to a newer process)`]);
    await p.close();
  });

  it('refuses at once a lease of this boot and PID namespace whose process is alive', async () => {
    fs.mkdirSync(dir, { recursive: true });
    const owner = otherOwner({ pid: process.ppid, boot: BOOT, pidns: PIDNS, start: startTimeOf(process.ppid) });
    fs.writeFileSync(lockFile(), owner);
    const started = performance.now();
    await expect(new JournalPersistence({ dir, log: () => undefined, lockLeaseMs: 5_000 }).load(() => undefined)).rejects.toThrow(
      `data directory ${dir} is locked by process ${process.ppid} (${lockFile()})`,
    );
    expect(performance.now() - started).toBeLessThan(2_500);
    expect(fs.readFileSync(lockFile(), 'utf8')).toBe(owner);
    expect(filesIn(dir)).toEqual(['LOCK']);
  });
});

describe('leases of another PID namespace, boot or host are watched for a lease', () => {
  const others: Array<[string, Partial<Lease>]> = [
    ['another PID namespace on this machine (pid 1 of another container)', { host: 'vm', boot: BOOT, pidns: 'pid:[4026599999]' }],
    ['another boot (or another host) with the same PID namespace number', { boot: 'another-boot', pidns: PIDNS }],
  ];

  it.each(others)('refuses a renewed lease of %s, naming the directory and the owner', async (_name, fields) => {
    fs.mkdirSync(dir, { recursive: true });
    let beat = 0;
    fs.writeFileSync(lockFile(), otherOwner(fields));
    // The other owner renews every 50 ms (whole files, so that no read sees half of one).
    const renewer = setInterval(() => replaceLock(otherOwner({ ...fields, beat: ++beat })), 50);
    try {
      const failure = new JournalPersistence({ dir, log: () => undefined, lockLeaseMs: 1_000 }).load(() => undefined);
      await expect(failure).rejects.toThrow(`data directory ${dir} is locked by process 1 on host ${fields.host ?? 'other-host'} (pid namespace ${fields.pidns}, boot ${fields.boot}), which renewed its lease just now`);
    } finally {
      clearInterval(renewer);
    }
    expect(filesIn(dir)).toEqual(['LOCK']);
    expect(readLease().lease.pid).toBe(1);
  });

  it.each(others)('takes over a lease of %s that is not renewed for a whole lease', async (_name, fields) => {
    fs.mkdirSync(dir, { recursive: true });
    const owner = otherOwner(fields);
    fs.writeFileSync(lockFile(), owner);
    const captured = captureLog();
    const started = performance.now();
    const p = new JournalPersistence({ dir, log: captured.log, lockLeaseMs: 300 });
    await p.load(() => undefined);
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    const who = `process 1 on host ${fields.host ?? 'other-host'} (pid namespace ${fields.pidns}, boot ${fields.boot})`;
    expect(captured.lines).toEqual([
      `warn: ${lockFile()} names ${who}, which this process cannot see: waiting up to 300 ms for it to renew its lease before taking it over`,
      `warn: taking over stale lock ${lockFile()} left by ${who}, not renewed for 300 ms`,
    ]);
    expect(readLease().lease.pid).toBe(process.pid);
    await p.commit([put(1)]);
    await p.close();
    expect(filesIn(dir)).toEqual(['journal-1.log']);
  });
});

describe('fencing: an owner that lost its lease writes nothing more', () => {
  async function openWithOneNote(lockLeaseMs?: number): Promise<{ p: JournalPersistence; journalBytes: number; lines: string[] }> {
    const captured = captureLog();
    const p = new JournalPersistence({ dir, log: captured.log, lockLeaseMs });
    await p.load(() => undefined);
    await p.commit([put(1)]);
    return { p, journalBytes: fs.statSync(path.join(dir, 'journal-1.log')).size, lines: captured.lines };
  }

  it('refuses the next commit once another process has taken the LOCK over, and leaves that LOCK alone', async () => {
    const { p, journalBytes } = await openWithOneNote();
    replaceLock(otherOwner());
    const refused = p.commit([put(2)]);
    await expect(refused).rejects.toThrow(`data directory ${dir} is no longer owned by this process: ${lockFile()} was taken over by process 1 on host other-host`);
    await expect(p.commit([put(3)])).rejects.toThrow(/no longer owned by this process/);
    await expect(p.compact()).rejects.toThrow();
    expect(fs.statSync(path.join(dir, 'journal-1.log')).size).toBe(journalBytes);
    await p.close();
    expect(readLease().lease.host).toBe('other-host');
  });

  it('notices a rewritten LOCK at the next heartbeat, without any commit', async () => {
    const { p, journalBytes, lines } = await openWithOneNote(1_000);
    fs.writeFileSync(lockFile(), otherOwner({ pidns: 'pid:[1]' }));
    // Heartbeats come every 100 ms; give a loaded machine some slack.
    for (let waited = 0; lines.length === 0 && waited < 2_000; waited += 20) await sleep(20);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^error: data directory .* is no longer owned by this process: .*LOCK was rewritten; it now names process 1 on host other-host \\(pid namespace pid:\\[1\\]`))]);
    await expect(p.commit([put(2)])).rejects.toThrow(/LOCK was rewritten/);
    expect(fs.statSync(path.join(dir, 'journal-1.log')).size).toBe(journalBytes);
    await p.close();
  });

  it('refuses commits once LOCK has been removed', async () => {
    const { p, journalBytes } = await openWithOneNote();
    fs.rmSync(lockFile());
    await expect(p.commit([put(2)])).rejects.toThrow(`${lockFile()} was removed`);
    expect(fs.statSync(path.join(dir, 'journal-1.log')).size).toBe(journalBytes);
    await p.close();
  });

  it('keeps the directory through a pause longer than the lease when nobody took LOCK over, with a warning', async () => {
    const { p, lines } = await openWithOneNote(200);
    // A blocked event loop (a big synchronous job, a GC pause): no heartbeat for 250 ms of a 200 ms lease.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    await p.commit([put(2)]);
    expect(lines).toEqual([expect.stringMatching(/^warn: the lease in .*LOCK was not renewed for \d+ ms of a 200 ms lease .* it still names this process, so it is kept$/)]);
    await p.close();
    const seen: unknown[] = [];
    const next = new JournalPersistence({ dir, log: () => undefined });
    await next.load((m) => seen.push(m));
    expect(seen).toHaveLength(2);
    await next.close();
  });

  it('refuses commits after a pause during which another process took LOCK over', async () => {
    const { p, journalBytes } = await openWithOneNote(200);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250);
    replaceLock(otherOwner());
    await expect(p.commit([put(2)])).rejects.toThrow(/no longer owned by this process: .*LOCK was taken over by process 1 on host other-host/);
    expect(fs.statSync(path.join(dir, 'journal-1.log')).size).toBe(journalBytes);
    await p.close();
    expect(readLease().lease.host).toBe('other-host');
  });

  it('keeps committing through pauses shorter than the renewal margin', async () => {
    const { p } = await openWithOneNote(1_000);
    for (let i = 0; i < 3; i++) {
      // 300 ms without a heartbeat: more than a renewal interval, well under ¾ of the lease.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      await p.commit([put(10 + i)]);
    }
    await p.close();
  });
});
