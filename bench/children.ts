/**
 * The orchestrator's side of the process protocol (see ipc.ts): forks a server under test,
 * waits for its port, sends it requests, and makes sure no child outlives the run (stop()
 * in finally blocks, and every live child is killed on SIGINT/SIGTERM or exit).
 *
 * ScriptServer starts the API the way `npm start` does (`dist/src/server.js`, no IPC channel),
 * for the `TN_WORKERS` runs: it is ready once `GET /` answers, and the processes it forks
 * (node:cluster workers) are found through /proc so they can be counted and never outlive the run.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';

/** How to start one child. */
export interface ChildSpec {
  /** Short name used to prefix the child's output on stderr. */
  label: string;
  /** File name of the entry next to this file, e.g. `serverProcess.js`. */
  entry: string;
  args?: string[];
  env: Record<string, string>;
  /** Node flags for the child (e.g. `--cpu-prof`). */
  execArgv?: string[];
  readyTimeoutMs?: number;
  /** Show the child's stdout/stderr lines on our stderr (default true). */
  echo?: boolean;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

const live = new Set<ChildProcess>();
/** Processes our children forked (cluster workers): killed with them. */
const grandchildren = new Set<number>();

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function killAll(): void {
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null) kill(child.pid);
  }
  for (const pid of grandchildren) kill(pid);
}

let handlersInstalled = false;
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping ${live.size} server process(es)\n`);
      killAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Registers a process spawned elsewhere (the scale-out rows' database) so it is killed with the others on exit or a signal. */
export function trackChild(child: ChildProcess): void {
  installExitHandlers();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** A running server under test. */
export class BenchChild {
  readonly port: number;
  readonly pid: number;
  /** Everything else the child said in its ready message (e.g. the API's `dbUri`). */
  readonly info: Record<string, unknown>;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited: Promise<void>;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    ready: { port: number; pid: number; info: Record<string, unknown> },
    exited: Promise<void>,
  ) {
    this.port = ready.port;
    this.pid = ready.pid;
    this.info = ready.info;
    this.exited = exited;
    child.on('message', (raw: unknown) => {
      const message = raw as { id?: number; type?: string; ok?: boolean; result?: unknown; error?: string };
      if (message.type !== 'reply' || message.id === undefined) return;
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (message.ok) pending.resolve(message.result);
      else pending.reject(new Error(`[${label}] ${message.error ?? 'request failed'}`));
    });
    child.on('exit', (code, signal) => {
      for (const pending of this.pending.values()) {
        pending.reject(new Error(`[${label}] exited (code ${code}, signal ${signal}) before replying`));
      }
      this.pending.clear();
    });
  }

  /** Forks the child and resolves once it reported its port. */
  static start(spec: ChildSpec): Promise<BenchChild> {
    installExitHandlers();
    const child = fork(path.join(__dirname, spec.entry), spec.args ?? [], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...spec.env },
      execArgv: spec.execArgv ?? [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    live.add(child);
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => {
        live.delete(child);
        resolve();
      });
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      const lines = readline.createInterface({ input: stream });
      lines.on('line', (line) => {
        if (spec.echo !== false) process.stderr.write(`  [${spec.label}] ${line}\n`);
      });
    }
    return new Promise<BenchChild>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`[${spec.label}] not ready after ${spec.readyTimeoutMs ?? 60_000} ms`));
      }, spec.readyTimeoutMs ?? 60_000);
      const onExit = (code: number | null) => {
        clearTimeout(timer);
        reject(new Error(`[${spec.label}] exited with code ${code} during start-up`));
      };
      child.once('exit', onExit);
      const onMessage = (raw: unknown) => {
        const message = raw as { type?: string; port?: number; pid?: number; error?: string };
        if (message.type === 'ready') {
          clearTimeout(timer);
          child.off('exit', onExit);
          child.off('message', onMessage);
          const { type: _type, port, pid, ...info } = message;
          resolve(new BenchChild(spec.label, child, { port: port ?? 0, pid: pid ?? child.pid ?? 0, info }, exited));
        } else if (message.type === 'fatal') {
          clearTimeout(timer);
          child.off('exit', onExit);
          child.off('message', onMessage);
          child.kill('SIGKILL');
          reject(new Error(`[${spec.label}] start-up failed: ${message.error}`));
        }
      };
      child.on('message', onMessage);
    });
  }

  /** Base URL of the server on loopback. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Sends one request over IPC and resolves with the child's result. */
  request<T>(type: string, payload: Record<string, unknown> = {}, timeoutMs = 30 * 60_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`[${this.label}] no reply to ${type} after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      this.child.send({ id, type, ...payload });
    });
  }

  /** Asks the child to shut down; kills it if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    try {
      if (this.child.connected) this.child.send({ id: 0, type: 'stop' });
    } catch {
      // channel already closed
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * The pids whose parent is `pid`, from /proc (Linux). Empty where there is no /proc: callers
 * treat "no children seen" as "cannot tell", not as proof.
 */
export function childPids(pid: number, procDir = '/proc'): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync(procDir);
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(path.join(procDir, entry, 'stat'), 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === pid) children.push(Number(entry));
  }
  return children.sort((a, b) => a - b);
}

/** Whether process `pid` is alive and runs `script` (its command line names it). */
function runs(pid: number, script: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(script);
  } catch {
    return false;
  }
}

/** A loopback port nobody listens on right now (the kernel's choice for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** How to start a script server. */
export interface ScriptSpec {
  label: string;
  /** Absolute path of the script, e.g. dist/src/server.js. */
  script: string;
  env: Record<string, string>;
  /** The port the script listens on (its PORT): it has no channel to tell us. */
  port: number;
  readyTimeoutMs?: number;
}

/** A server started as a plain script (`node dist/src/server.js`), e.g. with TN_WORKERS=2. */
export class ScriptServer {
  private readonly seen = new Set<number>();

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    private readonly script: string,
    readonly port: number,
    private readonly exited: Promise<void>,
  ) {}

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The primary's live child processes (cluster workers), remembered so stop() can kill them too. */
  workerPids(): number[] {
    const pids = childPids(this.pid);
    for (const pid of pids) {
      this.seen.add(pid);
      grandchildren.add(pid);
    }
    return pids;
  }

  /** Starts the script and resolves once `GET /` answers 200. */
  static async start(spec: ScriptSpec): Promise<ScriptServer> {
    installExitHandlers();
    const child = spawn(process.execPath, [spec.script], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...spec.env, PORT: String(spec.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    let exitCode: number | null | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exitCode = code ?? (signal ? -1 : null);
        live.delete(child);
        resolve();
      });
    });
    const lastLines: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on('line', (line) => {
        lastLines.push(line);
        if (lastLines.length > 5) lastLines.shift();
        process.stderr.write(`  [${spec.label}] ${line}\n`);
      });
    }
    const server = new ScriptServer(spec.label, child, spec.script, spec.port, exited);
    const deadline = performance.now() + (spec.readyTimeoutMs ?? 60_000);
    for (;;) {
      if (exitCode !== undefined) throw new Error(`[${spec.label}] exited with code ${exitCode} during start-up: ${lastLines.join(' / ')}`);
      try {
        const res = await fetch(`${server.url}/`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) return server;
      } catch {
        // not listening yet
      }
      if (performance.now() > deadline) {
        await server.stop(0);
        throw new Error(`[${spec.label}] not answering GET / after ${spec.readyTimeoutMs ?? 60_000} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** SIGTERM to the primary (it stops its workers); SIGKILL to everything left after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    this.workerPids();
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    // Workers of a primary that was killed (or that left them behind) must not keep the port;
    // a pid is only killed while it still runs our script (pids are reused).
    for (const pid of this.seen) {
      if (runs(pid, this.script)) kill(pid);
      grandchildren.delete(pid);
    }
  }
}
