/**
 * A persistence whose commits fail on demand, like a disk that refuses writes: the embedded
 * server then answers write commands with an error, which the API must turn into a 5xx (and
 * the readiness check into a failed write probe). Everything else is kept in memory.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import { startEmbeddedServer, type EmbeddedServer, type Mutation, type Persistence } from '../../src/embedded-mongo';
import { usingRealMongo } from './mongoTarget';

/** Commits succeed until `failing` is set, then reject with an EIO-like error. */
export class FailingPersistence implements Persistence {
  failing = false;
  async load(): Promise<void> {}
  async commit(_mutations: Mutation[]): Promise<void> {
    if (this.failing) throw Object.assign(new Error('EIO: i/o error, write (test)'), { code: 'EIO' });
  }
  setSnapshotSource(): void {}
  async close(): Promise<void> {}
}

/** Tests that fail the embedded server's storage on purpose: skipped, visibly, against a real MongoDB. */
export const itEmbedded = usingRealMongo ? it.skip : it;

/**
 * Connects mongoose for one test file to an embedded server whose storage fails on demand (or
 * to MONGODB_URI, where `itEmbedded` tests are skipped with a warning naming the file), and
 * registers the hooks that set it up and take it down. Returns the persistence to fail.
 */
export function useFailingDb(file: string): FailingPersistence {
  const persistence = new FailingPersistence();
  let embedded: EmbeddedServer | undefined;
  if (usingRealMongo) console.warn(`${file}: storage-failure tests skipped: they need the embedded server (MONGODB_URI is set)`);
  beforeAll(async () => {
    const uri = process.env.MONGODB_URI || (embedded = await startEmbeddedServer({ persistence })).uri;
    await mongoose.connect(uri, { dbName: `tn_test_${crypto.randomBytes(6).toString('hex')}` });
    await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  });
  afterAll(async () => {
    // A test may have disconnected on purpose.
    if (usingRealMongo && mongoose.connection.readyState === 1) await mongoose.connection.dropDatabase();
    await mongoose.disconnect();
    await embedded?.close();
  });
  return persistence;
}
