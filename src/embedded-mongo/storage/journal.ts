/**
 * JournalPersistence: the durable `Persistence` of the embedded server (a write-ahead journal
 * plus snapshots). All opening work happens in `load()`; there is no separate `open()`.
 *
 * Data directory (generation g grows by one at each compaction):
 *   LOCK               pid of the owning process (lock.ts)
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
 * start-up with a message naming the file.
 *
 * Contract with the command layer: the catalog already reflects a command's mutations when
 * `commit()` is called, so a snapshot taken after a flush covers everything in that flush.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeRecord } from './framing';
import { acquireLock, releaseLock } from './lock';
import { closeFd, fdatasync, fsyncDir, fsyncDirSync, journalPath, listDir, snapshotPath, snapshotTmpPath, writeAll } from './layout';
import type { Mutation, Persistence } from './persistence';
import { recoverDirectory } from './recovery';
import { writeSnapshotSync } from './snapshot';

export { STORAGE_BSON_DESERIALIZE_OPTIONS } from './framing';

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
  /** Test hook run at each compaction step; if it throws, the instance behaves as if the process died there. */
  onCompactionStep?: (step: CompactionStep) => void | Promise<void>;
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
  private state: 'new' | 'open' | 'closing' | 'closed' | 'crashed' = 'new';
  private fd = -1;
  private pending: PendingCommit[] = [];
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  private compactWanted = false;
  private compaction: Promise<void> | null = null;
  private compactionWaiters: Waiter[] = [];
  private nextAutoCompactAt: number;
  private failure: Error | null = null;
  private source: (() => Iterable<Mutation>) | null = null;
  private readonly counters: JournalStats = { generation: 0, journalBytes: 0, commits: 0, flushes: 0, fsyncs: 0, fsyncMsTotal: 0, compactions: 0 };

  constructor(options: JournalOptions) {
    this.dir = options.dir;
    this.maxJournalBytes = options.maxJournalBytes ?? 64 * 1024 * 1024;
    this.log = options.log ?? defaultLog;
    this.onCompactionStep = options.onCompactionStep;
    this.nextAutoCompactAt = this.maxJournalBytes;
  }

  /** Takes the lock, then replays the newest snapshot and the journals after it through `apply`. */
  async load(apply: (mutation: Mutation) => void): Promise<void> {
    if (this.state !== 'new') throw new Error('JournalPersistence.load() may only be called once');
    const created = fs.mkdirSync(this.dir, { recursive: true });
    if (created !== undefined) fsyncDirSync(path.dirname(created));
    acquireLock(this.dir, (msg) => this.log('warn', msg));
    try {
      const { generation, journalBytes } = recoverDirectory(this.dir, apply, this.log);
      this.fd = fs.openSync(journalPath(this.dir, generation), 'a');
      this.counters.generation = generation;
      this.counters.journalBytes = journalBytes;
      this.state = 'open';
    } catch (err) {
      if (this.fd >= 0) fs.closeSync(this.fd);
      this.fd = -1;
      releaseLock(this.dir);
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
      return Promise.reject(err as Error);
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
    while (this.running || this.compaction) {
      await this.loopDone;
      await this.compaction;
    }
    this.closeFdQuietly();
    if (this.state === 'crashed') return; // a dead process leaves its LOCK behind
    releaseLock(this.dir);
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

  private kick(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.runLoop();
  }

  /** The only writer of the journal descriptor: one write + fdatasync at a time, batching whatever queued meanwhile. */
  private async runLoop(): Promise<void> {
    try {
      while (!this.failure && (this.pending.length > 0 || (this.compactWanted && !this.compaction))) {
        if (this.compactWanted && !this.compaction) {
          this.compactWanted = false;
          await this.switchGeneration();
          continue;
        }
        const batch = this.pending;
        this.pending = [];
        const data = batch.length === 1 ? batch[0].record : Buffer.concat(batch.map((c) => c.record));
        try {
          if (data.length > 0) {
            await writeAll(this.fd, data);
            const t0 = performance.now();
            await fdatasync(this.fd);
            this.counters.fsyncMsTotal += performance.now() - t0;
            this.counters.fsyncs += 1;
          }
        } catch (err) {
          this.fail(err as Error, batch);
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
    try {
      await this.step('afterNewJournal', snap.fd);
      await new Promise<void>((resolve, reject) => fs.fsync(snap.fd, (err) => (err ? reject(err) : resolve())));
      await closeFd(snap.fd);
      snap.fd = -1;
      await this.step('afterSnapshotTmp', -1);
      await fs.promises.rename(tmp, snapshotPath(this.dir, gen));
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

  /** A failed write or fsync leaves the file in an unknown state: stop accepting commits for good. */
  private fail(cause: Error, batch: PendingCommit[]): void {
    if (!this.failure) {
      this.failure = new Error(`journal ${journalPath(this.dir, this.counters.generation)} failed, no further commits accepted: ${cause.message}`, { cause });
      this.log('error', this.failure.message);
    }
    const failure = this.failure;
    for (const c of [...batch, ...this.pending]) c.reject(failure);
    this.pending = [];
    settle(this.compactionWaiters.splice(0), failure);
  }

  /**
   * Test-only: behave like a process killed at `step`. Files stay as they are, including LOCK;
   * the descriptor is closed by close() once an in-flight write is over, so its number cannot be
   * reused under that write.
   */
  private crash(step: CompactionStep): void {
    this.state = 'crashed';
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
