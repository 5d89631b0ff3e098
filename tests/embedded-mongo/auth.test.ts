/**
 * TCP with authentication: a stock driver must authenticate with SCRAM-SHA-256 before any
 * command that reads or writes data; without credentials it gets MongoDB's Unauthorized (13).
 */
import crypto from 'node:crypto';
import { Binary, type Document } from 'bson';
import mongoose from 'mongoose';
import { MongoClient, MongoServerError } from 'mongodb';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded-mongo';
import { usingRealMongo } from '../helpers/mongoTarget';
import { describeEmbedded } from './helpers';
import { RawClient } from './rawWire';

const USER = 'app-user';
const PASSWORD = 'correct horse battery staple';

let server: EmbeddedServer | undefined;
const logLines: string[] = [];

beforeAll(async () => {
  if (usingRealMongo) return;
  server = await startEmbeddedServer({ listen: 'tcp', credentials: { user: USER, password: PASSWORD }, log: (_l, msg) => logLines.push(msg) });
});

afterAll(async () => {
  await server?.close();
});

/** The server's URI with these credentials, authSource admin. */
function uriWith(user: string, password: string, extra = ''): string {
  return `${server!.uri.replace('mongodb://', `mongodb://${encodeURIComponent(user)}:${encodeURIComponent(password)}@`)}/?authSource=admin${extra}`;
}

async function failure(run: () => Promise<unknown>): Promise<MongoServerError> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof MongoServerError)) throw new Error(`expected a MongoServerError, got ${String(err)}`);
  return err;
}

/** The client side of SCRAM-SHA-256, for steps a driver would not take (no speculative hello, no skipEmptyExchange). */
function clientProof(password: string, clientFirstBare: string, serverFirst: string, clientFinalWithoutProof: string) {
  const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
  const salted = crypto.pbkdf2Sync(password, Buffer.from(attrs.s, 'base64'), Number(attrs.i), 32, 'sha256');
  const clientKey = crypto.createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = crypto.createHash('sha256').update(clientKey).digest();
  const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
  const signature = crypto.createHmac('sha256', storedKey).update(authMessage).digest();
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]));
  const serverKey = crypto.createHmac('sha256', salted).update('Server Key').digest();
  return { proof: proof.toString('base64'), serverSignature: crypto.createHmac('sha256', serverKey).update(authMessage).digest('base64') };
}

function text(payload: unknown): string {
  return Buffer.from((payload as Binary).value()).toString('utf8');
}

describeEmbedded('TCP with SCRAM-SHA-256 (embedded only)', () => {
  test('a stock driver without credentials gets Unauthorized (13) on find, insert and listDatabases; ping still answers', async () => {
    const client = await new MongoClient(server!.uri, { serverSelectionTimeoutMS: 2000 }).connect();
    try {
      const find = await failure(() => client.db('secret').collection('users').find().toArray());
      const insert = await failure(() => client.db('secret').collection('notes').insertOne({ owner: 1 }));
      const list = await failure(() => client.db('admin').admin().listDatabases());
      expect([find.code, insert.code, list.code]).toEqual([13, 13, 13]);
      expect(find.codeName).toBe('Unauthorized');
      expect(find.message).toBe('command find requires authentication');
      expect(insert.message).toBe('command insert requires authentication');
      expect(list.message).toBe('command listDatabases requires authentication');
      expect(await client.db('admin').command({ ping: 1 })).toEqual({ ok: 1 });
    } finally {
      await client.close();
    }
  });

  test('a wrong password, an unknown user and SCRAM-SHA-1 fail to authenticate', async () => {
    const before = server!.wireStats.authenticationFailures;
    const attempt = async (uri: string) => {
      const client = new MongoClient(uri, { serverSelectionTimeoutMS: 2000 });
      try {
        return await failure(() => client.connect());
      } finally {
        await client.close();
      }
    };
    const wrong = await attempt(uriWith(USER, 'not the password'));
    const unknown = await attempt(uriWith('someone-else', PASSWORD));
    const sha1 = await attempt(uriWith(USER, PASSWORD, '&authMechanism=SCRAM-SHA-1'));

    expect([wrong.code, wrong.codeName, wrong.message]).toEqual([18, 'AuthenticationFailed', 'Authentication failed.']);
    // An unknown user fails exactly like a wrong password: nothing tells which users exist.
    expect([unknown.code, unknown.message]).toEqual([18, 'Authentication failed.']);
    expect([sha1.code, sha1.codeName]).toEqual([334, 'MechanismUnavailable']);
    expect(server!.wireStats.authenticationFailures - before).toBe(3);
    expect(logLines.join('\n')).toMatch(/authentication failed for user "app-user"/);
    expect(logLines.join('\n')).not.toContain('not the password');
  });

  test('with the right password mongoose reads and writes', async () => {
    const conn = await mongoose.createConnection(uriWith(USER, PASSWORD), { dbName: 'authed' }).asPromise();
    try {
      const Thing = conn.model('AuthThing', new mongoose.Schema({ name: String, n: Number }));
      const created = await Thing.create({ name: 'kept', n: 1 });
      await Thing.updateOne({ _id: created._id }, { $inc: { n: 1 } });
      expect(await Thing.findById(created._id).lean()).toMatchObject({ name: 'kept', n: 2 });
      await Thing.deleteOne({ _id: created._id });
      expect(await Thing.countDocuments()).toBe(0);
      expect((await conn.db!.admin().listDatabases()).databases.map((d) => d.name)).toContain('authed');
    } finally {
      await conn.close();
    }
  });

  test('the full conversation without shortcuts: saslStart, saslContinue with the server signature, then the empty last step', async () => {
    const c = await RawClient.connect({ port: server!.port });
    try {
      const hello = await c.command({ hello: 1, saslSupportedMechs: `admin.${USER}`, $db: 'admin' });
      expect(hello.saslSupportedMechs).toEqual(['SCRAM-SHA-256']);

      const clientNonce = crypto.randomBytes(18).toString('base64');
      const clientFirstBare = `n=${USER},r=${clientNonce}`;
      const start = await c.command({ saslStart: 1, mechanism: 'SCRAM-SHA-256', payload: new Binary(Buffer.from(`n,,${clientFirstBare}`)), $db: 'admin' });
      expect(start).toMatchObject({ ok: 1, done: false, conversationId: expect.any(Number) });
      const serverFirst = text(start.payload);
      expect(serverFirst).toMatch(new RegExp(`^r=${clientNonce.replace(/[+/]/g, '\\$&')}[^,]+,s=[^,]+,i=15000$`));

      const withoutProof = `c=biws,r=${serverFirst.split(',')[0].slice(2)}`;
      const { proof, serverSignature } = clientProof(PASSWORD, clientFirstBare, serverFirst, withoutProof);
      const cont = await c.command({ saslContinue: 1, conversationId: start.conversationId, payload: new Binary(Buffer.from(`${withoutProof},p=${proof}`)), $db: 'admin' });
      expect(cont).toMatchObject({ ok: 1, done: false });
      expect(text(cont.payload)).toBe(`v=${serverSignature}`);
      // Not authenticated until the last step.
      expect((await c.command({ find: 'c', $db: 'x' })).code).toBe(13);
      const last = await c.command({ saslContinue: 1, conversationId: start.conversationId, payload: new Binary(Buffer.alloc(0)), $db: 'admin' });
      expect(last).toMatchObject({ ok: 1, done: true });
      expect(await c.command({ find: 'c', $db: 'x' })).toMatchObject({ ok: 1, cursor: { firstBatch: [] } });
    } finally {
      c.end();
    }
  });

  test('a forged proof, a replayed nonce or a changed channel binding fails; three failures close the connection', async () => {
    const c = await RawClient.connect({ port: server!.port });
    const start = async () => {
      const clientFirstBare = `n=${USER},r=${crypto.randomBytes(18).toString('base64')}`;
      const reply = await c.command({ saslStart: 1, mechanism: 'SCRAM-SHA-256', payload: new Binary(Buffer.from(`n,,${clientFirstBare}`)), $db: 'admin' });
      return { reply, clientFirstBare, serverFirst: text(reply.payload), nonce: text(reply.payload).split(',')[0].slice(2) };
    };
    const step = (conversationId: unknown, payload: string) =>
      c.command({ saslContinue: 1, conversationId, payload: new Binary(Buffer.from(payload)), $db: 'admin' });

    const first = await start();
    const forged = await step(first.reply.conversationId, `c=biws,r=${first.nonce},p=${Buffer.alloc(32).toString('base64')}`);
    expect([forged.ok, forged.code]).toEqual([0, 18]);

    const second = await start();
    // The right password, but the first conversation's nonce: the proof is bound to this one.
    const stale = clientProof(PASSWORD, second.clientFirstBare, second.serverFirst, `c=biws,r=${first.nonce}`);
    const replayed = await step(second.reply.conversationId, `c=biws,r=${first.nonce},p=${stale.proof}`);
    expect(replayed.code).toBe(18);

    const third = await start();
    const binding = `c=${Buffer.from('y,,').toString('base64')},r=${third.nonce}`;
    const wrongBinding = clientProof(PASSWORD, third.clientFirstBare, third.serverFirst, binding);
    expect((await step(third.reply.conversationId, `${binding},p=${wrongBinding.proof}`)).code).toBe(18);

    await c.untilClosed(2000);
  });

  test('before authenticating, a message larger than 64 KiB closes the connection without being buffered', async () => {
    const c = await RawClient.connect({ port: server!.port });
    const header = Buffer.alloc(16);
    header.writeInt32LE(1024 * 1024, 0);
    header.writeInt32LE(2013, 12);
    c.socket.write(header);
    await c.untilClosed(2000);
    expect(server!.wireStats.bufferedBytes).toBe(0);
  });
});

/** A document as big as `bytes`, to check authenticated clients keep MongoDB's limits. */
function bigDoc(bytes: number): Document {
  return { blob: 'x'.repeat(bytes) };
}

describeEmbedded('TCP with SCRAM-SHA-256: authenticated limits (embedded only)', () => {
  test('once authenticated, messages up to MongoDB limits are accepted again', async () => {
    const client = await new MongoClient(uriWith(USER, PASSWORD)).connect();
    try {
      await client.db('big').collection('c').insertOne(bigDoc(2 * 1024 * 1024));
      const doc = await client.db('big').collection('c').findOne({}, { projection: { _id: 0 } });
      expect((doc?.blob as string).length).toBe(2 * 1024 * 1024);
    } finally {
      await client.close();
    }
  });
});
