/**
 * Durability of the real server, started as the README says (`node dist/src/server.js` on a
 * `TN_DATA_DIR`): notes answered 201 survive a SIGKILL, both when the kill comes right after
 * the last of 200 concurrent POST /notes and when it lands while they are in flight; the LOCK
 * left by the dead process does not stop the restart; a second server on the same directory
 * refuses to start, naming the directory and the owner's pid.
 *
 * Everything goes through HTTP on 127.0.0.1. Set DURABILITY_REPORT=1 to print per-round counts.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { uniqueEmail } from '../helpers/ids';
import { buildIfNeeded, SERVER_ENTRY as ENTRY, spawnServer, stopServer, waitForServer, type ServerProcess as Server } from '../helpers/serverProcess';
import { makeTempDir, removeDir } from '../helpers/tmp';

/** Fixed, so that a restarted server accepts what the first one signed and the env is complete. */
const JWT_KEY = 'durability-test-key-0123456789abcdefghijklmnopqrstuvwxyz';
const NOTES = 200;
const START_TIMEOUT_MS = 30_000;
/** Rounds of the in-flight variant; no new round starts after the budget is spent. */
const IN_FLIGHT_ROUNDS = 5;
const IN_FLIGHT_MIN_ROUNDS = 2;
const IN_FLIGHT_BUDGET_MS = 45_000;
/** How many acknowledgements the in-flight variant waits for before the kill, per round. */
const KILL_AFTER_ACKS = [50, 1, 120, 199, 25];

const report = (line: string): void => {
  if (process.env.DURABILITY_REPORT) process.stdout.write(`[durability] ${line}\n`);
};

/** Servers not yet exited, killed in afterAll. */
const running = new Set<Server>();
let work: string;

beforeAll(async () => {
  work = makeTempDir('tn-durability-');
  // What `npm start` does first; compiles only when dist/ is older than the sources.
  try {
    await buildIfNeeded();
  } catch (err) {
    // tsc still emits when someone else's work in progress has a type error.
    if (!fs.existsSync(ENTRY)) throw err;
    process.stderr.write(`[durability] build-if-needed failed, testing the existing dist/: ${(err as Error).message.split('\n')[0]}\n`);
  }
}, 240_000);

afterAll(async () => {
  await Promise.all([...running].map((server) => stopServer(server, 'SIGKILL')));
  if (work) removeDir(work);
});

/** Spawns `node dist/src/server.js` on `dataDir`; does not wait for it to listen. */
async function spawnOn(dataDir: string): Promise<Server> {
  const server = await spawnServer({
    env: { TN_DATA_DIR: dataDir, NODE_ENV: 'development', TN_SEED_DEMO: 'false', LOG_LEVEL: 'warn', TN_JWT_PRIVATE_KEY: JWT_KEY, MONGODB_URI: '' },
    // Outside the repository, so that no developer's .env is read.
    cwd: work,
  });
  running.add(server);
  void server.exited.then(() => running.delete(server));
  return server;
}

/** Spawns a server on `dataDir` and waits until it answers GET /. */
async function startServer(dataDir: string): Promise<Server> {
  const server = await spawnOn(dataDir);
  const res = await waitForServer(server, START_TIMEOUT_MS);
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`GET / answered ${res.status}:\n${server.output()}`);
  return server;
}

async function sigkill(server: Server): Promise<void> {
  const exit = await stopServer(server, 'SIGKILL');
  expect(exit.signal).toBe('SIGKILL');
}

interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function call(server: Server, method: string, urlPath: string, body?: unknown, token?: string): Promise<Reply> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${server.baseUrl}${urlPath}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function login(server: Server, email: string, password: string): Promise<string> {
  const res = await call(server, 'POST', '/auth', { email, password });
  expect(res.status).toBe(200);
  expect(typeof res.body.access_token).toBe('string');
  return res.body.access_token as string;
}

async function registerAndLogin(server: Server): Promise<{ email: string; password: string; token: string }> {
  const email = uniqueEmail('durable');
  const password = 'durable-pass-1234';
  const res = await call(server, 'POST', '/users', { name: 'Durable', email, password });
  expect(res.status).toBe(201);
  return { email, password, token: await login(server, email, password) };
}

/** A unique text per note; lengths vary up to ~2 KB so that records span write boundaries. */
function noteText(tag: string, i: number): string {
  return `${tag} note ${i} ${crypto.randomBytes(6).toString('hex')} ${'abcdefghij'.repeat((i * 37) % 200)}`.trim();
}

interface Burst {
  /** id → text of every POST answered 201 (status line and Location received). */
  acked: Map<string, string>;
  /** Statuses other than 201 that arrived: none are expected. */
  unexpected: string[];
  /** Requests that got no answer (cut by the kill). */
  cut: number;
}

/**
 * Sends all `texts` as concurrent POST /notes and SIGKILLs the server synchronously in the
 * callback of the `killAfter`-th acknowledgement. A 201's id comes from its Location header, so
 * the acknowledgement counts even if the kill cuts the body; when the body arrives its id and
 * text must agree.
 */
async function postAllAndKill(server: Server, token: string, texts: string[], killAfter: number): Promise<Burst> {
  const burst: Burst = { acked: new Map(), unexpected: [], cut: 0 };
  let killed = false;
  const one = async (text: string): Promise<void> => {
    let res: Response;
    try {
      res = await fetch(`${server.baseUrl}/notes`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ text }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch {
      burst.cut += 1;
      return;
    }
    if (res.status !== 201) {
      burst.unexpected.push(`${res.status} ${await res.text().catch(() => '(body cut)')}`);
      return;
    }
    const id = /^\/notes\/(\d+)$/.exec(res.headers.get('location') ?? '')?.[1];
    if (!id) {
      burst.unexpected.push(`201 with Location ${res.headers.get('location')}`);
      return;
    }
    burst.acked.set(id, text);
    if (!killed && burst.acked.size >= killAfter) {
      killed = true;
      server.child.kill('SIGKILL');
    }
    let body: Record<string, unknown>;
    try {
      body = (await res.json()) as Record<string, unknown>;
    } catch {
      return; // cut by the kill: the status line already acknowledged the note
    }
    if (body.id !== id || body.text !== text) burst.unexpected.push(`201 body ${JSON.stringify(body).slice(0, 200)} for Location ${id}`);
  };
  await Promise.all(texts.map(one));
  if (!killed) server.child.kill('SIGKILL');
  const exit = await server.exited;
  expect(exit.signal).toBe('SIGKILL');
  return burst;
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

interface ListedNote {
  id: string;
  text: string;
}

/** Every note of the caller through GET /notes?limit=100&page=N; checks that totalItems agrees. */
async function listAll(server: Server, token: string): Promise<{ notes: ListedNote[]; totalItems: number }> {
  const notes: ListedNote[] = [];
  let totalItems = -1;
  for (let page = 1; ; page++) {
    const res = await call(server, 'GET', `/notes?limit=100&page=${page}`, undefined, token);
    expect(res.status).toBe(200);
    const info = res.body.page as { totalItems: number; totalPages: number };
    if (totalItems === -1) totalItems = info.totalItems;
    expect(info.totalItems).toBe(totalItems);
    for (const n of res.body.notes as ListedNote[]) notes.push({ id: n.id, text: n.text });
    if (page >= info.totalPages) break;
  }
  expect(notes.length).toBe(totalItems);
  return { notes, totalItems };
}

/**
 * Checks a restarted server against what was acknowledged: each acknowledged note is served by
 * GET /notes/{id} with its exact text; every listed note is whole (its text is one that was
 * sent, under one id only); and a new note gets an id above every stored one (no reuse).
 */
async function verifyAfterRestart(server: Server, token: string, acked: Map<string, string>, sent: Set<string>): Promise<{ stored: number }> {
  const problems: string[] = [];
  await pool([...acked], 16, async ([id, text]) => {
    const res = await call(server, 'GET', `/notes/${id}`, undefined, token);
    if (res.status !== 200) problems.push(`acknowledged note ${id} answers ${res.status}`);
    else if (res.body.id !== id || res.body.text !== text) problems.push(`note ${id} differs: ${JSON.stringify(res.body.text).slice(0, 80)}`);
  });
  const { notes, totalItems } = await listAll(server, token);
  const seenTexts = new Set<string>();
  for (const n of notes) {
    if (!sent.has(n.text)) problems.push(`note ${n.id} has a text that was never sent: ${JSON.stringify(n.text).slice(0, 80)}`);
    if (seenTexts.has(n.text)) problems.push(`text of note ${n.id} is stored twice`);
    seenTexts.add(n.text);
  }
  const listed = new Set(notes.map((n) => n.id));
  for (const id of acked.keys()) if (!listed.has(id)) problems.push(`acknowledged note ${id} is missing from the list`);
  expect(problems.slice(0, 20)).toEqual([]);
  expect(totalItems).toBeGreaterThanOrEqual(acked.size);

  const created = await call(server, 'POST', '/notes', { text: 'written after the restart' }, token);
  expect(created.status).toBe(201);
  const maxStored = Math.max(0, ...notes.map((n) => Number(n.id)));
  expect(Number(created.body.id)).toBeGreaterThan(maxStored);
  const deleted = await call(server, 'DELETE', `/notes/${created.body.id as string}`, undefined, token);
  expect(deleted.status).toBe(204);
  return { stored: totalItems };
}

function lockPid(dataDir: string): number | null {
  try {
    return Number.parseInt(fs.readFileSync(path.join(dataDir, 'LOCK'), 'utf8'), 10);
  } catch {
    return null;
  }
}

describe('notes answered 201 survive SIGKILL of the server', () => {
  it(`serves all ${NOTES} notes after a SIGKILL right after the last 201; a stale LOCK does not stop the restart; a second server on the directory is refused`, async () => {
    const dataDir = path.join(work, 'after-last');
    const first = await startServer(dataDir);
    const user = await registerAndLogin(first);
    const texts = Array.from({ length: NOTES }, (_, i) => noteText('after-last', i));
    const burst = await postAllAndKill(first, user.token, texts, NOTES);
    expect(burst.unexpected).toEqual([]);
    expect(burst.cut).toBe(0);
    expect(burst.acked.size).toBe(NOTES);
    // The dead process's LOCK is still there.
    expect(lockPid(dataDir)).toBe(first.pid);

    const second = await startServer(dataDir);
    expect(lockPid(dataDir)).toBe(second.pid);
    const token = await login(second, user.email, user.password);
    const { stored } = await verifyAfterRestart(second, token, burst.acked, new Set(texts));
    expect(stored).toBe(NOTES);

    // A second server on the same directory while `second` runs: exit 1, naming dir and pid.
    const intruder = await spawnOn(dataDir);
    const timer = setTimeout(() => intruder.child.kill('SIGKILL'), START_TIMEOUT_MS);
    const exit = await intruder.exited;
    clearTimeout(timer);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(intruder.stderr()).toContain(`data directory ${dataDir} is locked by process ${second.pid}`);
    // The refused start leaves the owner's lock and data alone.
    expect(lockPid(dataDir)).toBe(second.pid);
    expect((await listAll(second, token)).totalItems).toBe(NOTES);

    // A clean stop releases the lock.
    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(fs.existsSync(path.join(dataDir, 'LOCK'))).toBe(false);
  }, 80_000);

  it(`keeps every acknowledged note when the SIGKILL lands while ${NOTES} POSTs are in flight, round after round on one directory`, async () => {
    const dataDir = path.join(work, 'in-flight');
    const started = Date.now();
    const acked = new Map<string, string>();
    const sent = new Set<string>();
    let server = await startServer(dataDir);
    const user = await registerAndLogin(server);
    let token = user.token;
    let rounds = 0;
    while (rounds < IN_FLIGHT_ROUNDS && (rounds < IN_FLIGHT_MIN_ROUNDS || Date.now() - started < IN_FLIGHT_BUDGET_MS)) {
      const killAfter = KILL_AFTER_ACKS[rounds % KILL_AFTER_ACKS.length];
      const texts = Array.from({ length: NOTES }, (_, i) => noteText(`round-${rounds}`, i));
      for (const t of texts) sent.add(t);
      const deadPid = server.pid;
      const burst = await postAllAndKill(server, token, texts, killAfter);
      expect(burst.unexpected).toEqual([]);
      expect(burst.acked.size).toBeGreaterThanOrEqual(killAfter);
      for (const [id, text] of burst.acked) acked.set(id, text);
      expect(lockPid(dataDir)).toBe(deadPid);

      server = await startServer(dataDir);
      token = await login(server, user.email, user.password);
      const { stored } = await verifyAfterRestart(server, token, acked, sent);
      expect(stored).toBeLessThanOrEqual(sent.size);
      rounds += 1;
      report(`round ${rounds}: kill after ${killAfter} acks; ${burst.acked.size} acked, ${burst.cut} cut, ${stored} stored of ${sent.size} sent (${acked.size} acked so far), ${Date.now() - started} ms`);
    }
    await sigkill(server);
    expect(rounds).toBeGreaterThanOrEqual(IN_FLIGHT_MIN_ROUNDS);
  }, 85_000);
});
