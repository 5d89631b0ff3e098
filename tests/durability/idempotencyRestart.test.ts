/**
 * Idempotency keys live in the database (issue 12): a POST /notes answered 201 and then retried
 * with the same Idempotency-Key after the server was killed (SIGKILL) and started again on the
 * same TN_DATA_DIR gets the same note back, marked replayed, and no second note exists. The real
 * server as `npm start` runs it, over HTTP.
 */
import { uniqueEmail } from '../helpers/ids';
import { buildIfNeeded, callJson, startOnDataDir, stopServer, type ServerProcess } from '../helpers/serverProcess';
import { makeTempDir, removeDir } from '../helpers/tmp';

const JWT_KEY = 'idempotency-restart-key-0123456789abcdefghijklmnopqrstuvwxyz';
const running = new Set<ServerProcess>();
let work: string;

beforeAll(async () => {
  work = makeTempDir('tn-idempotency-');
  await buildIfNeeded();
}, 240_000);

afterAll(async () => {
  await Promise.all([...running].map((server) => stopServer(server, 'SIGKILL')));
  if (work) removeDir(work);
});

const start = (dataDir: string) => startOnDataDir(dataDir, { cwd: work, jwtKey: JWT_KEY, running, logLevel: 'warn' });
const call = callJson;

it('a retry after a SIGKILL and a restart gets the first note back, and there is still one', async () => {
  const dataDir = `${work}/data`;
  let server = await start(dataDir);
  const email = uniqueEmail('idem');
  const password = 'idempotent-pass-1';
  expect((await call(server, 'POST', '/users', { name: 'Idem', email, password })).status).toBe(201);
  const token = (await call(server, 'POST', '/auth', { email, password })).body.access_token as string;
  const auth = { Authorization: `Bearer ${token}`, 'Idempotency-Key': '"survives-restarts"' };

  const first = await call(server, 'POST', '/notes', { text: 'once, whatever happens' }, auth);
  expect(first.status).toBe(201);
  expect((await stopServer(server, 'SIGKILL')).signal).toBe('SIGKILL');

  server = await start(dataDir);
  const retry = await call(server, 'POST', '/notes', { text: 'once, whatever happens' }, auth);
  const other = await call(server, 'POST', '/notes', { text: 'another body' }, auth);
  const list = await call(server, 'GET', '/notes', undefined, { Authorization: `Bearer ${token}` });

  expect(retry.status).toBe(201);
  expect(retry.headers.get('location')).toBe(first.headers.get('location'));
  expect(retry.body).toEqual(first.body);
  expect(retry.headers.get('idempotent-replayed')).toBe('true');
  expect(other.status).toBe(422);
  expect((list.body.page as { totalItems: number }).totalItems).toBe(1);
  await stopServer(server);
}, 90_000);
