/**
 * Several API processes on one embedded database, with real processes built as `npm start` runs
 * them:
 * - `npm run db` alone (a fixed socket path) and two API processes started with MONGODB_URI set
 *   to what it printed: 200 concurrent POST /notes spread over both get 200 distinct ids, and
 *   every note reads the same (body and ETag) from either; SIGTERM closes the database (exit 0,
 *   LOCK released, socket removed).
 * - `TN_WORKERS=2 npm start`: two API processes (children of the primary) both hold answered
 *   client connections, as the kernel's socket table shows; one killed with SIGKILL is replaced;
 *   SIGTERM stops everything (exit 0, port free, LOCK released).
 * - restarts are bounded: the sixth API process to die within a minute stops the cluster (exit 1).
 * No debug header or pid in the API's answers is needed: the proof is the process table.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { uniqueEmail } from '../helpers/ids';
import { usingRealMongo } from '../helpers/mongoTarget';
import { buildIfNeeded, freePort, isAlive, ROOT, SERVER_ENTRY, spawnServer, stopServer, waitForServer, type ProcessExit, type ServerProcess } from '../helpers/serverProcess';
import { makeTempDir, removeDir } from '../helpers/tmp';

jest.setTimeout(120_000);

const JWT_KEY = 'topology-test-key-0123456789abcdefghijklmnopqrstuvwxyz';
const NOTES = 200;
const JSON_HEADERS = { 'Content-Type': 'application/json' };

const describeEmbedded = usingRealMongo ? describe.skip : describe;
if (usingRealMongo) console.warn(`${__filename}: skipped: MONGODB_URI is set, no embedded server is started`);

/** What every process here runs with: test settings, no demo data, JSON logs, one shared signing key. */
const BASE_ENV = { NODE_ENV: 'test', TN_SEED_DEMO: 'false', LOG_LEVEL: 'info', TN_LOG_FORMAT: 'json', TN_JWT_PRIVATE_KEY: JWT_KEY, MONGODB_URI: '', TN_WORKERS: '1' };

let work: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  work = makeTempDir('tn-topo-');
  try {
    await buildIfNeeded();
  } catch (err) {
    // tsc still emits when someone else's work in progress has a type error.
    if (!fs.existsSync(SERVER_ENTRY)) throw err;
    process.stderr.write(`[topology] build-if-needed failed, testing the existing dist/: ${(err as Error).message.split('\n')[0]}\n`);
  }
}, 240_000);

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  removeDir(work);
});

/** A child process with its output captured and its exit awaited. */
interface Running {
  child: ChildProcess;
  output(): string;
  exited: Promise<ProcessExit>;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Running {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<ProcessExit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exited };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The pids of a process's children, from /proc. */
function childrenOf(pid: number): number[] {
  const pids: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // The fields after the command name (in parentheses, which may hold spaces): state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids.sort((a, b) => a - b);
}

/** Which processes hold the server side of the established TCP connections on `port` (ss -tnp). */
function serverSidePids(port: number): number[] {
  const table = execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  return [...new Set([...table.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1])))].sort((a, b) => a - b);
}

/** The process listening on `port`. */
function listenerPid(port: number): number {
  return Number(/pid=(\d+)/.exec(execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' }))?.[1]);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, () => probe.close(() => resolve(true)));
  });
}

/** Registers a user through `baseUrl` and logs in through `loginUrl`; returns the Authorization header. */
async function userToken(baseUrl: string, loginUrl = baseUrl): Promise<string> {
  const email = uniqueEmail('topology');
  const password = 'correct horse';
  const reg = await fetch(`${baseUrl}/users`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ name: 'Topology', email, password }) });
  expect(reg.status).toBe(201);
  const auth = await fetch(`${loginUrl}/auth`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ email, password }) });
  expect(auth.status).toBe(200);
  return `Bearer ${((await auth.json()) as { access_token: string }).access_token}`;
}

/** GETs `path` on a keep-alive agent; resolves with the status once the answer is complete. */
function getWith(agent: http.Agent, port: number, path: string, authorization: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, headers: { Authorization: authorization } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
  });
}

describeEmbedded('`npm run db` and two API processes', () => {
  it('200 concurrent POST /notes over both get 200 distinct ids; every note reads the same from either; 20 retries of one Idempotency-Key over both make one note; SIGTERM closes the database cleanly', async () => {
    const dataDir = path.join(work, 'shared-data');
    const socketPath = path.join(work, 'run', 'mongodb.sock');
    const db = run('npm', ['run', '--silent', 'db'], { ...BASE_ENV, TN_DATA_DIR: dataDir, TN_DB_SOCKET: socketPath });
    const uri = await until('the connection string', () => /^MONGODB_URI=(.+)$/m.exec(db.output())?.[1]);
    expect(uri).toBe(`mongodb://${encodeURIComponent(socketPath)}/?maxIdleTimeMS=300000`);
    expect(fs.statSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700);
    const dbPid = Number(fs.readFileSync(path.join(dataDir, 'LOCK'), 'utf8').split('\n')[0]);

    const apis: ServerProcess[] = [];
    try {
      for (let i = 0; i < 2; i++) apis.push(await spawnServer({ env: { ...BASE_ENV, MONGODB_URI: uri, LOG_LEVEL: 'warn' } }));
      await Promise.all(apis.map((api) => waitForServer(api)));
      const [a, b] = apis;
      const authorization = await userToken(a.baseUrl, b.baseUrl);

      const created = await Promise.all(
        Array.from({ length: NOTES }, async (_, i) => {
          const res = await fetch(`${apis[i % 2].baseUrl}/notes`, { method: 'POST', headers: { ...JSON_HEADERS, Authorization: authorization }, body: JSON.stringify({ text: `note ${i}` }) });
          return { status: res.status, id: ((await res.json()) as { id: string }).id, text: `note ${i}` };
        }),
      );
      expect(created.filter((note) => note.status !== 201)).toEqual([]);
      expect(new Set(created.map((note) => note.id)).size).toBe(NOTES);

      const mismatches: string[] = [];
      for (let start = 0; start < NOTES; start += 20) {
        await Promise.all(
          created.slice(start, start + 20).map(async (note) => {
            const [fromA, fromB] = await Promise.all(apis.map((api) => fetch(`${api.baseUrl}/notes/${note.id}`, { headers: { Authorization: authorization } })));
            const [bodyA, bodyB] = await Promise.all([fromA.text(), fromB.text()]);
            const same = fromA.status === 200 && fromB.status === 200 && fromA.headers.get('etag') !== null && fromA.headers.get('etag') === fromB.headers.get('etag') && bodyA === bodyB;
            if (!same || (JSON.parse(bodyA) as { text: string }).text !== note.text) mismatches.push(`${note.id}: ${fromA.status}/${fromB.status} ${fromA.headers.get('etag')} ${fromB.headers.get('etag')}`);
          }),
        );
      }
      expect(mismatches).toEqual([]);

      // One Idempotency-Key, 20 concurrent retries spread over both processes: one note, one id in every answer.
      const keyed = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const res = await fetch(`${apis[i % 2].baseUrl}/notes`, {
            method: 'POST',
            headers: { ...JSON_HEADERS, Authorization: authorization, 'Idempotency-Key': '"across-processes"' },
            body: JSON.stringify({ text: 'once across processes' }),
          });
          return { status: res.status, id: ((await res.json()) as { id: string }).id };
        }),
      );
      expect(keyed.map((r) => r.status)).toEqual(Array(20).fill(201));
      expect(new Set(keyed.map((r) => r.id)).size).toBe(1);
      const list = await fetch(`${b.baseUrl}/notes?q=once%20across%20processes`, { headers: { Authorization: authorization } });
      expect(((await list.json()) as { page: { totalItems: number } }).page.totalItems).toBe(1);

      for (const api of apis) expect(await stopServer(api)).toEqual({ code: 0, signal: null });
    } finally {
      for (const api of apis) await stopServer(api, 'SIGKILL');
    }

    process.kill(dbPid, 'SIGTERM');
    expect(await db.exited).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(dataDir, 'LOCK'))).toBe(false);
    expect(fs.existsSync(socketPath)).toBe(false);
    expect(db.output()).toContain('shutdown: embedded database closed (journal flushed, lock released)');
  });
});

describeEmbedded('TN_WORKERS=2 under `npm start`', () => {
  it('runs two API processes that both answer, replaces one killed with SIGKILL, and stops everything on SIGTERM (exit 0, LOCK released)', async () => {
    const dataDir = path.join(work, 'cluster-data');
    const port = await freePort();
    const npm = run('npm', ['start', '--silent'], { ...BASE_ENV, PORT: String(port), TN_WORKERS: '2', TN_DATA_DIR: dataDir });
    const baseUrl = `http://127.0.0.1:${port}`;
    await until('the cluster to listen', () => (/with 2 API processes/.test(npm.output()) ? true : undefined));
    const primary = listenerPid(port);
    const workers = childrenOf(primary);
    expect(workers).toHaveLength(2);

    // Keep-alive connections, each answered once: the kernel's table shows which process holds each.
    const authorization = await userToken(baseUrl);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    try {
      const statuses = await Promise.all(Array.from({ length: 8 }, () => getWith(agent, port, '/notes', authorization)));
      expect(statuses).toEqual(Array(8).fill(200));
      expect(serverSidePids(port)).toEqual(workers);
    } finally {
      agent.destroy();
    }

    // One API process dies: the primary starts another, which serves; the other kept serving.
    process.kill(workers[0], 'SIGKILL');
    const replaced = await until('a replacement API process', () => {
      const now = childrenOf(primary);
      return now.length === 2 && !now.includes(workers[0]) ? now : undefined;
    });
    expect(replaced).toContain(workers[1]);
    await until('the replacement to serve', () => (new RegExp(`API process ${replaced.find((pid) => pid !== workers[1])} serving`).test(npm.output()) ? true : undefined));
    const again = new http.Agent({ keepAlive: true, maxSockets: 8 });
    try {
      expect(await Promise.all(Array.from({ length: 8 }, () => getWith(again, port, '/notes', authorization)))).toEqual(Array(8).fill(200));
      expect(serverSidePids(port)).toEqual(replaced);
    } finally {
      again.destroy();
    }
    expect(npm.output()).toMatch(new RegExp(`API process ${workers[0]} stopped \\(SIGKILL\\); starting another`));

    npm.child.kill('SIGTERM');
    expect(await npm.exited).toEqual({ code: 0, signal: null });
    await until('every process to exit', () => ([primary, ...replaced].some(isAlive) ? undefined : true), 15_000);
    await expect(canListen(port)).resolves.toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'LOCK'))).toBe(false);
    const lines = npm
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string });
    const shutdown = lines.filter((line) => /^shutdown: (API processes stopped|embedded database closed)/.test(line.msg)).map((line) => line.msg);
    expect(shutdown).toEqual(['shutdown: API processes stopped', 'shutdown: embedded database closed (journal flushed, lock released)']);
  });

  it('stops the cluster with exit 1 when API processes keep dying: the sixth within a minute', async () => {
    const dataDir = path.join(work, 'crashing-data');
    const server = await spawnServer({ env: { ...BASE_ENV, TN_WORKERS: '2', TN_DATA_DIR: dataDir } });
    try {
      await waitForServer(server);
      await until('the cluster to listen', () => (/with 2 API processes/.test(server.output()) ? true : undefined));
      let killed = 0;
      while (server.child.exitCode === null && killed < 10) {
        const victim = await until('an API process that serves', () => childrenOf(server.pid).find((pid) => new RegExp(`API process ${pid} serving`).test(server.output())));
        process.kill(victim, 'SIGKILL');
        killed++;
        await until('the primary to replace it or give up', () =>
          server.child.exitCode !== null || (childrenOf(server.pid).length === 2 && !childrenOf(server.pid).includes(victim)) ? true : undefined,
        );
      }

      expect(await server.exited).toEqual({ code: 1, signal: null });
      expect(killed).toBe(6);
      expect(server.output()).toContain('the 6th within 60 s: stopping');
      expect(fs.existsSync(path.join(dataDir, 'LOCK'))).toBe(false);
    } finally {
      await stopServer(server, 'SIGKILL');
    }
  });
});
