/**
 * One owner per data directory: `LOCK` is a lease that its owner renews every heartbeat.
 *
 * Why a lease: a pid alone cannot tell owners apart across PID namespaces (two containers whose
 * server is pid 1 both) or hosts sharing a volume, and Node has no flock. The LOCK names its
 * owner precisely (random token, host, boot id, PID namespace, pid, process start time) and the
 * owner rewrites it every `leaseMs / 10`; a contender treats it as stale when
 *   - it names this boot and this PID namespace and a process that is gone (dead pid, or a pid
 *     now held by a process with another start time): at once, so a restart after kill -9 on the
 *     same machine is immediate;
 *   - otherwise (another container, host or boot): only once it has watched the file not change
 *     for a whole lease, measured on its own monotonic clock (no wall clocks are compared).
 * A LOCK holding only a pid was written by an older version (which never renews it): it keeps
 * the older rules, since nothing better can be known about its owner.
 *
 * Taking over is a compare-and-swap made of renames: the stale LOCK is renamed aside, checked to
 * be exactly the file judged stale (else it is put back), and the contender's own file is then
 * hard-linked to `LOCK`, which fails if anyone else created one meanwhile. The owner renews by
 * writing into its own inode (never by replacing the name), so a renewal can never overwrite a
 * contender's new LOCK; it notices the takeover instead.
 *
 * Fencing: the owner checks the file at every heartbeat and `check()` does so before each
 * journal write, renewing first when a heartbeat is due. Once the LOCK is gone, replaced or
 * rewritten, the lock is lost for good and every later `check()` throws. A long pause of the
 * owner (a blocked event loop, SIGSTOP) is not a loss by itself: a takeover always replaces
 * LOCK, so the check after the pause tells whether one happened, and a lease still byte for
 * byte ours is renewed (with a warning). What remains possible: a process paused for longer
 * than a lease exactly between its check and the write system call, or clocks whose rates
 * differ by as much (see the README).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Name of the lock file inside the data directory. */
export const LOCK_NAME = 'LOCK';
/** Default lease: long enough to ride out GC pauses and slow disks, short enough for a failover. */
export const DEFAULT_LEASE_MS = 10_000;
const MIN_LEASE_MS = 50;
/** Rounds of look / take over before giving up when the LOCK keeps changing hands. */
const MAX_ATTEMPTS = 8;
const VANISHED_SETTLE_MS = 20;

/** Severity of a log line (the journal's levels). */
export type LockLogLevel = 'info' | 'warn' | 'error';

/** Options of `DirectoryLock.acquire`. */
export interface DirectoryLockOptions {
  /** How long a lease lasts without renewal; renewed every tenth of it. Default 10 000 ms. */
  leaseMs?: number;
  log: (level: LockLogLevel, msg: string) => void;
}

/** What a lease says about its owner (the second line of LOCK, as JSON). */
interface Lease {
  v: 1;
  pid: number;
  token: string;
  host: string;
  /** /proc/sys/kernel/random/boot_id; null where there is none. */
  boot: string | null;
  /** readlink /proc/self/ns/pid, e.g. `pid:[4026531836]`; null where there is none. */
  pidns: string | null;
  /** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), when /proc is our namespace's. */
  start: string | null;
  acquired: string;
  beat: number;
}

/** The LOCK as read once: its bytes and which inode they came from. */
interface Seen {
  raw: string;
  dev: number;
  ino: number;
}

type Parsed = { kind: 'lease'; lease: Lease } | { kind: 'legacy'; pid: number } | { kind: 'unreadable' };
type Verdict = { kind: 'held'; message: string } | { kind: 'stale'; reason: string } | { kind: 'watch'; owner: string };

/** Tokens of the leases this process holds, and the real paths of their directories. */
const heldTokens = new Set<string>();
const heldDirs = new Set<string>();

/** An owned lease on a data directory. Make one with `DirectoryLock.acquire`. */
export class DirectoryLock {
  private readonly heartbeatMs: number;
  private readonly timer: NodeJS.Timeout;
  private content: string;
  private renewedAt: number;
  private beat = 0;
  private lostError: Error | null = null;
  private released = false;
  private renewFailureLogged = false;

  private constructor(
    private readonly dir: string,
    private readonly key: string,
    private readonly file: string,
    private readonly lease: Lease,
    private readonly inode: { dev: number; ino: number },
    private readonly leaseMs: number,
    private readonly log: DirectoryLockOptions['log'],
    takenAt: number,
  ) {
    this.content = render(lease);
    this.renewedAt = takenAt;
    this.heartbeatMs = Math.max(10, Math.floor(leaseMs / 10));
    heldTokens.add(lease.token);
    heldDirs.add(key);
    this.timer = setInterval(() => this.tick(), this.heartbeatMs);
    // The heartbeat must never keep a process alive that has nothing else to do.
    this.timer.unref();
  }

  /**
   * Takes the lock of `dir` (which must exist), waiting up to one lease when the current owner
   * cannot be proven dead; throws naming the directory and the owner when it is alive.
   */
  static async acquire(dir: string, options: DirectoryLockOptions): Promise<DirectoryLock> {
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    if (!Number.isFinite(leaseMs) || leaseMs < MIN_LEASE_MS) throw new RangeError(`lock lease must be at least ${MIN_LEASE_MS} ms, got ${leaseMs}`);
    const file = path.join(dir, LOCK_NAME);
    const key = fs.realpathSync(dir);
    const lease: Lease = { v: 1, ...identity(), token: crypto.randomBytes(12).toString('hex'), acquired: new Date().toISOString(), beat: 0 };
    const tmp = path.join(dir, `${LOCK_NAME}.${lease.token}.tmp`);
    fs.writeFileSync(tmp, render(lease));
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        // LOCK vanished while we looked: a clean release, or a contender's mistaken grab about to
        // be undone (see takeOver). Give the latter time to put the owner's file back.
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, VANISHED_SETTLE_MS));
        // The lease counts from before the file appears, never from after.
        let takenAt = performance.now();
        if (linkExclusive(tmp, file)) return new DirectoryLock(dir, key, file, lease, statOf(tmp), leaseMs, options.log, takenAt);
        const seen = readLock(file);
        if (!seen) continue; // released between the link and the read
        let verdict = judge(dir, key, file, seen);
        if (verdict.kind === 'held') throw new Error(verdict.message);
        if (verdict.kind === 'watch') {
          options.log('warn', `${file} names ${verdict.owner}, which this process cannot see: waiting up to ${leaseMs} ms for it to renew its lease before taking it over`);
          const change = await watchFor(file, seen, leaseMs, Math.max(10, Math.floor(leaseMs / 20)));
          if (change === 'vanished') continue;
          if (change !== 'unchanged') {
            const owner = parse(change.raw).kind === 'unreadable' ? verdict.owner : describeRaw(change.raw);
            throw new Error(`data directory ${dir} is locked by ${owner}, which renewed its lease just now (${file}); stop that process first`);
          }
          verdict = { kind: 'stale', reason: `${verdict.owner}, not renewed for ${leaseMs} ms` };
        }
        takenAt = performance.now();
        if (takeOver(file, seen, tmp, lease.token)) {
          options.log('warn', `taking over stale lock ${file} left by ${verdict.reason}`);
          return new DirectoryLock(dir, key, file, lease, statOf(tmp), leaseMs, options.log, takenAt);
        }
      }
      throw new Error(`data directory ${dir}: ${file} changed hands ${MAX_ATTEMPTS} times while this process tried to take it; another process is starting on it`);
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }

  /** Throws (for good) unless this process still owns the directory; renews the lease when due. Cheap: one small read. */
  check(): void {
    if (this.released) throw new Error(`data directory ${this.dir}: the lock was released`);
    if (!this.lostError) {
      if (performance.now() - this.renewedAt >= this.heartbeatMs) this.renew();
      else this.verify();
    }
    if (this.lostError) throw this.lostError;
  }

  /** Why the lock was lost, or null while it is held. */
  get lost(): Error | null {
    return this.lostError;
  }

  /** Stops the heartbeat and removes LOCK if it is still this lease. Idempotent. */
  release(): void {
    if (this.released) return;
    const mine = !this.lostError && this.stillMine();
    this.forget();
    if (mine) fs.rmSync(this.file, { force: true });
  }

  /** Stops the heartbeat and leaves LOCK behind, as a killed process would (test hooks). */
  abandon(): void {
    this.forget();
  }

  private forget(): void {
    this.released = true;
    clearInterval(this.timer);
    heldTokens.delete(this.lease.token);
    heldDirs.delete(this.key);
  }

  private tick(): void {
    if (this.released || this.lostError) return;
    this.renew();
  }

  /** Rewrites the lease in place (same inode) after checking that it is still ours. */
  private renew(): void {
    const started = performance.now();
    const silent = started - this.renewedAt;
    // A long silence (the event loop blocked by a big synchronous job, a GC pause, SIGSTOP) is
    // not a loss by itself: a contender takes over only by replacing LOCK, which the check
    // below sees. If LOCK is still byte for byte this lease, nobody took it, and renewing it
    // now makes a contender that is still watching start its wait over.
    const stalled = silent >= (this.leaseMs * 3) / 4;
    let fd: number;
    try {
      fd = openLock(this.file, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.lose(`${this.file} was removed`);
      else this.renewFailed(err as Error);
      return;
    }
    try {
      const problem = this.foreign(fd);
      if (problem) return this.lose(problem);
      if (stalled) this.log('warn', `the lease in ${this.file} was not renewed for ${Math.round(silent)} ms of a ${this.leaseMs} ms lease (event loop blocked or process paused); it still names this process, so it is kept`);
      this.beat += 1;
      const next = render({ ...this.lease, beat: this.beat });
      const bytes = Buffer.from(next);
      fs.writeSync(fd, bytes, 0, bytes.length, 0);
      if (bytes.length < Buffer.byteLength(this.content)) fs.ftruncateSync(fd, bytes.length);
      this.content = next;
    } catch (err) {
      return this.renewFailed(err as Error);
    } finally {
      // On NFS, close() is what pushes the write to the server (close-to-open consistency).
      closeQuietly(fd);
    }
    this.renewedAt = started;
    this.renewFailureLogged = false;
  }

  /** An I/O error while renewing is not a takeover: logged once, and the next check tries again. */
  private renewFailed(err: Error): void {
    if (this.renewFailureLogged) return;
    this.renewFailureLogged = true;
    this.log('warn', `could not renew the lease in ${this.file}: ${err.message}`);
  }

  private verify(): void {
    let fd: number;
    try {
      fd = openLock(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.lose(`${this.file} was removed`);
      else this.lose(`${this.file} cannot be read: ${(err as Error).message}`);
      return;
    }
    try {
      const problem = this.foreign(fd);
      if (problem) this.lose(problem);
    } catch (err) {
      this.lose(`${this.file} cannot be read: ${(err as Error).message}`);
    } finally {
      closeQuietly(fd);
    }
  }

  /** Why the open LOCK `fd` is not this lease any more, or null if it still is. */
  private foreign(fd: number): string | null {
    const st = fs.fstatSync(fd);
    const raw = readFd(fd, st.size);
    if (st.dev === this.inode.dev && st.ino === this.inode.ino && raw === this.content) return null;
    if (st.dev === this.inode.dev && st.ino === this.inode.ino) return `${this.file} was rewritten; it now names ${describeRaw(raw)}`;
    return `${this.file} was taken over by ${describeRaw(raw)}`;
  }

  private stillMine(): boolean {
    let fd: number;
    try {
      fd = openLock(this.file, 'r');
    } catch {
      return false;
    }
    try {
      return this.foreign(fd) === null;
    } catch {
      return false;
    } finally {
      closeQuietly(fd);
    }
  }

  private lose(reason: string): void {
    if (this.lostError) return;
    this.lostError = new Error(`data directory ${this.dir} is no longer owned by this process: ${reason}; no further writes are accepted (restart the server once the other owner is gone)`);
    clearInterval(this.timer);
    heldTokens.delete(this.lease.token);
    heldDirs.delete(this.key);
    this.log('error', this.lostError.message);
  }
}

/** Who this process is, as far as the OS lets it tell. */
function identity(): Pick<Lease, 'pid' | 'host' | 'boot' | 'pidns' | 'start'> {
  const start = procIsOurs() ? startTime('self') : null;
  return { pid: process.pid, host: os.hostname(), boot: readText('/proc/sys/kernel/random/boot_id'), pidns: readLink('/proc/self/ns/pid'), start };
}

/** Decides about a LOCK that exists: refuse now, stale now, or watch it for a lease. */
function judge(dir: string, key: string, file: string, seen: Seen): Verdict {
  const parsed = parse(seen.raw);
  const refuse = (who: string): Verdict => ({
    kind: 'held',
    message: `data directory ${dir} is locked by ${who} (${file}); stop that process, or delete the LOCK file if that is not a running Thunder Notes server`,
  });
  if (parsed.kind === 'unreadable') return { kind: 'watch', owner: `unreadable content ${JSON.stringify(seen.raw.slice(0, 80))}` };
  if (parsed.kind === 'legacy') {
    // Written by an older version, which never renews: the rules that version used.
    const { pid } = parsed;
    if (pid === process.pid) return heldDirs.has(key) ? refuse('this process') : { kind: 'stale', reason: `an earlier process with this pid ${pid}` };
    return pid > 0 && isAlive(pid) ? refuse(`process ${pid}`) : { kind: 'stale', reason: `dead process ${pid}` };
  }
  const { lease } = parsed;
  if (heldTokens.has(lease.token)) return refuse('this process');
  const me = identity();
  const local = me.boot !== null && me.pidns !== null ? lease.boot === me.boot && lease.pidns === me.pidns : process.platform !== 'linux' && lease.boot === null && lease.pidns === null && lease.host === me.host;
  if (!local) return { kind: 'watch', owner: describe(lease) };
  if (lease.pid === process.pid) {
    const reason = lease.start !== null && lease.start === me.start ? 'this process (a lock it no longer holds)' : `an earlier process with this pid ${lease.pid}`;
    return { kind: 'stale', reason };
  }
  if (!isAlive(lease.pid)) return { kind: 'stale', reason: `dead process ${lease.pid}` };
  if (lease.start !== null && procIsOurs()) {
    const now = startTime(String(lease.pid));
    if (now !== null && now !== lease.start) return { kind: 'stale', reason: `dead process ${lease.pid} (that pid now belongs to a newer process)` };
  }
  return refuse(`process ${lease.pid}`);
}

/**
 * Polls LOCK until it differs from `seen` (the owner renewed it, or someone else took it),
 * disappears, or stays the same for `leaseMs` on this process's monotonic clock.
 */
async function watchFor(file: string, seen: Seen, leaseMs: number, pollMs: number): Promise<'unchanged' | 'vanished' | Seen> {
  const start = performance.now();
  for (;;) {
    const left = leaseMs - (performance.now() - start);
    if (left <= 0) return 'unchanged';
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, left)));
    const now = readLock(file);
    if (!now) return 'vanished';
    if (!sameFile(now, seen)) return now;
  }
}

/**
 * Replaces the stale LOCK `seen` with `tmp`'s inode. Returns false, leaving things as found, when
 * LOCK changed after it was judged (renewed, taken or released by someone else).
 */
function takeOver(file: string, seen: Seen, tmp: string, token: string): boolean {
  const aside = `${file}.${token}.stale`;
  try {
    fs.renameSync(file, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const moved = readLock(aside);
  if (!moved || !sameFile(moved, seen)) {
    // Someone renewed or replaced LOCK after we looked: put their file back.
    if (moved) linkExclusive(aside, file);
    fs.rmSync(aside, { force: true });
    return false;
  }
  fs.rmSync(aside, { force: true });
  return linkExclusive(tmp, file);
}

function parse(raw: string): Parsed {
  if (/^\s*\d+\s*$/.test(raw)) return { kind: 'legacy', pid: Number.parseInt(raw, 10) };
  const newline = raw.indexOf('\n');
  try {
    const lease = JSON.parse(raw.slice(newline + 1)) as Lease;
    const str = (v: unknown): boolean => typeof v === 'string';
    const strOrNull = (v: unknown): boolean => v === null || typeof v === 'string';
    if (
      lease?.v === 1 &&
      Number.isInteger(lease.pid) &&
      lease.pid > 0 &&
      raw.slice(0, newline) === String(lease.pid) &&
      str(lease.token) &&
      str(lease.host) &&
      strOrNull(lease.boot) &&
      strOrNull(lease.pidns) &&
      strOrNull(lease.start)
    ) {
      return { kind: 'lease', lease };
    }
  } catch {
    // Falls through: not a lease.
  }
  return { kind: 'unreadable' };
}

/** The file's text: the pid first (for people and for tools that read only that), then the lease. */
function render(lease: Lease): string {
  return `${lease.pid}\n${JSON.stringify(lease)}\n`;
}

function describe(lease: Lease): string {
  return `process ${lease.pid} on host ${lease.host} (pid namespace ${lease.pidns ?? 'unknown'}, boot ${lease.boot ?? 'unknown'})`;
}

function describeRaw(raw: string): string {
  const parsed = parse(raw);
  if (parsed.kind === 'lease') return describe(parsed.lease);
  if (parsed.kind === 'legacy') return `process ${parsed.pid}`;
  return `unreadable content ${JSON.stringify(raw.slice(0, 80))}`;
}

function sameFile(a: Seen, b: Seen): boolean {
  return a.raw === b.raw && a.dev === b.dev && a.ino === b.ino;
}

/** Creates `to` as a hard link of `from`; false if `to` exists. */
function linkExclusive(from: string, to: string): boolean {
  try {
    fs.linkSync(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/**
 * Opens the owner's LOCK. A contender that moved it aside by mistake (it was renewed after the
 * contender looked) puts it back within microseconds, so a missing LOCK is looked for again a
 * few times, 2 ms apart, before the owner concludes that it is gone.
 */
function openLock(file: string, flags: 'r' | 'r+'): number {
  for (let attempt = 0; ; attempt++) {
    try {
      return fs.openSync(file, flags);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt >= 4) throw err;
      Atomics.wait(PAUSE, 0, 0, 2);
    }
  }
}
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** Reads LOCK with the inode it came from; undefined if there is none. */
function readLock(file: string): Seen | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const st = fs.fstatSync(fd);
    return { raw: readFd(fd, st.size), dev: st.dev, ino: st.ino };
  } finally {
    closeQuietly(fd);
  }
}

function statOf(file: string): { dev: number; ino: number } {
  const st = fs.statSync(file);
  return { dev: st.dev, ino: st.ino };
}

/** Reads a small file from offset 0; a lease is a few hundred bytes, so 64 KiB bounds garbage. */
function readFd(fd: number, size: number): string {
  const buf = Buffer.alloc(Math.min(Math.max(size, 0), 64 * 1024));
  const n = buf.length > 0 ? fs.readSync(fd, buf, 0, buf.length, 0) : 0;
  return buf.subarray(0, n).toString('utf8');
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Nothing more to release.
  }
}

/** Whether `pid` names a running process in this PID namespace; signal 0 probes without delivering anything. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Whether /proc shows this process's PID namespace (not so after `unshare --pid` without --mount-proc). */
function procIsOurs(): boolean {
  return readLink('/proc/self') === String(process.pid);
}

/** Start time of a process (field 22 of /proc/<pid>/stat), which tells a reused pid apart. */
function startTime(pid: string): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

function readLink(file: string): string | null {
  try {
    return fs.readlinkSync(file);
  } catch {
    return null;
  }
}
