/**
 * Running the built server as a child process, as `npm start` does: building when dist/ is
 * stale, spawning it on a free port, waiting until `GET /` answers, and stopping it. Shared by
 * the start-up, durability and browser tests.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/** The project's root folder. */
export const ROOT = path.resolve(__dirname, '..', '..');
/** The compiled server that `npm start` runs. */
export const SERVER_ENTRY = path.join(ROOT, 'dist', 'src', 'server.js');

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Runs `scripts/build-if-needed.js` (what `npm start` runs first). */
export function buildIfNeeded(): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [path.join(ROOT, 'scripts', 'build-if-needed.js')], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, _out, errOut) =>
      err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(),
    ),
  );
}

/** How a child process ended: its exit code, or the signal that killed it. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running `node dist/src/server.js`, made by `spawnServer`. */
export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  port: number;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** Settles once the process has exited and its output is complete. */
  exited: Promise<ProcessExit>;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr interleaved, as they arrived. */
  output(): string;
}

export interface SpawnServerOptions {
  /** Set over `process.env` (and over PORT); a variable set to undefined is left out. */
  env?: NodeJS.ProcessEnv;
  /** The working directory, where the server reads `.env` from; default ROOT, as `npm start`. */
  cwd?: string;
  /** Default: a free port. */
  port?: number;
  /** A command the server runs under, e.g. `['unshare', '--pid', '--fork', …]`; `pid` is then the launcher's. */
  launcher?: string[];
}

/** Spawns `node dist/src/server.js` with PORT and `env`, capturing its output; does not wait for it to listen. */
export async function spawnServer({ env, cwd = ROOT, port, launcher = [] }: SpawnServerOptions = {}): Promise<ServerProcess> {
  const listenPort = port ?? (await freePort());
  const [command, ...args] = [...launcher, process.execPath, SERVER_ENTRY];
  const child = spawn(command, args, { cwd, env: { ...process.env, PORT: String(listenPort), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const captured = { stdout: '', stderr: '', output: '' };
  for (const stream of ['stdout', 'stderr'] as const) {
    child[stream].setEncoding('utf8');
    child[stream].on('data', (chunk: string) => {
      captured[stream] += chunk;
      captured.output += chunk;
    });
  }
  const exited = new Promise<ProcessExit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  if (child.pid === undefined) throw new Error('could not spawn the server');
  return {
    child,
    pid: child.pid,
    port: listenPort,
    baseUrl: `http://127.0.0.1:${listenPort}`,
    exited,
    stdout: () => captured.stdout,
    stderr: () => captured.stderr,
    output: () => captured.output,
  };
}

/**
 * Polls `GET /` until the server answers (5 s per attempt) and returns that answer. Fails with
 * the server's output if it exits first, or if it does not answer within `timeoutMs` (then it
 * is killed first).
 */
export async function waitForServer(server: ServerProcess, timeoutMs = 30_000): Promise<Response> {
  const { child } = server;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited with ${child.exitCode ?? child.signalCode}:\n${server.output()}`);
    try {
      return await fetch(`${server.baseUrl}/`, { signal: AbortSignal.timeout(5_000) });
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await stopServer(server, 'SIGKILL');
  throw new Error(`server did not answer GET / within ${timeoutMs / 1000} s:\n${server.output()}`);
}

/**
 * Sends `signal` to the server unless it has already exited, and resolves once it has; if it
 * still runs after `graceMs`, SIGKILL follows.
 */
export function stopServer(server: ServerProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<ProcessExit> {
  const { child } = server;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill(signal);
    const fallback = setTimeout(() => child.kill('SIGKILL'), graceMs);
    void server.exited.then(() => clearTimeout(fallback));
  }
  return server.exited;
}

/** Resolves with the child's exit code once it has exited. */
export function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The built server in development on `dataDir` (embedded database, journal on disk, no demo
 * data), answering: added to `running` until it exits, so a test's afterAll can kill what is left.
 */
export async function startOnDataDir(dataDir: string, options: { cwd: string; jwtKey: string; running: Set<ServerProcess>; logLevel?: string }): Promise<ServerProcess> {
  const server = await spawnServer({
    env: { TN_DATA_DIR: dataDir, NODE_ENV: 'development', TN_SEED_DEMO: 'false', LOG_LEVEL: options.logLevel ?? 'warn', TN_JWT_PRIVATE_KEY: options.jwtKey, MONGODB_URI: '' },
    cwd: options.cwd,
  });
  options.running.add(server);
  void server.exited.then(() => options.running.delete(server));
  const res = await waitForServer(server, 30_000);
  await res.arrayBuffer();
  return server;
}

/** A JSON request to a running server (20 s at most): status, headers and the parsed body ({} when empty). */
export async function callJson(server: ServerProcess, method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
