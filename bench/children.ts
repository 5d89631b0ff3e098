/**
 * The orchestrator's side of the process protocol (see ipc.ts): forks a server under test,
 * waits for its port, sends it requests, and makes sure no child outlives the run (stop()
 * in finally blocks, and every live child is killed on SIGINT/SIGTERM or exit).
 */
import { fork, type ChildProcess } from 'node:child_process';
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

function killAll(): void {
  for (const child of live) {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
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

/** A running server under test. */
export class BenchChild {
  readonly port: number;
  readonly pid: number;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited: Promise<void>;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    ready: { port: number; pid: number },
    exited: Promise<void>,
  ) {
    this.port = ready.port;
    this.pid = ready.pid;
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
          resolve(new BenchChild(spec.label, child, { port: message.port ?? 0, pid: message.pid ?? child.pid ?? 0 }, exited));
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
