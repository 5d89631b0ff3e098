/**
 * Mongoose connected for one test file with the driver's command monitoring on, to the embedded
 * server (started here) or MONGODB_URI, and the commands it sent, as the driver reports them.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded-mongo';

/** One command started: its name, the collection it names, and the command document. */
export interface StartedCommand {
  name: string;
  collection: string;
  command: Record<string, unknown>;
}

/** Connects in beforeAll (dropping the database and closing in afterAll); returns the live log of commands started. */
export function useMonitoredDb(): StartedCommand[] {
  const log: StartedCommand[] = [];
  let embedded: EmbeddedServer | undefined;
  beforeAll(async () => {
    const uri = process.env.MONGODB_URI || (embedded = await startEmbeddedServer()).uri;
    await mongoose.connect(uri, { dbName: `tn_test_${crypto.randomBytes(6).toString('hex')}`, monitorCommands: true });
    await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
    mongoose.connection.getClient().on('commandStarted', (event) => {
      log.push({ name: event.commandName, collection: String(event.command[event.commandName]), command: event.command });
    });
  });
  afterAll(async () => {
    if (!embedded) await mongoose.connection.dropDatabase();
    await mongoose.disconnect();
    await embedded?.close();
  });
  return log;
}

/** The writes to the id counters among `log` (block reservations, give-backs, advances). */
export function counterWrites(log: StartedCommand[]): StartedCommand[] {
  return log.filter((c) => c.collection === 'counters' && (c.name === 'findAndModify' || c.name === 'update'));
}
