/**
 * An embedded MongoDB-compatible server: speaks the wire protocol the official driver uses,
 * keeps data in memory, and records every change through a `Persistence`. It listens on a
 * Unix domain socket in a private directory (only this user can connect) unless asked for TCP,
 * where it can require SCRAM-SHA-256 authentication.
 */
import os from 'node:os';
import path from 'node:path';
import { ScramAuthenticator, type Credentials } from './auth';
import { Catalog, applyMutation, type QueryStats } from './catalog';
import { CursorStore } from './cursors';
import { FailPoints } from './failpoints';
import { WireServer, type ListenTarget, type LogFn, type WireLimits, type WireStats } from './server';
import { createSocketDir, removeStaleSocketDirs, useSocketPath, type SocketDir } from './socket-dir';
import { JournalPersistence } from './storage/journal';
import { MemoryPersistence, type Persistence, type PersistenceHealth, type StorageStats } from './storage/persistence';
import { DEFAULT_TTL_MONITOR_SLEEP_SECS, TtlMonitor } from './ttl';

export { DESERIALIZE_OPTIONS, SERIALIZE_OPTIONS } from './bson-options';
export type { Mutation, Persistence, PersistenceHealth, IndexSpec, StorageStats } from './storage/persistence';
export type { QueryStats } from './catalog';
export type { Credentials } from './auth';
export { DEFAULT_WIRE_LIMITS, type WireLimits, type WireStats } from './server';

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

/** Where the server listens. */
export type ListenOptions =
  | {
      /**
       * `socket` (the default): a Unix domain socket in a new directory private to this user
       * (0700) under `socketParentDir`, removed on close. Only this user (and root) can connect.
       */
      listen?: 'socket';
      /** Where the private directory is made; the OS temporary directory by default. */
      socketParentDir?: string;
      /** A fixed socket path instead of a fresh directory (its directory must be private: socket-dir.ts useSocketPath). */
      socketPath?: string;
      host?: never;
      port?: never;
    }
  | {
      /** `tcp`: for tools and tests. Give `credentials`, or any local process can connect. */
      listen: 'tcp';
      /** Interface to listen on; 127.0.0.1 by default. */
      host?: string;
      /** TCP port; 0 (the default) picks a free one. */
      port?: number;
      socketParentDir?: never;
      socketPath?: never;
    };

/** How to start the server. */
export type EmbeddedServerOptions = StorageOptions &
  ListenOptions & {
    /**
     * When set, every connection must authenticate with SCRAM-SHA-256 as this user of the
     * `admin` database (`mongodb://user:password@host:port/?authSource=admin`) before any
     * command other than hello, ping, buildInfo, saslStart and saslContinue.
     */
    credentials?: Credentials;
    /** Connection limits; see DEFAULT_WIRE_LIMITS for the defaults. */
    limits?: Partial<WireLimits>;
    log?: LogFn;
    /** Called with the name of every command received (first field of the command document). */
    onCommand?: (name: string) => void;
    /**
     * MongoDB's test commands (its `enableTestCommands`): `configureFailPoint` with the
     * `failCommand` fail point (failpoints.ts), for driver specification tests. Off by default.
     */
    testCommands?: boolean;
    /**
     * Seconds between passes of the TTL monitor that deletes documents expired by
     * `expireAfterSeconds` indexes (MongoDB's `ttlMonitorSleepSecs`): 60 by default, or the
     * EMBEDDED_MONGO_TTL_MONITOR_SLEEP_SECS environment variable. Fractions are allowed (tests).
     */
    ttlMonitorSleepSecs?: number;
  };

/** The TTL monitor's period: the option, else the environment variable, else MongoDB's 60 s. */
function ttlSleepSecs(opts: EmbeddedServerOptions): number {
  const fromEnv = Number(process.env.EMBEDDED_MONGO_TTL_MONITOR_SLEEP_SECS);
  const secs = opts.ttlMonitorSleepSecs ?? (Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_TTL_MONITOR_SLEEP_SECS);
  if (!Number.isFinite(secs) || secs <= 0) throw new RangeError(`ttlMonitorSleepSecs must be a positive number of seconds, got ${secs}`);
  return secs;
}

/** A running server. */
export interface EmbeddedServer {
  /**
   * Connection string for the driver, without credentials: `mongodb://%2Ftmp%2F…%2Fmongodb.sock`
   * for the socket (its path percent-encoded), `mongodb://127.0.0.1:27017` for TCP.
   */
  uri: string;
  /** The TCP port; 0 on a Unix socket. */
  port: number;
  /** The Unix socket's path; undefined on TCP. */
  socketPath: string | undefined;
  /** Query planner counters (how many documents queries examined, index vs scan). */
  readonly stats: Readonly<QueryStats>;
  /** Network counters: open connections, buffered bytes, refusals, timeouts, failed authentications. */
  readonly wireStats: Readonly<WireStats>;
  /**
   * Whether the storage takes writes now: `{writable: false, lastError, errorCode, since}` from a
   * failed journal write (a full disk...) until the journal has recovered by itself (storage/journal.ts).
   */
  health(): PersistenceHealth;
  /** The storage's cumulative counters (commits, fsyncs, fsync time); null when it keeps none (`:memory:`). */
  storageStats(): StorageStats | null;
  /** Closes connections, the listener and the persistence. */
  close(): Promise<void>;
}

/** The persistence the options ask for: the caller's, a journal in `dataDir`, or nothing kept. */
function persistenceFor(opts: EmbeddedServerOptions, log: LogFn): Persistence {
  if (opts.persistence) return opts.persistence;
  if (opts.dataDir === undefined || opts.dataDir === ':memory:') return new MemoryPersistence();
  return new JournalPersistence({ dir: path.resolve(opts.dataDir), maxJournalBytes: opts.journalMaxBytes, log });
}

/** Parent directories already swept for crashed runs' socket directories (once per process is enough). */
const sweptParents = new Set<string>();

/** Loads the persisted state, then listens for driver connections. */
export async function startEmbeddedServer(opts: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const log: LogFn = opts.log ?? (() => {});
  const ttlSecs = ttlSleepSecs(opts);
  // Before anything is opened, so that bad credentials leave nothing to clean up.
  const authenticator = opts.credentials ? new ScramAuthenticator(opts.credentials) : undefined;
  const persistence = persistenceFor(opts, log);
  const catalog = new Catalog();
  const cursors = new CursorStore();
  let server: WireServer;
  try {
    server = new WireServer({ catalog, cursors, persistence, log, onCommand: opts.onCommand, failPoints: opts.testCommands ? new FailPoints() : undefined }, { limits: opts.limits, authenticator });
  } catch (err) {
    await persistence.close();
    throw err;
  }
  let socketDir: SocketDir | undefined;
  // A process that exits without close() (an uncaught error, process.exit) still removes its socket directory.
  const removeOnExit = () => socketDir?.remove();
  let port: number;
  try {
    await persistence.load((m) => applyMutation(catalog, m));
    persistence.setSnapshotSource(() => catalog.snapshot());
    let target: ListenTarget;
    if (opts.listen === 'tcp') {
      target = { kind: 'tcp', host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 };
    } else if (opts.socketPath) {
      socketDir = await useSocketPath(path.resolve(opts.socketPath));
      process.once('exit', removeOnExit);
      target = { kind: 'socket', path: socketDir.socketPath };
    } else {
      const parent = path.resolve(opts.socketParentDir ?? os.tmpdir());
      if (!sweptParents.has(parent)) {
        sweptParents.add(parent);
        await removeStaleSocketDirs(parent, (msg) => log('info', msg));
      }
      socketDir = createSocketDir(parent);
      process.once('exit', removeOnExit);
      target = { kind: 'socket', path: socketDir.socketPath };
    }
    port = await server.listen(target);
  } catch (err) {
    // Release the persistence's files and locks so a retry (or another process) can open them.
    await server.close().catch(() => undefined);
    process.off('exit', removeOnExit);
    socketDir?.remove();
    await persistence.close();
    throw err;
  }
  let uri: string;
  let where: string;
  if (socketDir) {
    uri = `mongodb://${encodeURIComponent(socketDir.socketPath)}`;
    where = `on the Unix socket ${socketDir.socketPath} (directory private to this user)`;
  } else {
    const host = opts.host ?? '127.0.0.1';
    const uriHost = host.includes(':') ? `[${host}]` : host;
    uri = `mongodb://${uriHost}:${port}`;
    where = `on ${uriHost}:${port} (TCP, ${authenticator ? 'SCRAM-SHA-256 authentication required' : 'WITHOUT authentication: any local process can connect'})`;
  }
  log(authenticator || socketDir ? 'info' : 'warn', `embedded MongoDB-compatible server listening ${where}`);
  const ttl = new TtlMonitor({ catalog, cursors, persistence, log }, ttlSecs);
  ttl.start();
  catalog.parameters.set('ttlMonitorSleepSecs', ttl.parameter);
  let closing: Promise<void> | undefined;
  return {
    uri,
    port,
    socketPath: socketDir?.socketPath,
    stats: catalog.stats,
    wireStats: server.stats,
    health: () => persistence.health?.() ?? { writable: true },
    storageStats: () => persistence.stats?.() ?? null,
    close() {
      closing ??= (async () => {
        await ttl.stop();
        await server.close();
        process.off('exit', removeOnExit);
        socketDir?.remove();
        cursors.clear();
        await persistence.close();
      })();
      return closing;
    },
  };
}
