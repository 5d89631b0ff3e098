/**
 * An embedded MongoDB-compatible server: speaks the wire protocol the official driver uses,
 * keeps data in memory, and records every change through a `Persistence`.
 */
import { Catalog, applyMutation, type QueryStats } from './catalog';
import { CursorStore } from './cursors';
import { WireServer, type LogFn } from './server';
import { MemoryPersistence, type Persistence } from './storage/persistence';

export { DESERIALIZE_OPTIONS, SERIALIZE_OPTIONS } from './bson-options';
export type { Mutation, Persistence, IndexSpec } from './storage/persistence';
export type { QueryStats } from './catalog';

/** How to start the server. */
export interface EmbeddedServerOptions {
  /** Interface to listen on; 127.0.0.1 by default. */
  host?: string;
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Where changes are recorded; nothing is kept by default. */
  persistence?: Persistence;
  log?: LogFn;
  /** Called with the name of every command received (first field of the command document). */
  onCommand?: (name: string) => void;
}

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

/** Loads the persisted state, then listens for driver connections. */
export async function startEmbeddedServer(opts: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const host = opts.host ?? '127.0.0.1';
  const persistence = opts.persistence ?? new MemoryPersistence();
  const log: LogFn = opts.log ?? (() => {});
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
