/**
 * Starts the compiled server exactly as `npm start` does (after building if needed), with no
 * MONGODB_URI, and checks that it answers and shuts down cleanly on SIGTERM and SIGINT; that it
 * stays available to a real client while 20,000 idle sockets are opened against it; that its
 * timeouts and error answers hold on a real process; that SIGTERM lets a request in flight
 * finish; and that SIGTERM to `npm start` reaches the server. With the embedded server in its
 * worker thread (the default): the order of shutdown, a data directory held by another process,
 * and a worker that dies (exit 1, nothing acknowledged lost); TN_DB_THREAD=main still works.
 */
import { execFileSync, fork, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { buildIfNeeded, exitCode, freePort, isAlive, ROOT, spawnServer, stopServer, waitForServer, type ServerProcess } from './helpers/serverProcess';
import { makeTempDir, removeDir } from './helpers/tmp';
import { uniqueEmail } from './helpers/ids';

describe('npm start without MONGODB_URI', () => {
  let dataDir: string;

  beforeAll(async () => {
    await buildIfNeeded();
    dataDir = makeTempDir('tn-server-');
  }, 120_000);

  afterAll(() => removeDir(dataDir));

  it.each(['SIGTERM', 'SIGINT'] as const)('answers GET / with 200 on PORT and exits 0 on %s', async (signal) => {
    const server = await spawnServer({
      env: { TN_DATA_DIR: signal === 'SIGTERM' ? dataDir : ':memory:', NODE_ENV: 'development', LOG_LEVEL: 'warn', MONGODB_URI: '' },
    });
    const { child } = server;
    try {
      const res = await waitForServer(server);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { message: string }).message).toBe('Welcome to the Thunder Notes API.');

      child.kill(signal);
      expect(await exitCode(child)).toBe(0);
    } finally {
      await stopServer(server, 'SIGKILL');
    }
  });

  it('refuses to start in production without a JWT key, naming the variable', async () => {
    const server = await spawnServer({ env: { NODE_ENV: 'production', TN_JWT_PRIVATE_KEY: '' }, port: 0 });
    const { child } = server;
    expect(await exitCode(child)).toBe(1);
    await server.exited; // stderr is complete once the streams have closed
    const stderr = server.stderr();
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/TN_JWT_PRIVATE_KEY/);
  });
});

/** GET on a new connection each time (as a client arriving fresh), with a deadline; resolves with the status and the time taken. */
function getFresh(port: number, path: string, headers: Record<string, string> = {}, timeoutMs = 5_000): Promise<{ status: number; ms: number }> {
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { Connection: 'close', ...headers }, timeout: timeoutMs }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, ms: Date.now() - startedAt }));
    });
    req.once('timeout', () => req.destroy(new Error(`GET ${path} got no answer within ${timeoutMs} ms`)));
    req.once('error', reject);
  });
}

/** Registers a user on a running server and returns a bearer token. */
async function tokenFor(baseUrl: string): Promise<string> {
  const email = uniqueEmail('limits');
  const password = 'correct horse';
  const json = { 'Content-Type': 'application/json' };
  const reg = await fetch(`${baseUrl}/users`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'Limits', email, password }) });
  expect(reg.status).toBe(201);
  const auth = await fetch(`${baseUrl}/auth`, { method: 'POST', headers: json, body: JSON.stringify({ email, password }) });
  expect(auth.status).toBe(200);
  return ((await auth.json()) as { access_token: string }).access_token;
}

/** The number of file descriptors a process has open. */
function openFds(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * A child process that opens `count` idle TCP connections (never sending a byte) to `port` from
 * `localAddress`, at most WINDOW connects pending at once, reports its counts to the parent, and
 * holds every socket the server leaves open until it is killed.
 */
const IDLE_SOCKETS_CHILD = `
const net = require('node:net');
const [port, count, localAddress] = [Number(process.argv.at(-3)), Number(process.argv.at(-2)), process.argv.at(-1)];
const WINDOW = 100;
const stats = { started: 0, connected: 0, failed: 0, closedByServer: 0 };
const held = [];
function report() { if (process.connected) process.send({ ...stats, done: stats.connected + stats.failed === count }); }
process.on('disconnect', () => process.exit(0));
function openNext() {
  while (stats.started < count && stats.started - stats.connected - stats.failed < WINDOW) {
    stats.started++;
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    let connected = false;
    socket.once('connect', () => { connected = true; stats.connected++; openNext(); });
    socket.once('error', () => { if (!connected) { stats.failed++; openNext(); } });
    socket.once('close', () => { if (connected) stats.closedByServer++; });
    held.push(socket);
  }
  if (stats.connected + stats.failed === count) report();
}
setInterval(report, 250);
openNext();
`;

interface AttackStats {
  started: number;
  connected: number;
  failed: number;
  closedByServer: number;
  done: boolean;
}

describe('the built server under 20,000 idle connections', () => {
  const ATTACKERS = 4;
  const SOCKETS_PER_ATTACKER = 5_000;
  const MAX_CONNECTIONS = 1_000; // TN_HTTP_MAX_CONNECTIONS's default
  let server: ServerProcess;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    await buildIfNeeded();
    server = await spawnServer({ env: { NODE_ENV: 'test', TN_DATA_DIR: ':memory:', LOG_LEVEL: 'warn', MONGODB_URI: '' } });
    await waitForServer(server);
  }, 120_000);

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await stopServer(server, 'SIGKILL');
  });

  it('keeps its descriptors bounded, closes or refuses every socket beyond the cap, and still answers a real client', async () => {
    const token = await tokenFor(server.baseUrl);
    const baselineFds = openFds(server.pid);
    const stats: AttackStats[] = [];
    const allDone = Promise.all(
      Array.from({ length: ATTACKERS }, (_, i) => {
        // Each attacker in its own process (this one keeps its descriptors) and from its own
        // loopback address (its own range of ephemeral ports).
        const child = fork('-e', [IDLE_SOCKETS_CHILD, String(server.port), String(SOCKETS_PER_ATTACKER), `127.0.0.${i + 2}`], {
          execArgv: [],
          stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        });
        children.push(child);
        return new Promise<void>((resolve) =>
          child.on('message', (message: AttackStats) => {
            stats[i] = message;
            if (message.done) resolve();
          }),
        );
      }),
    );

    // While the sockets are being opened: the server's descriptors, and a real client every 300 ms.
    // (A flood of connects fills the kernel's accept queue, so a real client's SYN may be dropped
    // and resent after 1 s and 3 s: that is TCP, not the server, hence 5 s during the flood.)
    let attacking = true;
    let maxFds = baselineFds;
    const probes: { status: number; ms: number }[] = [];
    const sampling = (async () => {
      while (attacking) {
        maxFds = Math.max(maxFds, openFds(server.pid));
        probes.push(await getFresh(server.port, '/', {}, 10_000).catch(() => ({ status: 0, ms: Infinity })));
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    })();
    await allDone;
    attacking = false;
    await sampling;
    // Every socket was either taken and later closed by the server, or is one of at most the cap.
    const totals = () =>
      stats.reduce(
        (sum, s) => ({ connected: sum.connected + s.connected, failed: sum.failed + s.failed, closed: sum.closed + s.closedByServer }),
        { connected: 0, failed: 0, closed: 0 },
      );
    // The last sockets may still sit in the kernel's accept queue, and the attackers report every
    // 250 ms: let the last evictions reach them (at most 5 s) before counting.
    for (let waited = 0; waited < 5_000; waited += 250) {
      const now = totals();
      if (waited >= 500 && now.connected - now.closed <= MAX_CONNECTIONS) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const total = totals();
    expect(total.connected + total.failed).toBe(ATTACKERS * SOCKETS_PER_ATTACKER);
    expect(total.connected - total.closed).toBeLessThanOrEqual(MAX_CONNECTIONS);
    expect(maxFds).toBeLessThanOrEqual(baselineFds + MAX_CONNECTIONS + 100);
    expect(openFds(server.pid)).toBeLessThanOrEqual(baselineFds + MAX_CONNECTIONS + 100);

    // A real client, during the attack and with the attackers still holding every socket they can.
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.every((probe) => probe.status === 200)).toBe(true);
    expect(Math.max(...probes.map((probe) => probe.ms))).toBeLessThan(5_000);
    const root = await getFresh(server.port, '/');
    const notes = await getFresh(server.port, '/notes', { Authorization: `Bearer ${token}` });
    expect([root.status, notes.status]).toEqual([200, 200]);
    expect(Math.max(root.ms, notes.ms)).toBeLessThan(3_000);
  }, 90_000);
});

describe('the built server: timeouts and error answers', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    await buildIfNeeded();
    server = await spawnServer({
      env: { NODE_ENV: 'test', TN_DATA_DIR: ':memory:', LOG_LEVEL: 'warn', MONGODB_URI: '', TN_HTTP_HEADERS_TIMEOUT_MS: '500', TN_HTTP_REQUEST_TIMEOUT_MS: '1000' },
    });
    await waitForServer(server);
  }, 120_000);

  afterAll(() => stopServer(server, 'SIGKILL'));

  /** Sends `bytes` on a new connection; resolves with everything received once the server closes it, and how long that took. */
  function exchange(bytes: string): Promise<{ raw: string; ms: number }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1');
      const startedAt = Date.now();
      let raw = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (raw += chunk));
      socket.once('error', reject);
      socket.once('close', () => resolve({ raw, ms: Date.now() - startedAt }));
      socket.setTimeout(10_000, () => socket.destroy(new Error('the server did not close the connection')));
      socket.write(bytes);
    });
  }

  function problemOf(raw: string): { status: number; type: string; body: Record<string, unknown> } {
    const end = raw.indexOf('\r\n\r\n');
    const head = raw.slice(0, end);
    return {
      status: Number(head.split(' ')[1]),
      type: /\r\ncontent-type: *([^\r]*)/i.exec(head)?.[1] ?? '',
      body: JSON.parse(raw.slice(end + 4)) as Record<string, unknown>,
    };
  }

  it('a client that sends half a request line and stalls gets a 408 problem after TN_HTTP_HEADERS_TIMEOUT_MS', async () => {
    const { raw, ms } = await exchange('GET /no');

    const problem = problemOf(raw);
    expect(problem.status).toBe(408);
    expect(problem.type).toBe('application/problem+json; charset=utf-8');
    expect(problem.body).toMatchObject({ status: 408, title: 'Request Timeout' });
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(3_000);
  });

  it.each([
    ['a malformed request line', 'GET / HTTP/1.1 junk\r\n\r\n', 400],
    ['oversized headers', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['Expect: 42-bad', 'GET / HTTP/1.1\r\nHost: x\r\nExpect: 42-bad\r\n\r\n', 417],
  ])('%s is answered with a problem document', async (_case, bytes, status) => {
    const { raw } = await exchange(bytes);

    const problem = problemOf(raw);
    expect(problem.status).toBe(status);
    expect(problem.type).toBe('application/problem+json; charset=utf-8');
    expect(problem.body).toMatchObject({ type: 'about:blank', status });
  });
});

describe('graceful shutdown', () => {
  let dataDir: string;

  beforeAll(async () => {
    await buildIfNeeded();
    dataDir = makeTempDir('tn-shutdown-');
  }, 120_000);

  afterAll(() => removeDir(dataDir));

  it('SIGTERM lets a slow request finish with 200, closes idle connections at once, refuses new ones, and exits 0 without an error log', async () => {
    const server = await spawnServer({ env: { NODE_ENV: 'test', TN_DATA_DIR: dataDir, LOG_LEVEL: 'info', MONGODB_URI: '' } });
    try {
      await waitForServer(server);
      const email = uniqueEmail('slow');
      const reg = await fetch(`${server.baseUrl}/users`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'Slow', email, password: 'correct horse' }),
      });
      expect(reg.status).toBe(201);

      // An idle keep-alive connection (one answered request), and a login whose body arrives slowly.
      const idle = net.connect(server.port, '127.0.0.1');
      const idleClosed = new Promise<number>((resolve) => idle.once('close', () => resolve(Date.now())));
      idle.on('data', () => undefined);
      idle.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      const body = JSON.stringify({ email, password: 'correct horse' });
      const slow = net.connect(server.port, '127.0.0.1');
      let answer = '';
      slow.setEncoding('utf8');
      slow.on('data', (chunk: string) => (answer += chunk));
      slow.write(`POST /auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
      await new Promise((resolve) => setTimeout(resolve, 300));

      const signalledAt = Date.now();
      server.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const newConnection = await new Promise<string>((resolve) => {
        const probe = net.connect(server.port, '127.0.0.1');
        probe.once('connect', () => resolve('connected'));
        probe.once('error', (err: NodeJS.ErrnoException) => resolve(String(err.code)));
      });
      // The rest of the body arrives well after the old 2-second cut-off.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      slow.write(body.slice(10));
      const exit = await server.exited;

      expect(newConnection).toBe('ECONNREFUSED');
      expect((await idleClosed) - signalledAt).toBeLessThan(1_000);
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer).toContain('"access_token"');
      expect(exit).toEqual({ code: 0, signal: null });
      const logLines = server
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'));
      expect(logLines.length).toBeGreaterThan(0);
      expect(logLines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50)).toEqual([]);
    } finally {
      await stopServer(server, 'SIGKILL');
    }
  }, 30_000);

  it('a client that leaves in the middle of its request, just before SIGTERM: the request still completes its writes, no error, exit 0', async () => {
    // A slow hash (about a second here) keeps POST /users running after its client has gone.
    const env = { NODE_ENV: 'test', TN_DATA_DIR: dataDir, LOG_LEVEL: 'info', MONGODB_URI: '', TN_ARGON2_TIME_COST: '6', TN_ARGON2_MEMORY_KIB: '65536' };
    const server = await spawnServer({ env });
    const email = uniqueEmail('leaving');
    try {
      await waitForServer(server);
      const body = JSON.stringify({ name: 'Leaving', email, password: 'correct horse' });
      const leaving = net.connect(server.port, '127.0.0.1');
      leaving.on('error', () => undefined);
      leaving.write(`POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the hash is running
      leaving.destroy();
      server.child.kill('SIGTERM');

      expect(await server.exited).toEqual({ code: 0, signal: null });
      const lines = server
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string; status?: number });
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
      expect(lines).toContainEqual(expect.objectContaining({ msg: expect.stringMatching(/^POST \/users closed by the client after \d+ ms$/), aborted: true }));
    } finally {
      await stopServer(server, 'SIGKILL');
    }

    // The registration ran to its end (the hash, then its writes) before the database closed:
    // after a restart the user can log in.
    const next = await spawnServer({ env: { ...env, TN_ARGON2_TIME_COST: '1', TN_ARGON2_MEMORY_KIB: '1024' } });
    try {
      await waitForServer(next);
      const login = await fetch(`${next.baseUrl}/auth`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: 'correct horse' }) });
      expect(login.status).toBe(200);
    } finally {
      await stopServer(next);
    }
  }, 60_000);

  it('SIGTERM to the pid of `npm start` stops the server: the port and the data directory are free again', async () => {
    const port = await freePort();
    const env = { ...process.env, PORT: String(port), NODE_ENV: 'test', TN_DATA_DIR: dataDir, LOG_LEVEL: 'warn', MONGODB_URI: '' };
    const npm = spawn('npm', ['start', '--silent'], { cwd: ROOT, env, stdio: 'ignore' });
    const npmExited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
    let serverPid: number | undefined;
    try {
      for (let attempt = 0; attempt < 300; attempt++) {
        const answered = await fetch(`http://127.0.0.1:${port}/`).then(
          (res) => res.status === 200,
          () => false,
        );
        if (answered) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // The process listening on the port, whatever npm put between itself and it.
      const listening = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
      serverPid = Number(/pid=(\d+)/.exec(listening)?.[1]);
      expect(serverPid).toBeGreaterThan(0);

      npm.kill('SIGTERM');
      await npmExited;
      for (let attempt = 0; attempt < 50 && isAlive(serverPid); attempt++) await new Promise((resolve) => setTimeout(resolve, 100));

      expect(isAlive(serverPid)).toBe(false);
      await expect(canListen(port)).resolves.toBe(true);
      const next = await spawnServer({ env: { NODE_ENV: 'test', TN_DATA_DIR: dataDir, LOG_LEVEL: 'warn', MONGODB_URI: '' } });
      try {
        expect((await waitForServer(next)).status).toBe(200);
      } finally {
        await stopServer(next);
      }
    } finally {
      npm.kill('SIGKILL');
      if (serverPid && isAlive(serverPid)) process.kill(serverPid, 'SIGKILL');
    }
  }, 60_000);
});

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, () => probe.close(() => resolve(true)));
  });
}

describe('the embedded server in its worker thread (the default), as `npm start` runs it', () => {
  let work: string;

  beforeAll(async () => {
    await buildIfNeeded();
    work = makeTempDir('tn-worker-');
  }, 120_000);

  afterAll(() => removeDir(work));

  /** The server's JSON log lines. */
  function logLines(server: ServerProcess): { level: number; msg: string }[] {
    return server
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level: number; msg: string });
  }

  it('SIGTERM closes HTTP, then mongoose, then the worker (journal flushed, lock released), and exits 0', async () => {
    const dataDir = `${work}/order`;
    const server = await spawnServer({ env: { NODE_ENV: 'test', TN_DATA_DIR: dataDir, LOG_LEVEL: 'info', MONGODB_URI: '' } });
    try {
      await waitForServer(server);
      expect(fs.existsSync(`${dataDir}/LOCK`)).toBe(true);
      const socketPath = /listening on the Unix socket (\S+)/.exec(server.stdout())?.[1];
      expect(socketPath).toBeDefined();

      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });

      const messages = logLines(server).map((line) => line.msg);
      expect(messages).toContainEqual(expect.stringMatching(/^database: embedded MongoDB-compatible server at .*; in a worker thread\)$/));
      const order = ['SIGTERM received: shutting down', 'shutdown: HTTP server closed', 'shutdown: database connection closed', 'shutdown: embedded database closed (journal flushed, lock released)'];
      expect(messages.filter((msg) => order.includes(msg))).toEqual(order);
      expect(logLines(server).filter((line) => line.level >= 50)).toEqual([]);
      expect(fs.existsSync(`${dataDir}/LOCK`)).toBe(false);
      expect(fs.existsSync(socketPath!)).toBe(false);
    } finally {
      await stopServer(server, 'SIGKILL');
    }
  }, 30_000);

  it('a data directory held by another process (`npm run db`) fails start-up with one line naming it and the owner', async () => {
    const dataDir = `${work}/held`;
    const holder = spawn(process.execPath, [`${ROOT}/dist/scripts/db.js`], { cwd: ROOT, env: { ...process.env, NODE_ENV: 'test', TN_DATA_DIR: dataDir, MONGODB_URI: '' }, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let printed = '';
      holder.stdout!.setEncoding('utf8').on('data', (chunk: string) => (printed += chunk));
      for (let i = 0; i < 100 && !printed.includes('MONGODB_URI='); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(printed).toContain('MONGODB_URI=');

      const server = await spawnServer({ env: { NODE_ENV: 'test', TN_DATA_DIR: dataDir, LOG_LEVEL: 'warn', MONGODB_URI: '' } });
      expect(await server.exited).toEqual({ code: 1, signal: null });
      const lines = server.stderr().trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0].startsWith(`Start-up failed: data directory ${path.resolve(dataDir)} is locked by process ${holder.pid} (${path.resolve(dataDir)}/LOCK)`)).toBe(true);
    } finally {
      holder.kill('SIGTERM');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    expect(fs.existsSync(`${dataDir}/LOCK`)).toBe(false);
  }, 30_000);

  it('a worker that dies (its heap limit, TN_DB_MAX_HEAP_MB) stops the process with exit 1 and one line; a restart serves everything acknowledged', async () => {
    const dataDir = `${work}/crash`;
    const env = { NODE_ENV: 'test', TN_DATA_DIR: dataDir, LOG_LEVEL: 'warn', MONGODB_URI: '', TN_JWT_PRIVATE_KEY: 'worker-crash-test-key-0123456789abcdefghijklmnop' };
    const server = await spawnServer({ env: { ...env, TN_DB_MAX_HEAP_MB: '48', LOG_LEVEL: 'info' } });
    let noteId: string;
    let token: string;
    try {
      await waitForServer(server);
      token = await tokenFor(server.baseUrl);
      const created = await fetch(`${server.baseUrl}/notes`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ text: 'acknowledged before the crash' }) });
      expect(created.status).toBe(201);
      noteId = ((await created.json()) as { id: string }).id;

      // Any client of the socket can make the server hold more than its heap limit allows.
      const socketPath = /listening on the Unix socket (\S+)/.exec(server.stdout())![1];
      const client = await new MongoClient(`mongodb://${encodeURIComponent(socketPath)}`).connect();
      const big = 'x'.repeat(4_000_000);
      for (let i = 0; i < 40 && server.child.exitCode === null; i++) {
        const failed = await client.db('thunder-notes').collection('ballast').insertOne({ i, big }).then(() => false, () => true);
        if (failed) break;
      }
      await client.close(true);

      expect(await server.exited).toEqual({ code: 1, signal: null });
      expect(server.stderr().trim().split('\n')).toEqual(['Database lost: the embedded database worker stopped unexpectedly: it ran out of memory (heap limit 48 MiB, TN_DB_MAX_HEAP_MB)']);
    } finally {
      await stopServer(server, 'SIGKILL');
    }

    const restarted = await spawnServer({ env });
    try {
      await waitForServer(restarted);
      const read = await fetch(`${restarted.baseUrl}/notes/${noteId}`, { headers: { Authorization: `Bearer ${token}` } });
      expect(read.status).toBe(200);
      expect(((await read.json()) as { text: string }).text).toBe('acknowledged before the crash');
    } finally {
      await stopServer(restarted);
    }
  }, 60_000);

  it('TN_DB_THREAD=main runs the embedded server on the HTTP thread, and shuts down the same way', async () => {
    const server = await spawnServer({ env: { NODE_ENV: 'test', TN_DATA_DIR: `${work}/main`, TN_DB_THREAD: 'main', LOG_LEVEL: 'info', MONGODB_URI: '' } });
    try {
      expect((await waitForServer(server)).status).toBe(200);
      server.child.kill('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      expect(logLines(server).map((line) => line.msg)).toContainEqual(expect.stringMatching(/; on the main thread\)$/));
      expect(fs.existsSync(`${work}/main/LOCK`)).toBe(false);
    } finally {
      await stopServer(server, 'SIGKILL');
    }
  }, 30_000);
});
