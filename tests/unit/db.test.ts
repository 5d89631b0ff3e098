import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { connect, redactUri } from '../../src/db';
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

  it('closes the embedded server again when mongoose cannot connect', async () => {
    jest.spyOn(mongoose, 'connect').mockRejectedValueOnce(new Error('cannot connect'));

    await expect(connect({ uri: '', dataDir: ':memory:' })).rejects.toThrow('cannot connect');
  });
});
