/**
 * An embedded MongoDB-compatible server: speaks the wire protocol the official driver uses,
 * keeps data in memory, and records every change through a `Persistence`.
 */
import path from 'node:path';
import { Catalog, applyMutation, type QueryStats } from './catalog';
import { CursorStore } from './cursors';
import { WireServer, type LogFn } from './server';
import { JournalPersistence } from './storage/journal';
import { MemoryPersistence, type Persistence } from './storage/persistence';

export { DESERIALIZE_OPTIONS, SERIALIZE_OPTIONS } from './bson-options';
export type { Mutation, Persistence, IndexSpec } from './storage/persistence';
export type { QueryStats } from './catalog';

/** Where the server keeps its data: a directory (or `:memory:`), or a persistence of the caller's. */
export type StorageOptions =
  | {
      /** A directory for the journal and snapshots; `:memory:` (the default) keeps nothing. */
      dataDir?: string;
      /** Journal size after which a snapshot is written and a new journal started (default 64 MiB). */
      journalMaxBytes?: number;
      persistence?: never;
    }
  | {
      /** Where changes are recorded, for callers (tests, tools) that build their own. */
      persistence: Persistence;
      dataDir?: never;
      journalMaxBytes?: never;
    };

/** How to start the server. */
export type EmbeddedServerOptions = StorageOptions & {
  /** Interface to listen on; 127.0.0.1 by default. */
  host?: string;
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  log?: LogFn;
  /** Called with the name of every command received (first field of the command document). */
  onCommand?: (name: string) => void;
};

/** A running server. */
export interface EmbeddedServer {
  /** Connection string for the driver, e.g. mongodb://127.0.0.1:27017 */
  uri: string;
  port: number;
  /** Query planner counters (how many documents queries examined, index vs scan). */
  readonly stats: Readonly<QueryStats>;
  /** Closes connections, the listener and the persistence. */
  close(): Promise<void>;
}

/** The persistence the options ask for: the caller's, a journal in `dataDir`, or nothing kept. */
function persistenceFor(opts: EmbeddedServerOptions, log: LogFn): Persistence {
  if (opts.persistence) return opts.persistence;
  if (opts.dataDir === undefined || opts.dataDir === ':memory:') return new MemoryPersistence();
  return new JournalPersistence({ dir: path.resolve(opts.dataDir), maxJournalBytes: opts.journalMaxBytes, log });
}

/** Loads the persisted state, then listens for driver connections. */
export async function startEmbeddedServer(opts: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const host = opts.host ?? '127.0.0.1';
  const log: LogFn = opts.log ?? (() => {});
  const persistence = persistenceFor(opts, log);
  const catalog = new Catalog();
  const cursors = new CursorStore();
  const server = new WireServer({ catalog, cursors, persistence, log, onCommand: opts.onCommand });
  let port: number;
  try {
    await persistence.load((m) => applyMutation(catalog, m));
    persistence.setSnapshotSource(() => catalog.snapshot());
    port = await server.listen(host, opts.port ?? 0);
  } catch (err) {
    // Release the persistence's files and locks so a retry (or another process) can open them.
    await persistence.close();
    throw err;
  }
  const uriHost = host.includes(':') ? `[${host}]` : host;
  log('info', `embedded MongoDB-compatible server listening on ${uriHost}:${port}`);
  let closing: Promise<void> | undefined;
  return {
    uri: `mongodb://${uriHost}:${port}`,
    port,
    stats: catalog.stats,
    close() {
      closing ??= (async () => {
        await server.close();
        cursors.clear();
        await persistence.close();
      })();
      return closing;
    },
  };
}
