/** Handshake and server-level commands. */
import type { Document } from 'bson';
import type { CommandHandler } from './context';

/** The version reported by buildInfo; wire version 21 is MongoDB 7.0. */
export const SERVER_VERSION = '7.0.0';

const hello: CommandHandler = (_cmd, ctx) => ({
  helloOk: true,
  ismaster: true,
  isWritablePrimary: true,
  maxBsonObjectSize: 16 * 1024 * 1024,
  maxMessageSizeBytes: 48_000_000,
  maxWriteBatchSize: 100_000,
  localTime: new Date(),
  // Makes the driver use sessions (lsid on commands, endSessions on close), as with MongoDB.
  logicalSessionTimeoutMinutes: 30,
  connectionId: ctx.connectionId,
  minWireVersion: 0,
  maxWireVersion: 21,
  readOnly: false,
});

const buildInfo: CommandHandler = () => ({
  version: SERVER_VERSION,
  versionArray: [7, 0, 0, 0],
  gitVersion: 'embedded',
  bits: 64,
  debug: false,
  maxBsonObjectSize: 16 * 1024 * 1024,
  storageEngines: ['embedded'],
  // What this server does beyond MongoDB's behaviour, for clients that want to use it: a
  // [$match, $facet] of counts and sorted pages is planned with the indexes (commands/reads.ts).
  embeddedFeatures: ['plannedFacet'],
});

const getParameter: CommandHandler = (cmd) => {
  const out: Document = {};
  if (cmd.featureCompatibilityVersion !== undefined || cmd.getParameter === '*') {
    out.featureCompatibilityVersion = { version: '7.0' };
  }
  return out;
};

const listDatabases: CommandHandler = (cmd, ctx) => {
  const databases = [...ctx.catalog.dbs.keys()].map((name) => ({ name, sizeOnDisk: 0, empty: false }));
  return cmd.nameOnly ? { databases: databases.map(({ name }) => ({ name })) } : { databases, totalSize: 0 };
};

/** Handshake and server-level commands, keyed by lower-case name. */
export const adminCommands: Record<string, CommandHandler> = {
  hello,
  ismaster: hello,
  ping: () => ({}),
  buildinfo: buildInfo,
  endsessions: () => ({}),
  getparameter: getParameter,
  listdatabases: listDatabases,
  whatsmyuri: () => ({ you: '127.0.0.1' }),
  getlog: () => ({ totalLinesWritten: 0, log: [] }),
};
