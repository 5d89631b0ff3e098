import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { MongoClient, MongoServerError } from 'mongodb';
import { connect, redactUri, type EmbeddedListen } from '../../src/db';
import { startEmbeddedServer } from '../../src/embedded-mongo';

describe('redactUri', () => {
  it('hides credentials and leaves other URIs alone', () => {
    expect(redactUri('mongodb://user:secret@db.example:27017/app')).toBe('mongodb://***@db.example:27017/app');
    expect(redactUri('mongodb://127.0.0.1:27017')).toBe('mongodb://127.0.0.1:27017');
  });
});

describe('connect', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('with MONGODB_URI set connects to it and starts no embedded server', async () => {
    const server = await startEmbeddedServer();
    try {
      const handle = await connect({ uri: server.uri, dataDir: ':memory:', dbName: 'tn_unit_uri' });

      expect(handle.embedded).toBeNull();
      expect(handle.uri).toBe(server.uri);
      expect(mongoose.connection.readyState).toBe(1);
      await handle.close();
      expect(mongoose.connection.readyState).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('without a URI and with a data directory keeps data across restarts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-db-'));
    const Thing = mongoose.models.UnitThing ?? mongoose.model('UnitThing', new mongoose.Schema({ name: String }));
    try {
      const first = await connect({ uri: '', dataDir: dir, dbName: 'tn_unit_dir' });
      expect(first.embedded).not.toBeNull();
      await Thing.create({ name: 'kept' });
      await first.close();

      const second = await connect({ uri: '', dataDir: dir, dbName: 'tn_unit_dir' });
      const found = await Thing.findOne({ name: 'kept' }).lean();
      await second.close();

      expect(found).not.toBeNull();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without a URI listens on a private Unix socket by default, with pooled connections closed before the server would', async () => {
    const handle = await connect({ uri: '', dataDir: ':memory:', dbName: 'tn_unit_socket' });
    const socketPath = handle.embedded!.socketPath!;
    try {
      expect(handle.uri).toBe(`mongodb://${encodeURIComponent(socketPath)}`);
      expect(fs.statSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700);
      await mongoose.connection.db!.collection('things').insertOne({ over: 'the socket' });
      // The app's default idle timeout is 10 minutes: the driver drops idle connections at 5.
      expect(mongoose.connection.getClient().options.maxIdleTimeMS).toBe(5 * 60_000);
    } finally {
      await handle.close();
    }
    expect(fs.existsSync(path.dirname(socketPath))).toBe(false);
  });

  it('with TCP and credentials mongoose authenticates, and a client without them is refused (code 13)', async () => {
    const embedded: EmbeddedListen = {
      listen: 'tcp',
      host: '127.0.0.1',
      port: 0,
      credentials: { user: 'tn', password: 'a password long enough' },
      maxConnections: 50,
      idleTimeoutMs: 120_000,
    };
    const handle = await connect({ uri: '', dataDir: ':memory:', dbName: 'tn_unit_tcp', embedded });
    try {
      expect(handle.uri).toBe(`mongodb://127.0.0.1:${handle.embedded!.port}`);
      await mongoose.connection.db!.collection('things').insertOne({ over: 'tcp' });
      expect(mongoose.connection.getClient().options.maxIdleTimeMS).toBe(60_000);
      const anonymous = await new MongoClient(handle.uri).connect();
      const err = await anonymous.db('tn_unit_tcp').collection('things').findOne().catch((e: unknown) => e);
      await anonymous.close();
      expect(err).toBeInstanceOf(MongoServerError);
      expect((err as MongoServerError).code).toBe(13);
    } finally {
      await handle.close();
    }
  });

  it('refuses TCP without credentials', async () => {
    const embedded: EmbeddedListen = { listen: 'tcp', host: '127.0.0.1', port: 0, maxConnections: 50, idleTimeoutMs: 120_000 };

    await expect(connect({ uri: '', dataDir: ':memory:', embedded })).rejects.toThrow(/only with credentials/);
  });

  it('closes the embedded server again when mongoose cannot connect', async () => {
    jest.spyOn(mongoose, 'connect').mockRejectedValueOnce(new Error('cannot connect'));

    await expect(connect({ uri: '', dataDir: ':memory:' })).rejects.toThrow('cannot connect');
  });
});
