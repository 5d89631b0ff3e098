/**
 * Ids in blocks across real processes (issue 17): `npm run db` and 4 built API processes
 * (MONGODB_URI at it, TN_ID_BLOCK=50):
 * - 500 concurrent POST /notes to each (2,000 at once) get 2,000 distinct ids;
 * - one process killed with SIGKILL in the middle of a block, and started again: its ids are all
 *   above the block it lost, the rest of that block is never handed out, and no id twice;
 * - one process killed with SIGKILL while creates are in flight: every create after it, through
 *   any process, succeeds (an id reissued would collide with a note the killed one wrote);
 * - a lone process stopped gracefully gives back its unissued ids: started again, it continues.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { uniqueEmail } from '../helpers/ids';
import { usingRealMongo } from '../helpers/mongoTarget';
import { buildIfNeeded, ROOT, spawnServer, stopServer, waitForServer, type ServerProcess } from '../helpers/serverProcess';
import { makeTempDir, removeDir } from '../helpers/tmp';

jest.setTimeout(180_000);

const BLOCK = 50;
const PROCESSES = 4;
const PER_PROCESS = 500;
const JWT_KEY = 'id-blocks-test-key-0123456789abcdefghijklmnopqrstuvwxyz';
const BASE_ENV = { NODE_ENV: 'test', TN_SEED_DEMO: 'false', LOG_LEVEL: 'warn', TN_LOG_FORMAT: 'json', TN_JWT_PRIVATE_KEY: JWT_KEY, TN_WORKERS: '1', TN_ID_BLOCK: String(BLOCK) };

const describeEmbedded = usingRealMongo ? describe.skip : describe;
if (usingRealMongo) console.warn(`${__filename}: skipped: MONGODB_URI is set, it starts its own \`npm run db\``);

let work: string;
let db: ChildProcess | undefined;
const apis = new Set<ServerProcess>();

beforeAll(async () => {
  work = makeTempDir('tn-ids-');
  await buildIfNeeded();
}, 240_000);

afterAll(async () => {
  await Promise.all([...apis].map((api) => stopServer(api, 'SIGKILL')));
  db?.kill('SIGKILL');
  removeDir(work);
});

/** Starts `node dist/scripts/db.js` (what `npm run db` runs) on a socket in `work`; resolves with the MONGODB_URI it prints. */
function startDb(): Promise<string> {
  const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'db.js')], {
    cwd: ROOT,
    env: { ...process.env, ...BASE_ENV, MONGODB_URI: '', TN_DATA_DIR: path.join(work, 'data'), TN_DB_SOCKET: path.join(work, 'db.sock') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  db = child;
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const uri = /^MONGODB_URI=(.+)$/m.exec(out)?.[1];
      if (uri) resolve(uri);
    });
    child.once('exit', (code) => reject(new Error(`npm run db exited with ${code}: ${out}`)));
  });
}

async function startApi(uri: string): Promise<ServerProcess> {
  const api = await spawnServer({ env: { ...BASE_ENV, MONGODB_URI: uri } });
  apis.add(api);
  await waitForServer(api);
  return api;
}

async function sigkill(api: ServerProcess): Promise<void> {
  await stopServer(api, 'SIGKILL');
  apis.delete(api);
}

/** One POST on `agent`: the status and the id, or status 0 when the connection broke (the process died). */
function post(agent: http.Agent, api: ServerProcess, path: string, body: unknown, authorization?: string): Promise<{ status: number; id?: string; body?: Record<string, unknown> }> {
  const payload = JSON.stringify(body);
  const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...(authorization ? { Authorization: authorization } : {}) };
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: api.port, path, method: 'POST', agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.once('end', () => {
        try {
          const parsed = JSON.parse(text) as Record<string, unknown>;
          resolve({ status: res.statusCode ?? 0, id: parsed.id as string | undefined, body: parsed });
        } catch {
          resolve({ status: 0 }); // cut off in the middle of the answer
        }
      });
      res.once('error', () => resolve({ status: 0 }));
    });
    req.once('error', () => resolve({ status: 0 }));
    req.end(payload);
  });
}

/** `n` concurrent POST /notes to `api` (each on its own connection); resolves with every answer. */
async function createNotes(api: ServerProcess, n: number, authorization: string, onAnswer?: () => void): Promise<{ status: number; id?: string }[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: n });
  try {
    return await Promise.all(
      Array.from({ length: n }, (_, i) =>
        post(agent, api, '/notes', { text: `note ${i}` }, authorization).then((answer) => {
          onAnswer?.();
          return answer;
        }),
      ),
    );
  } finally {
    agent.destroy();
  }
}

/** Registers and logs in one user through `api`; returns its Authorization header (valid on every process: one key). */
async function userToken(api: ServerProcess): Promise<string> {
  const agent = new http.Agent();
  const email = uniqueEmail('blocks');
  const password = 'correct horse';
  expect((await post(agent, api, '/users', { name: 'Blocks', email, password })).status).toBe(201);
  const login = await post(agent, api, '/auth', { email, password });
  agent.destroy();
  return `Bearer ${String(login.body?.access_token)}`;
}

/** The ids of 201 answers; fails (listing them) when any other answer came. */
function createdIds(answers: { status: number; id?: string }[]): number[] {
  expect(answers.filter((a) => a.status !== 201)).toEqual([]);
  return answers.map((a) => Number(a.id));
}

/** The block of TN_ID_BLOCK ids that `id` came from: every reservation is one `$inc` of BLOCK from 0, so blocks are aligned. */
const blockEnd = (id: number) => Math.ceil(id / BLOCK) * BLOCK;

describeEmbedded('ids in blocks across `npm run db` and 4 API processes (TN_ID_BLOCK=50)', () => {
  it('2,000 concurrent creates get distinct ids; a process killed mid-block and started again skips the lost block; a kill during creates reissues nothing; a graceful stop gives back its unissued ids', async () => {
    const uri = await startDb();
    const procs = await Promise.all(Array.from({ length: PROCESSES }, () => startApi(uri)));
    const authorization = await userToken(procs[0]);
    const issued = new Map<number, string>(); // id → which process handed it out
    const record = (ids: number[], who: string) => {
      for (const id of ids) {
        expect(issued.get(id)).toBeUndefined(); // never issued twice
        issued.set(id, who);
      }
    };

    // 1. 500 concurrent creates on each of the 4 processes at once.
    const first = await Promise.all(procs.map((api) => createNotes(api, PER_PROCESS, authorization)));
    first.forEach((answers, i) => record(createdIds(answers), `p${i}`));
    expect(issued.size).toBe(PROCESSES * PER_PROCESS);

    // 2. p0 hands out 7 more (its 500 were 10 whole blocks: now it is inside a block), then dies with SIGKILL.
    const victim = procs[0];
    const extra = createdIds(await createNotes(victim, 7, authorization));
    record(extra, 'p0');
    const lastOfVictim = Math.max(...extra);
    expect(lastOfVictim % BLOCK).not.toBe(0); // mid-block: ids up to blockEnd(lastOfVictim) were reserved and never handed out
    await sigkill(victim);
    const restarted = await startApi(uri);
    procs[0] = restarted;

    const second = await Promise.all(procs.map((api) => createNotes(api, 100, authorization)));
    second.forEach((answers, i) => record(createdIds(answers), `p${i} (second round)`));
    const lost = blockEnd(lastOfVictim);
    expect(Math.min(...createdIds(second[0]))).toBeGreaterThan(lost); // the restarted process starts above the lost block
    expect([...issued.keys()].filter((id) => id > lastOfVictim && id <= lost)).toEqual([]); // the lost block's rest: never handed out

    // 3. p1 dies with SIGKILL while 200 of its creates are in flight (after 10 answers): those it wrote are kept ids.
    const dying = procs[1];
    let answered = 0;
    const inFlight = createNotes(dying, 200, authorization, () => {
      answered += 1;
      if (answered === 10) dying.child.kill('SIGKILL');
    });
    const cut = await inFlight;
    await sigkill(dying);
    expect(cut.filter((a) => a.status === 201).length).toBeGreaterThanOrEqual(10);
    expect(cut.some((a) => a.status === 0)).toBe(true); // some were cut off by the kill
    record(
      cut.filter((a) => a.status === 201).map((a) => Number(a.id)),
      'p1 (killed during creates)',
    );
    procs[1] = await startApi(uri);
    // An id the killed process wrote but never answered for, handed out again, would collide with its note: not a 201.
    const third = await Promise.all(procs.map((api) => createNotes(api, 100, authorization)));
    third.forEach((answers, i) => record(createdIds(answers), `p${i} (after the kill in flight)`));

    // 4. Graceful stops give back what nobody reserved after: a lone process, stopped and started again, continues.
    for (const api of procs) {
      expect(await stopServer(api)).toEqual({ code: 0, signal: null });
      apis.delete(api);
    }
    const lone = await startApi(uri);
    const before = [];
    for (let i = 0; i < 3; i++) before.push(...createdIds(await createNotes(lone, 1, authorization)));
    expect(before).toEqual([before[0], before[0] + 1, before[0] + 2]);
    expect(await stopServer(lone)).toEqual({ code: 0, signal: null });
    apis.delete(lone);
    const again = await startApi(uri);
    expect(createdIds(await createNotes(again, 1, authorization))).toEqual([before[2] + 1]);
    record([...before, before[2] + 1], 'lone');
  });
});
