/**
 * The private directory that holds the server's Unix domain socket. The directory (0700, owned
 * by this process's user) is what keeps other users out: connecting to a socket needs search
 * permission on its directory, which the kernel checks for everyone but root.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** `<prefix><pid>-<random>`: the pid lets a later start tell a crashed run's directory from a live one. */
const PREFIX = 'tn-mongo-';
const STALE_NAME = /^tn-mongo-(\d+)-[A-Za-z0-9]+$/;
/** The socket's file name inside the directory. */
export const SOCKET_NAME = 'mongodb.sock';
/** sun_path holds 108 bytes on Linux and 104 on macOS, with the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 103;

/** A created socket directory. */
export interface SocketDir {
  dir: string;
  /** The socket's path, for `listen()` and the connection string. */
  socketPath: string;
  /** Removes the directory and the socket in it; safe to call twice. */
  remove(): void;
}

/** Creates a fresh private directory under `parent` (default: the OS temporary directory) and checks it is private. */
export function createSocketDir(parent: string = os.tmpdir()): SocketDir {
  const dir = fs.mkdtempSync(path.join(parent, `${PREFIX}${process.pid}-`));
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    // mkdtemp creates 0700 already; saying so keeps it true should that default ever change.
    fs.chmodSync(dir, 0o700);
    const st = fs.lstatSync(dir);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (st.mode & 0o077) !== 0 || (uid !== undefined && st.uid !== uid)) {
      throw new Error(`socket directory ${dir} is not private to this user`);
    }
    const socketPath = path.join(dir, SOCKET_NAME);
    const bytes = Buffer.byteLength(socketPath);
    if (bytes > MAX_SOCKET_PATH_BYTES) {
      throw new Error(`socket path ${socketPath} is ${bytes} bytes, over the ${MAX_SOCKET_PATH_BYTES} a Unix socket allows: use a shorter temporary directory`);
    }
    return { dir, socketPath, remove };
  } catch (err) {
    remove();
    throw err;
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What connecting to a socket path shows: a listener, a socket file nobody listens on, or no socket. */
type Probe = 'listening' | 'dead' | 'missing';

function probeSocket(socketPath: string): Promise<Probe> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    const finish = (answer: Probe) => {
      probe.destroy();
      resolve(answer);
    };
    // Undecided after a second: assume someone is there.
    probe.setTimeout(1000, () => finish('listening'));
    probe.once('connect', () => finish('listening'));
    probe.once('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED' ? 'dead' : err.code === 'ENOENT' ? 'missing' : 'listening'));
  });
}

/** A live server's socket goes from bound to listening within one call; a minute is beyond doubt. */
const DEAD_SOCKET_AGE_MS = 60_000;

/**
 * Removes socket directories that crashed runs of this user left in `parent`: nothing listens
 * on the socket, and the process that made it is gone (or, as for a server that ran as PID 1
 * in a container sharing this directory, its socket has been dead for over a minute). A fresh
 * directory per start means these never block a start; this only keeps them from piling up.
 */
export async function removeStaleSocketDirs(parent: string = os.tmpdir(), log: (msg: string) => void = () => {}): Promise<void> {
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const match = STALE_NAME.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    const dir = path.join(parent, name);
    try {
      const st = fs.lstatSync(dir);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      const probe = await probeSocket(path.join(dir, SOCKET_NAME));
      if (probe === 'listening') continue;
      // Our pid may name another PID namespace's process; only a dead socket file, long dead, tells then.
      const creatorGone = pid !== process.pid && !processExists(pid);
      if (!creatorGone && !(probe === 'dead' && Date.now() - st.mtimeMs > DEAD_SOCKET_AGE_MS)) continue;
      fs.rmSync(dir, { recursive: true, force: true });
      log(`removed ${dir}, left by process ${pid}: nothing listens on its socket`);
    } catch {
      // Another process removed it first, or it is not ours to remove: either way, not our concern.
    }
  }
}

/**
 * A fixed socket path instead of a fresh directory, so that processes started separately can
 * find the server (`npm run db` and several API processes). The guarantee stays the same: the
 * directory (created 0700 when missing) must be private to this user, or the start is refused.
 * A socket file nobody listens on, left by a crashed run, is replaced; one a server still listens
 * on refuses the start. remove() takes away the socket only: the directory may be the operator's.
 */
export async function useSocketPath(socketPath: string): Promise<SocketDir> {
  const bytes = Buffer.byteLength(socketPath);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`socket path ${socketPath} is ${bytes} bytes, over the ${MAX_SOCKET_PATH_BYTES} a Unix socket allows: choose a shorter one`);
  }
  const dir = path.dirname(socketPath);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (st.mode & 0o077) !== 0 || (uid !== undefined && st.uid !== uid)) {
    const found = st.isDirectory() ? `mode ${(st.mode & 0o777).toString(8)}, owner uid ${st.uid}` : 'not a directory';
    throw new Error(`socket directory ${dir} must be a directory private to this user (mode 700, owner uid ${uid}); it is ${found}`);
  }
  const existing = fs.lstatSync(socketPath, { throwIfNoEntry: false });
  if (existing) {
    if (!existing.isSocket()) throw new Error(`${socketPath} exists and is not a socket`);
    if ((await probeSocket(socketPath)) === 'listening') throw new Error(`another server is listening on ${socketPath}`);
    fs.rmSync(socketPath, { force: true });
  }
  return { dir, socketPath, remove: () => fs.rmSync(socketPath, { force: true }) };
}
