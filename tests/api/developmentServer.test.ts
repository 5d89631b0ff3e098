/**
 * The built server in development (issue 15), started as `npm start` runs it: JSON bodies are
 * pretty-printed and every ETag is the hash of the body as sent, so a tag from GET (JSON or HAL)
 * still makes a conditional write succeed, and a stale one fails; Server-Timing is on by default;
 * tokens survive a restart (the key kept in the data directory, 0600). And `npm run seed -- --reset`
 * refuses outside development.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { etagOf } from '../../src/controllers/cachingController';
import { DEV_JWT_KEY_FILE } from '../../src/config';
import { makeTempDir, removeDir } from '../helpers/tmp';
import { buildIfNeeded, ROOT, spawnServer, stopServer, waitForServer, type ServerProcess } from '../helpers/serverProcess';

jest.setTimeout(120_000);

let dir: string;
let server: ServerProcess | undefined;
let token: string;

const dataDir = () => path.join(dir, 'data');

async function start(): Promise<ServerProcess> {
  const started = await spawnServer({ env: { NODE_ENV: 'development', TN_DATA_DIR: dataDir(), MONGODB_URI: '', TN_JWT_PRIVATE_KEY: '', TN_SERVER_TIMING: undefined, TN_ACCESS_LOG: 'false', LOG_LEVEL: 'warn' } });
  await waitForServer(started);
  return started;
}

/** One request to the running server; the body as text. */
async function call(pathname: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(`${server?.baseUrl}${pathname}`, { method: init.method ?? 'GET', headers: { Authorization: `Bearer ${token}`, ...init.headers }, body: init.body });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const json = { 'Content-Type': 'application/json' };

beforeAll(async () => {
  await buildIfNeeded();
  dir = makeTempDir('tn-dev-');
  server = await start();
  const login = await fetch(`${server.baseUrl}/auth`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'saurabh@example.com', password: 'abcd1234' }) });
  token = ((await login.json()) as { access_token: string }).access_token;
});

afterAll(async () => {
  if (server) await stopServer(server);
  removeDir(dir);
});

describe('the server in development', () => {
  it('pretty-prints JSON bodies (two spaces), and the ETag is the hash of the body as sent', async () => {
    const root = await call('/');
    const note = await call('/notes/1');

    expect(root.text).toMatch(/^\{\n {2}"message": "Welcome to the Thunder Notes API\.",\n {2}"links": \[\n {4}\{\n/);
    expect(root.headers.get('etag')).toBe(etagOf(root.text));
    expect(note.status).toBe(200);
    expect(note.text).toBe(JSON.stringify(JSON.parse(note.text), null, 2));
    expect(note.headers.get('etag')).toBe(etagOf(note.text));
  });

  it('sends Server-Timing by default', async () => {
    const note = await call('/notes/1');

    expect(note.headers.get('server-timing')).toMatch(/^db;dur=\d+\.\d{2};desc="1 database commands", app;dur=\d+\.\d{2}$/);
  });

  it("a conditional write with GET's ETag succeeds and answers the ETag the next GET shows; the old tag is then stale (412)", async () => {
    const before = await call('/notes/2');
    const patched = await call('/notes/2', { method: 'PATCH', headers: { ...json, 'If-Match': before.headers.get('etag') ?? '' }, body: JSON.stringify({ text: 'Europe Trip' }) });
    const after = await call('/notes/2');
    const stale = await call('/notes/2', { method: 'PATCH', headers: { ...json, 'If-Match': before.headers.get('etag') ?? '' }, body: JSON.stringify({ text: 'lost update' }) });

    expect(patched.status).toBe(204);
    expect(patched.headers.get('etag')).toBe(after.headers.get('etag'));
    expect(after.headers.get('etag')).toBe(etagOf(after.text));
    expect(stale.status).toBe(412);
    expect(stale.headers.get('etag')).toBe(after.headers.get('etag'));
  });

  it("a HAL representation's ETag (the JSON body's hash with .hal) also makes a PUT succeed; so does the profile's ETag for its PATCH", async () => {
    const hal = await call('/notes/3', { headers: { Accept: 'application/hal+json' } });
    const plain = await call('/notes/3');
    const note = JSON.parse(plain.text) as { id: string; text: string; createdAt: number; updatedAt: number };
    const put = await call('/notes/3', { method: 'PUT', headers: { ...json, 'If-Match': hal.headers.get('etag') ?? '' }, body: JSON.stringify({ id: note.id, text: 'Groceries', createdAt: note.createdAt, updatedAt: note.updatedAt }) });
    const profile = await call('/users/1');
    const renamed = await call('/users/1', { method: 'PATCH', headers: { ...json, 'If-Match': profile.headers.get('etag') ?? '' }, body: JSON.stringify({ name: 'Saurabh' }) });

    expect(hal.headers.get('etag')).toBe(`${etagOf(plain.text).slice(0, -1)}.hal"`);
    expect(put.status).toBe(204);
    expect(profile.headers.get('etag')).toBe(etagOf(profile.text));
    expect(renamed.status).toBe(204);
  });

  it('tokens survive a restart: the key is kept in the data directory, readable by its owner only', async () => {
    if (server) await stopServer(server);
    server = await start();

    expect((await call('/notes')).status).toBe(200);
    expect(fs.statSync(path.join(dataDir(), DEV_JWT_KEY_FILE)).mode & 0o777).toBe(0o600);
  });
});

describe('npm run seed -- --reset outside development', () => {
  /** Runs the built seed script with these arguments and environment. */
  function seed(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve) => {
      execFile(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'seed.js'), ...args], { cwd: ROOT, env: { ...process.env, ...env } }, (err, _stdout, stderr) =>
        resolve({ code: err ? Number(err.code) : 0, stderr }),
      );
    });
  }

  it('is refused under NODE_ENV=production and NODE_ENV=test with exit code 2, touching nothing', async () => {
    const untouched = path.join(dir, 'untouched');
    const production = await seed(['--reset'], { NODE_ENV: 'production', TN_JWT_PRIVATE_KEY: 'k'.repeat(40), TN_DATA_DIR: untouched, MONGODB_URI: '' });
    const test = await seed(['--reset'], { NODE_ENV: 'test', TN_DATA_DIR: untouched, MONGODB_URI: '' });

    expect(production).toEqual({ code: 2, stderr: 'npm run seed: --reset deletes every user and note: it runs only with NODE_ENV=development, and NODE_ENV is production. Nothing was changed.\n' });
    expect(test.code).toBe(2);
    expect(fs.existsSync(untouched)).toBe(false);
  });

  it('an unknown argument is refused with the usage, exit code 2', async () => {
    const typo = await seed(['--rest'], { NODE_ENV: 'development', TN_DATA_DIR: path.join(dir, 'untouched'), MONGODB_URI: '' });

    expect(typo).toEqual({ code: 2, stderr: 'npm run seed: unknown argument --rest; usage: npm run seed [-- --reset]\n' });
  });
});
