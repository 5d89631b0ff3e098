/**
 * JournalPersistence: the durable `Persistence` of the embedded server (a write-ahead journal
 * plus snapshots). All opening work happens in `load()`; there is no separate `open()`.
 *
 * Data directory (generation g grows by one at each compaction):
 *   LOCK               lease of the owning process, renewed every second (lock.ts)
 *   snapshot-<g>.bson  the whole catalog when generation g began (none for g = 1)
 *   journal-<g>.log    one framed record (framing.ts) per commit made during generation g
 *   snapshot-<g>.tmp   a snapshot being written: never read, deleted at start-up
 * State = newest snapshot S (or nothing) + journals S, S+1, ... newest, replayed in order;
 * start-up refuses a chain with a gap. Files older than S are leftovers and are deleted.
 *
 * Compaction from g to g+1, and what a crash after each step leaves behind:
 *   1. snapshot-(g+1).tmp is written from the snapshot source, synchronously (one instant)
 *   2. journal-(g+1).log is created and every later flush goes there, including commits queued
 *      before step 1 whose effects the snapshot may already hold (replay is idempotent)
 *   3. the directory is fsynced before any commit in journal-(g+1) is acknowledged
 *        crash (hook 'afterNewJournal'): snapshot-g + journal-g + journal-(g+1) hold everything
 *   4. the .tmp is fsynced while commits keep flowing to journal-(g+1)
 *        crash ('afterSnapshotTmp'): as above; the .tmp is deleted at start-up
 *   5. rename to snapshot-(g+1).bson, fsync the directory
 *        crash ('afterRename'): snapshot-(g+1) + journal-(g+1); older files are ignored
 *   6. journals, then snapshots, older than g+1 are deleted ('afterOldJournalsDeleted')
 * A journal is complete and fsynced before its successor exists, so only the newest journal can
 * have a torn tail; damage in an older journal or in a snapshot is disk corruption and stops
 * start-up with a message naming the file (recovery.ts tells a torn tail from damage in the middle).
 *
 * Write batches: the records of one flush are written together; each but the last carries the
 * "more in this batch" flag (framing.ts), so that recovery knows which records a torn write can
 * have reached.
 *
 * A failed write or fsync (a full disk, an I/O error): the file's state is then unknown, so
 *   - the batch and every queued commit are rejected (the command layer rolls them back in
 *     memory), the journal is cut back to its last fsynced byte if the disk lets us, and every
 *     further commit is refused at once with the same error (`health()` says not writable);
 *   - a retry, on a timer with backoff (100 ms doubling to 5 s) or when a write asks through
 *     `recover()`, starts a fresh generation from memory, which after the rollback holds exactly
 *     what was acknowledged: snapshot-(g+1) + an empty journal-(g+1), fsynced and renamed into
 *     place like a compaction. Once that succeeds writes are accepted again, without a restart.
 * Losing the directory lock (lock.ts) is the one failure that is never retried.
 *
 * Contract with the command layer: the catalog already reflects a command's mutations when
 * `commit()` is called, so a snapshot taken after a flush covers everything in that flush; and
 * while writes are refused the catalog holds only durable state (it applies nothing new and has
 * rolled back what failed), so the retry's snapshot is exactly the durable state.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeRecord, MORE_IN_BATCH } from './framing';
import { DirectoryLock } from './lock';
import { closeFd, fdatasync, fsyncDir, fsyncDirSync, journalPath, listDir, snapshotPath, snapshotTmpPath, writeAll } from './layout';
import { StorageUnavailableError, type Mutation, type Persistence, type PersistenceHealth } from './persistence';
import { recoverDirectory } from './recovery';
import { writeSnapshotSync } from './snapshot';


/** Severity of a log line. */
export type JournalLogLevel = 'info' | 'warn' | 'error';
/** Points of a compaction where the test hook runs (see the header comment). */
export type CompactionStep = 'afterNewJournal' | 'afterSnapshotTmp' | 'afterRename' | 'afterOldJournalsDeleted';

/** Options of `JournalPersistence`. */
export interface JournalOptions {
  dir: string;
  /** Compact once the live journal passes this many bytes. Default 64 MiB. */
  maxJournalBytes?: number;
  log?: (level: JournalLogLevel, msg: string) => void;
  /** How long the LOCK lease lasts without renewal (lock.ts). Default 10 000 ms; tests use less. */
  lockLeaseMs?: number;
  /** Test hook run at each compaction step; if it throws, the instance behaves as if the process died there. */
  onCompactionStep?: (step: CompactionStep) => void | Promise<void>;
  /** First delay before retrying after a failed write; doubles up to `retryMaxMs`. Default 100 ms. */
  retryMinMs?: number;
  /** Longest delay between retries after a failed write. Default 5 000 ms. */
  retryMaxMs?: number;
}

/** Counters for tests and benchmarks. */
export interface JournalStats {
  generation: number;
  journalBytes: number;
  commits: number;
  flushes: number;
  fsyncs: number;
  fsyncMsTotal: number;
  compactions: number;
  /** Times writes started being refused (a failed write or fsync). */
  failures: number;
  /** Times a fresh generation was written after a failure and writes were accepted again. */
  recoveries: number;
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}
interface PendingCommit extends Waiter {
  record: Buffer;
}

const EMPTY = Buffer.alloc(0);
const defaultLog = (level: JournalLogLevel, msg: string): void => {
  if (level !== 'info') console.warn(`[embedded-mongo journal] ${msg}`);
};

/** Journal + snapshot persistence with group commit, crash recovery, compaction and a directory lock. */
export class JournalPersistence implements Persistence {
  private readonly dir: string;
  private readonly maxJournalBytes: number;
  private readonly log: (level: JournalLogLevel, msg: string) => void;
  private readonly onCompactionStep: JournalOptions['onCompactionStep'];
  private readonly lockLeaseMs: number | undefined;
  private lock: DirectoryLock | null = null;
  private state: 'new' | 'open' | 'closing' | 'closed' | 'crashed' = 'new';
  private fd = -1;
  private pending: PendingCommit[] = [];
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private compactWanted = false;
  private compaction: Promise<void> | null = null;
  private compactionWaiters: Waiter[] = [];
  private nextAutoCompactAt: number;
  /** Set while writes are refused: the error every refused commit gets. */
  private failure: StorageUnavailableError | null = null;
  private failedAt = new Date(0);
  /** Never retry (the lock is lost, or a simulated crash): only close() remains. */
  private permanent = false;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private retryDelayMs: number;
  /** performance.now() before which recover() does not try again. */
  private nextAttemptAt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private recovering: Promise<void> | null = null;
  /** Cutting the failed batch off the journal, started by fail(). */
  private tailCut: Promise<void> = Promise.resolve();
  private lastAttemptLog = { text: '', at: 0 };
  private source: (() => Iterable<Mutation>) | null = null;
  private readonly counters: JournalStats = {
    generation: 0,
    journalBytes: 0,
    commits: 0,
    flushes: 0,
    fsyncs: 0,
    fsyncMsTotal: 0,
    compactions: 0,
    failures: 0,
    recoveries: 0,
  };

  constructor(options: JournalOptions) {
    this.dir = options.dir;
    this.maxJournalBytes = options.maxJournalBytes ?? 64 * 1024 * 1024;
    this.log = options.log ?? defaultLog;
    this.onCompactionStep = options.onCompactionStep;
    this.lockLeaseMs = options.lockLeaseMs;
    this.nextAutoCompactAt = this.maxJournalBytes;
    this.retryMinMs = options.retryMinMs ?? 100;
    this.retryMaxMs = Math.max(this.retryMinMs, options.retryMaxMs ?? 5_000);
    this.retryDelayMs = this.retryMinMs;
  }

  /** Takes the lock, then replays the newest snapshot and the journals after it through `apply`. */
  async load(apply: (mutation: Mutation) => void): Promise<void> {
    if (this.state !== 'new') throw new Error('JournalPersistence.load() may only be called once');
    const created = fs.mkdirSync(this.dir, { recursive: true });
    if (created !== undefined) fsyncDirSync(path.dirname(created));
    this.lock = await DirectoryLock.acquire(this.dir, { leaseMs: this.lockLeaseMs, log: this.log });
    try {
      const { generation, journalBytes } = recoverDirectory(this.dir, apply, this.log);
      this.fd = fs.openSync(journalPath(this.dir, generation), 'a');
      this.counters.generation = generation;
      this.counters.journalBytes = journalBytes;
      this.state = 'open';
    } catch (err) {
      if (this.fd >= 0) fs.closeSync(this.fd);
      this.fd = -1;
      this.lock.release();
      this.state = 'closed';
      throw err;
    }
  }

  /** Appends one record holding `mutations`; resolves once it is fsynced (group commit). */
  commit(mutations: Mutation[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.state !== 'open') {
      return Promise.reject(new Error(this.state === 'new' ? 'JournalPersistence: call load() before commit()' : `JournalPersistence for ${this.dir} is closed`));
    }
    let record: Buffer;
    try {
      // Serialised now: the caller may change these documents as soon as we return.
      record = mutations.length > 0 ? encodeRecord({ m: mutations }) : EMPTY;
    } catch (err) {
      // The command layer validates what it stores, so this is a bug; the commands applied after
      // this one may build on it, so it fails like a write would (the contract in persistence.ts).
      this.fail(new Error(`the record encoder refused a commit: ${(err as Error).message}`, { cause: err }), []);
      return Promise.reject(this.failure ?? (err as Error));
    }
    // An empty commit is a barrier: it resolves once everything committed before it is durable.
    if (record.length === 0 && !this.running) return Promise.resolve();
    this.counters.commits += 1;
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ record, resolve, reject });
      this.kick();
    });
  }

  /** Sets how to read the whole catalog for a snapshot; compaction waits until one is set. */
  setSnapshotSource(source: () => Iterable<Mutation>): void {
    this.source = source;
  }

  /** Writes a snapshot and starts a new journal now, whatever the journal size; resolves when done. */
  async compact(): Promise<void> {
    if (this.state !== 'open') throw new Error(`JournalPersistence for ${this.dir} is not open`);
    if (!this.source) throw new Error('JournalPersistence.compact(): no snapshot source has been set');
    if (this.failure) throw this.failure;
    return new Promise<void>((resolve, reject) => {
      this.compactionWaiters.push({ resolve, reject });
      this.compactWanted = true;
      this.kick();
    });
  }

  /** Flushes queued commits, waits for a running compaction, closes files and removes the lock. */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'new') {
      this.state = 'closed';
      return;
    }
    if (this.state === 'open') this.state = 'closing';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    while (this.running || this.compaction || this.recovering) {
      await this.loopDone;
      await this.compaction;
      await this.recovering;
    }
    await this.tailCut;
    this.closeFdQuietly();
    if (this.state === 'crashed') return this.lock?.abandon(); // a dead process leaves its LOCK behind
    this.lock?.release();
    this.state = 'closed';
  }

  /** Bytes in the live journal file. */
  journalBytes(): number {
    return this.counters.journalBytes;
  }

  /** A copy of the counters. */
  stats(): JournalStats {
    return { ...this.counters };
  }

  /** Whether commits are accepted now, and if not since when and why. */
  health(): PersistenceHealth {
    if (this.state === 'new') return { writable: false, lastError: 'not loaded yet' };
    if (this.state === 'closed' || this.state === 'closing') return { writable: false, lastError: `JournalPersistence for ${this.dir} is closed` };
    if (!this.failure) return { writable: true };
    return { writable: false, lastError: this.failure.message, errorCode: this.failure.errno, since: this.failedAt.toISOString() };
  }

  /**
   * While writes are refused: tries a fresh generation now unless one is being written (then
   * waits for it) or the last attempt was less than the current backoff ago (then returns at
   * once). Resolves with the health afterwards.
   */
  async recover(): Promise<PersistenceHealth> {
    if (this.failure && !this.permanent && this.state === 'open') {
      if (this.recovering) await this.recovering;
      else if (performance.now() >= this.nextAttemptAt) await this.attemptRecovery();
    }
    return this.health();
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.runLoop();
  }

  /** The only writer of the journal descriptor: one write + fdatasync at a time, batching whatever queued meanwhile. */
  private async runLoop(): Promise<void> {
    try {
      while (!this.failure && (this.pending.length > 0 || (this.compactWanted && !this.compaction))) {
        try {
          // Fencing: no journal write nor compaction once another process may own the directory.
          this.lock?.check();
        } catch (err) {
          this.fail(err as Error, []);
          return;
        }
        if (this.compactWanted && !this.compaction) {
          this.compactWanted = false;
          await this.switchGeneration();
          continue;
        }
        const batch = this.pending;
        this.pending = [];
        const records = batch.map((c) => c.record).filter((r) => r.length > 0);
        // Every record of the batch but the last says that more of the batch follows.
        for (let i = 0; i < records.length - 1; i++) records[i][3] |= MORE_IN_BATCH >>> 24;
        const data = records.length === 1 ? records[0] : Buffer.concat(records);
        try {
          if (data.length > 0) {
            await writeAll(this.fd, data);
            const t0 = performance.now();
            await fdatasync(this.fd);
            this.counters.fsyncMsTotal += performance.now() - t0;
            this.counters.fsyncs += 1;
          }
        } catch (err) {
          this.fail(err as Error, batch, this.counters.journalBytes);
          return;
        }
        this.counters.flushes += 1;
        this.counters.journalBytes += data.length;
        for (const c of batch) c.resolve();
        if (this.counters.journalBytes > this.nextAutoCompactAt && this.source && !this.compaction) this.compactWanted = true;
      }
    } finally {
      this.running = false;
    }
  }

  /** Steps 1-3 of a compaction; runs inside the loop so no journal write is in flight. */
  private async switchGeneration(): Promise<void> {
    const source = this.source;
    const waiters = this.compactionWaiters;
    this.compactionWaiters = [];
    if (!source) return settle(waiters, new Error('no snapshot source'));
    const next = this.counters.generation + 1;
    const tmp = snapshotTmpPath(this.dir, next);
    let snap: ReturnType<typeof writeSnapshotSync>;
    let newFd: number;
    try {
      snap = writeSnapshotSync(tmp, source());
    } catch (err) {
      return this.compactionFailed(err as Error, waiters);
    }
    try {
      newFd = fs.openSync(journalPath(this.dir, next), 'wx');
    } catch (err) {
      fs.closeSync(snap.fd);
      fs.rmSync(tmp, { force: true });
      return this.compactionFailed(err as Error, waiters);
    }
    const oldFd = this.fd;
    this.fd = newFd;
    this.counters.generation = next;
    this.counters.journalBytes = 0;
    this.nextAutoCompactAt = this.maxJournalBytes;
    const started = performance.now();
    try {
      await closeFd(oldFd);
      await fsyncDir(this.dir);
    } catch (err) {
      // Without a durable name for the new journal no commit written to it may be acknowledged.
      fs.closeSync(snap.fd);
      this.fail(err as Error, []);
      return settle(waiters, this.failure ?? (err as Error));
    }
    this.compaction = this.finishCompaction(next, snap, tmp, started, waiters).finally(() => {
      this.compaction = null;
      if (this.compactWanted && !this.failure) this.kick();
    });
  }

  /** Steps 4-6, off the commit path: commits keep flowing to the new journal meanwhile. */
  private async finishCompaction(
    gen: number,
    snap: { fd: number; bytes: number; mutations: number },
    tmp: string,
    started: number,
    waiters: Waiter[],
  ): Promise<void> {
    let renamed = false;
    try {
      await this.step('afterNewJournal', snap.fd);
      await new Promise<void>((resolve, reject) => fs.fsync(snap.fd, (err) => (err ? reject(err) : resolve())));
      await closeFd(snap.fd);
      snap.fd = -1;
      await this.step('afterSnapshotTmp', -1);
      // The snapshot may hold commits that have failed since: the retry after the failure writes
      // a snapshot of its own, this one must not become the base.
      if (this.failure) throw this.failure;
      await fs.promises.rename(tmp, snapshotPath(this.dir, gen));
      renamed = true;
      await fsyncDir(this.dir);
      await this.step('afterRename', -1);
      const listing = listDir(this.dir);
      for (const g of listing.journals.filter((j) => j < gen)) await fs.promises.rm(journalPath(this.dir, g), { force: true });
      await this.step('afterOldJournalsDeleted', -1);
      for (const g of listing.snapshots.filter((s) => s < gen)) await fs.promises.rm(snapshotPath(this.dir, g), { force: true });
      this.counters.compactions += 1;
      this.log('info', `compacted ${this.dir} to generation ${gen}: ${snap.mutations} mutations, ${snap.bytes} bytes in ${Math.round(performance.now() - started)} ms`);
      settle(waiters);
    } catch (err) {
      if (this.state === 'crashed') return settle(waiters, err as Error);
      if (snap.fd >= 0) fs.closeSync(snap.fd);
      if (!renamed) await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
      // The older generation stays in place, so the directory still opens with nothing lost.
      this.compactionFailed(err as Error, waiters);
    }
  }

  private async step(step: CompactionStep, snapFd: number): Promise<void> {
    if (!this.onCompactionStep) return;
    try {
      await this.onCompactionStep(step);
    } catch (err) {
      if (snapFd >= 0) fs.closeSync(snapFd);
      this.crash(step);
      throw err;
    }
  }

  private compactionFailed(err: Error, waiters: Waiter[]): void {
    this.log('error', `compaction of ${this.dir} failed (older files kept, nothing lost): ${err.message}`);
    // Retry only after another full journal's worth of writes rather than after every flush.
    this.nextAutoCompactAt = this.counters.journalBytes + this.maxJournalBytes;
    settle(waiters, err);
  }

  /**
   * A failed write or fsync leaves the file in an unknown state: reject the batch and everything
   * queued, refuse commits from now on, cut the journal back to `goodEnd` (its last fsynced byte)
   * if given, and schedule a retry (see the header comment).
   */
  private fail(cause: Error, batch: PendingCommit[], goodEnd?: number): void {
    if (!this.failure) {
      const errno = (cause as NodeJS.ErrnoException).code;
      const file = journalPath(this.dir, this.counters.generation);
      this.failure = new StorageUnavailableError(`journal ${file} failed: ${cause.message}; writes are refused until a new generation is written`, { cause, errno });
      this.failedAt = new Date();
      this.counters.failures += 1;
      this.log('error', this.failure.message);
      // A batch that reached the disk despite the error must not come back at the next start-up.
      if (goodEnd !== undefined) this.tailCut = this.cutTail(this.fd, goodEnd, file);
      this.retryDelayMs = this.retryMinMs;
      this.nextAttemptAt = performance.now() + this.retryDelayMs;
      this.scheduleRetry();
    }
    const failure = this.failure;
    for (const c of [...batch, ...this.pending]) c.reject(failure);
    this.pending = [];
    settle(this.compactionWaiters.splice(0), failure);
  }

  /** Truncates the failed journal to its last fsynced byte, best effort (the disk may refuse that too). */
  private async cutTail(fd: number, goodEnd: number, file: string): Promise<void> {
    try {
      await new Promise<void>((resolve, reject) => fs.ftruncate(fd, goodEnd, (err) => (err ? reject(err) : resolve())));
      await fdatasync(fd);
    } catch (err) {
      this.log('warn', `could not cut ${file} back to ${goodEnd} bytes after the failure (${(err as Error).message}); until a new generation is written, a crash may bring back the failed batch`);
    }
  }

  private scheduleRetry(): void {
    if (this.permanent || this.retryTimer || this.state !== 'open') return;
    const delay = Math.max(0, this.nextAttemptAt - performance.now());
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.attemptRecovery();
    }, delay);
    // A retry must never keep an otherwise finished process alive.
    this.retryTimer.unref();
  }

  private attemptRecovery(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.recovering ??= this.writeFreshGeneration().finally(() => {
      this.recovering = null;
    });
    return this.recovering;
  }

  /**
   * After a failure: a new generation from memory (snapshot + empty journal), then writes are
   * accepted again. On failure, everything half-made is removed and the next try is scheduled.
   */
  private async writeFreshGeneration(): Promise<void> {
    try {
      this.lock?.check();
    } catch (err) {
      this.permanent = true;
      this.log('error', `not retrying the journal of ${this.dir}: ${(err as Error).message}`);
      return;
    }
    // Rollbacks of the failed commits run as soon as their rejections are handled; let them.
    await new Promise<void>((resolve) => setImmediate(resolve));
    await this.tailCut;
    await this.compaction;
    if (!this.failure || this.permanent || this.state !== 'open') return;
    const source = this.source;
    const listing = listDir(this.dir);
    const next = Math.max(this.counters.generation, ...listing.journals, ...listing.snapshots) + 1;
    const tmp = snapshotTmpPath(this.dir, next);
    const journal = journalPath(this.dir, next);
    let snapFd = -1;
    let newFd = -1;
    let renamed = false;
    let mutations: number;
    try {
      if (!source) throw new Error('no snapshot source has been set');
      const snap = writeSnapshotSync(tmp, source());
      snapFd = snap.fd;
      mutations = snap.mutations;
      newFd = fs.openSync(journal, 'wx');
      await new Promise<void>((resolve, reject) => fs.fsync(snapFd, (err) => (err ? reject(err) : resolve())));
      await closeFd(snapFd);
      snapFd = -1;
      await fs.promises.rename(tmp, snapshotPath(this.dir, next));
      renamed = true;
      await fsyncDir(this.dir);
    } catch (err) {
      if (snapFd >= 0) fs.closeSync(snapFd);
      if (newFd >= 0) fs.closeSync(newFd);
      if (!renamed) {
        // Until the rename the old generation is the base: leave nothing of the new one behind.
        await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
        if (newFd >= 0) await fs.promises.rm(journal, { force: true }).catch(() => undefined);
      }
      this.retryFailed(err as Error);
      return;
    }
    const oldFd = this.fd;
    this.fd = newFd;
    this.counters.generation = next;
    this.counters.journalBytes = 0;
    this.nextAutoCompactAt = this.maxJournalBytes;
    if (oldFd >= 0) await closeFd(oldFd).catch(() => undefined);
    for (const g of listing.journals.filter((j) => j < next)) await fs.promises.rm(journalPath(this.dir, g), { force: true }).catch(() => undefined);
    for (const g of listing.snapshots.filter((s) => s < next)) await fs.promises.rm(snapshotPath(this.dir, g), { force: true }).catch(() => undefined);
    const seconds = ((Date.now() - this.failedAt.getTime()) / 1000).toFixed(1);
    this.failure = null;
    this.retryDelayMs = this.retryMinMs;
    this.counters.recoveries += 1;
    this.log('warn', `journal of ${this.dir} recovered after ${seconds} s: wrote generation ${next} (${mutations} mutations); writes are accepted again`);
    if (this.compactWanted || this.pending.length > 0) this.kick();
  }

  /** A retry failed: back off, keep refusing writes with the newest cause, log now and then. */
  private retryFailed(err: Error): void {
    const errno = (err as NodeJS.ErrnoException).code;
    const text = `writes to ${this.dir} are still refused: writing a new generation failed: ${err.message}`;
    this.failure = new StorageUnavailableError(text, { cause: err, errno });
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, this.retryMaxMs);
    this.nextAttemptAt = performance.now() + this.retryDelayMs;
    const now = Date.now();
    if (text !== this.lastAttemptLog.text || now - this.lastAttemptLog.at >= 60_000) {
      this.lastAttemptLog = { text, at: now };
      this.log('error', `${text} (next try in ${this.retryDelayMs} ms)`);
    }
    this.scheduleRetry();
  }

  /**
   * Test-only: behave like a process killed at `step`. Files stay as they are, including LOCK;
   * the descriptor is closed by close() once an in-flight write is over, so its number cannot be
   * reused under that write.
   */
  private crash(step: CompactionStep): void {
    this.state = 'crashed';
    this.permanent = true;
    this.fail(new Error(`simulated crash at ${step}`), []);
  }

  private closeFdQuietly(): void {
    if (this.fd < 0) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // Already closed or never valid; nothing more to release.
    }
    this.fd = -1;
  }
}

function settle(waiters: Waiter[], err?: Error): void {
  for (const w of waiters) {
    if (err) w.reject(err);
    else w.resolve();
  }
}
