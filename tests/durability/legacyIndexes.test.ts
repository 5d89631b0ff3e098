/**
 * A data directory from before issue 17, with the legacy unique indexes `id_1` and `idem.key_1`
 * on notes (made here with the raw driver, as the older version's mongoose left them), is
 * migrated when the real server starts on it (src/server.ts → models/legacyIndexes.ts): the
 * owner-prefixed indexes are built, exactly those two are dropped (logged), every note stays and
 * the API works on the result; a second start drops nothing.
 */
import mongoose from 'mongoose';
import { startEmbeddedServer } from '../../src/embedded-mongo';
import { uniqueEmail } from '../helpers/ids';
import { buildIfNeeded, callJson, startOnDataDir, stopServer, type ServerProcess } from '../helpers/serverProcess';
import { makeTempDir, removeDir } from '../helpers/tmp';

const JWT_KEY = 'legacy-indexes-key-0123456789abcdefghijklmnopqrstuvwxyz012345';
const running = new Set<ServerProcess>();
let work: string;

beforeAll(async () => {
  work = makeTempDir('tn-legacy-indexes-');
  await buildIfNeeded();
}, 240_000);

afterAll(async () => {
  await Promise.all([...running].map((server) => stopServer(server, 'SIGKILL')));
  if (work) removeDir(work);
});

/** Runs `fn` on the data directory's `thunder-notes` database, with the server stopped. */
async function withDatabase<T>(dataDir: string, fn: (db: mongoose.mongo.Db) => Promise<T>): Promise<T> {
  const server = await startEmbeddedServer({ listen: 'socket', dataDir });
  const client = await mongoose.mongo.MongoClient.connect(server.uri);
  try {
    return await fn(client.db('thunder-notes'));
  } finally {
    await client.close();
    await server.close();
  }
}

const start = (dataDir: string) => startOnDataDir(dataDir, { cwd: work, jwtKey: JWT_KEY, running, logLevel: 'info' });
const call = callJson;

const indexNames = async (db: mongoose.mongo.Db) => (await db.collection('notes').indexes()).map((index) => String(index.name)).sort();

it('the first start drops id_1 and idem.key_1 once their replacements exist, keeps the notes, and the API works; the second drops nothing', async () => {
  const dataDir = `${work}/data`;
  await withDatabase(dataDir, async (db) => {
    const notes = db.collection('notes');
    await notes.createIndex({ id: 1 }, { unique: true });
    await notes.createIndex({ 'idem.key': 1 }, { unique: true, sparse: true });
    await notes.createIndex({ owner: 1, createdAt: 1, seq: 1 });
    await notes.createIndex({ owner: 1, updatedAt: 1, seq: 1 });
    await notes.insertMany([
      { id: '1', seq: 1, owner: '900', text: 'old', createdAt: 1, updatedAt: 1, idem: { key: '900:k', hash: 'h', at: 1 } },
      { id: '2', seq: 2, owner: '900', text: 'older', createdAt: 2, updatedAt: 2 },
    ]);
    await db.collection('counters').insertOne({ _id: 'notes', seq: 2 } as never);
  });

  let server = await start(dataDir);
  expect(server.output()).toContain('dropped the legacy index id_1, replaced by owner_1_id_1');
  expect(server.output()).toContain('dropped the legacy index idem.key_1, replaced by owner_1_idem.key_1');
  const email = uniqueEmail('legacy');
  const password = 'legacy-pass-1';
  expect((await call(server, 'POST', '/users', { name: 'Legacy', email, password })).status).toBe(201);
  const token = (await call(server, 'POST', '/auth', { email, password })).body.access_token as string;
  const auth = { Authorization: `Bearer ${token}`, 'Idempotency-Key': '"after-migration"' };
  const first = await call(server, 'POST', '/notes', { text: 'new' }, auth);
  const replay = await call(server, 'POST', '/notes', { text: 'new' }, auth);
  expect([first.status, replay.status, replay.headers.get('idempotent-replayed')]).toEqual([201, 201, 'true']);
  expect((await call(server, 'GET', `/notes/${String(first.body.id)}`, undefined, { Authorization: `Bearer ${token}` })).status).toBe(200);
  await stopServer(server);

  await withDatabase(dataDir, async (db) => {
    expect(await indexNames(db)).toEqual(['_id_', 'owner_1_createdAt_1_seq_1', 'owner_1_id_1', 'owner_1_idem.key_1', 'owner_1_updatedAt_1_seq_1']);
    expect(await db.collection('notes').countDocuments({})).toBe(3);
  });

  server = await start(dataDir);
  expect(server.output()).not.toContain('dropped the legacy index');
  await stopServer(server);
}, 120_000);
