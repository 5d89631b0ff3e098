/**
 * Test database: the embedded server in memory, or the real MongoDB named by `MONGODB_URI`
 * (each test file then gets a database of its own, dropped at the end).
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import { connect, type DbHandle } from '../../src/db';
import { usingRealMongo } from './mongoTarget';

/** Connects mongoose for one test file; call the returned close() in afterAll. */
export async function startTestDb(): Promise<DbHandle> {
  const dbName = `tn_test_${crypto.randomBytes(6).toString('hex')}`;
  const handle = await connect({ uri: process.env.MONGODB_URI ?? '', dataDir: ':memory:', dbName });
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  return {
    ...handle,
    async close() {
      if (usingRealMongo) await mongoose.connection.dropDatabase();
      await handle.close();
    },
  };
}

/** Registers beforeAll/afterAll hooks that connect the test file to its own database and close it. */
export function useTestDb(): void {
  let db: DbHandle | undefined;
  beforeAll(async () => {
    db = await startTestDb();
  });
  afterAll(async () => {
    await db?.close();
  });
}
