/**
 * One owner per data directory: a `LOCK` file holding the owner's pid.
 *
 * The file is written under a unique temporary name and then hard-linked to `LOCK`, so `LOCK`
 * appears atomically and never empty. A lock whose pid is not alive is taken over, and so is
 * one naming this very process when this process does not hold it: an earlier process had the
 * same pid, as after a container restart where the server is always, say, pid 1. Two
 * processes taking over the same stale lock at the same moment could both succeed (Node has no
 * flock); that needs a crash followed by two simultaneous starts, which we accept.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Name of the lock file inside the data directory. */
export const LOCK_NAME = 'LOCK';

/** Directories (real paths) whose LOCK this process holds. */
const held = new Set<string>();

/** Whether `pid` names a running process; signal 0 probes without delivering anything. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Takes the lock of `dir` for this process, or throws naming the directory and the owner's pid. */
export function acquireLock(dir: string, warn: (msg: string) => void): void {
  const lockFile = path.join(dir, LOCK_NAME);
  const key = fs.realpathSync(dir);
  const tmp = path.join(dir, `${LOCK_NAME}.${process.pid}.${Date.now()}.tmp`);
  fs.writeFileSync(tmp, `${process.pid}\n`);
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(tmp, lockFile);
        held.add(key);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw err;
      }
      const text = readLock(lockFile);
      if (text === undefined) continue; // vanished between link and read: try again
      const pid = Number.parseInt(text, 10);
      const ours = pid === process.pid;
      if (ours ? held.has(key) : Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        const who = ours ? 'this process' : `process ${pid}`;
        throw new Error(
          `data directory ${dir} is locked by ${who} (${lockFile}); stop that process, or delete the LOCK file if that pid is not a Thunder Notes server`,
        );
      }
      const previous = ours ? `an earlier process with this pid ${pid}` : Number.isInteger(pid) ? `dead process ${pid}` : `unreadable content ${JSON.stringify(text)}`;
      warn(`taking over stale lock ${lockFile} left by ${previous}`);
      fs.rmSync(lockFile, { force: true });
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Removes the lock of `dir` if this process still holds it. */
export function releaseLock(dir: string): void {
  const lockFile = path.join(dir, LOCK_NAME);
  try {
    held.delete(fs.realpathSync(dir));
  } catch {
    // The directory is gone, and with it the lock.
  }
  if (readLock(lockFile)?.trim() === String(process.pid)) fs.rmSync(lockFile, { force: true });
}

function readLock(lockFile: string): string | undefined {
  try {
    return fs.readFileSync(lockFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
