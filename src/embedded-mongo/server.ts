/**
 * Connections (TCP or a Unix domain socket), per-connection message ordering, authentication,
 * connection limits, and command dispatch.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { Document } from 'bson';
import { allowedBeforeAuthentication, unauthorizedReply, type AuthSession, type SaslResult, type ScramAuthenticator } from './auth';
import type { Catalog } from './catalog';
import { adminCommands } from './commands/admin';
import { CommandContext, runCommand, type CommandHandler } from './commands/context';
import { noteSession } from './local-sessions';
import { crudCommands } from './commands/crud';
import { ddlCommands } from './commands/ddl';
import { readCommands } from './commands/reads';
import { countCommand, registerConnections, serverStatusCommands } from './commands/server-status';
import { standaloneRefusal } from './commands/standalone';
import type { CursorStore } from './cursors';
import { errorReply } from './errors';
import type { FailAction, FailPoints } from './failpoints';
import type { Persistence } from './storage/persistence';
import { FrameReader, MAX_MESSAGE_SIZE, ProtocolError, decodeFrame, encodeReply, type Request } from './wire';

/** Receives log lines from the server. */
export type LogFn = (level: 'info' | 'warn' | 'error', msg: string) => void;

/** Every command, keyed by lower-case name (MongoDB itself accepts `isMaster` and `ismaster`). */
const COMMANDS: Record<string, CommandHandler> = { ...adminCommands, ...ddlCommands, ...crudCommands, ...readCommands, ...serverStatusCommands };

/** What the dispatcher needs. */
export interface ServerState {
  catalog: Catalog;
  cursors: CursorStore;
  persistence: Persistence;
  log: LogFn;
  onCommand?: (name: string) => void;
  /** Present with test commands on: `configureFailPoint` and what it makes commands meet. */
  failPoints?: FailPoints;
}

/** Runs one command and returns its reply; never throws. */
export async function dispatch(state: ServerState, request: Request, connectionId: number, user?: string): Promise<Document> {
  const name = Object.keys(request.command)[0] ?? '';
  try {
    state.onCommand?.(name);
  } catch (err) {
    state.log('warn', `onCommand hook threw: ${String(err)}`);
  }
  if (state.failPoints && name === 'configureFailPoint') return runFailPointCommand(state.failPoints, request.command);
  const lower = name.toLowerCase();
  // A transaction is refused before anything runs, as on a standalone MongoDB (commands/standalone.ts).
  countCommand(state.catalog, lower, request.command);
  const refused = standaloneRefusal(lower, request.command);
  if (refused) return errorReply(refused);
  const handler = Object.hasOwn(COMMANDS, lower) ? COMMANDS[lower] : undefined;
  if (!handler) return { ok: 0, errmsg: `no such command: '${name}'`, code: 59, codeName: 'CommandNotFound' };
  // The session is in the local session cache from the command's start on, as in MongoDB ($listLocalSessions).
  if (request.command.lsid !== undefined) noteSession(state.catalog, request.command.lsid, user);
  // The handler, then its commit (or a read's wait for durability), rolled back on failure: commands/context.ts.
  return runCommand(lower, handler, request.command, state.persistence, () => new CommandContext(state.catalog, state.cursors, state.persistence, request.db, connectionId, user));
}

/** `configureFailPoint`, answered like any command: its errors as error replies. */
function runFailPointCommand(failPoints: FailPoints, cmd: Document): Document {
  try {
    return { ...failPoints.configure(cmd), ok: 1 };
  } catch (err) {
    return errorReply(err);
  }
}

/** Bounds on connections; every field has a safe default in {@link DEFAULT_WIRE_LIMITS}. */
export interface WireLimits {
  /** Open connections at most; further ones are closed as they are accepted. */
  maxConnections: number;
  /** A connection that may run commands (authenticated, or on a listener without authentication) is closed after this long without traffic. */
  idleTimeoutMs: number;
  /**
   * A connection that has not authenticated (or, without authentication, has not sent a
   * message yet) is closed after this long without traffic. Longer than the drivers' 10 s
   * heartbeat, whose monitoring connections never authenticate.
   */
  unauthenticatedIdleTimeoutMs: number;
  /** A message must arrive completely within this time of its first byte, or the connection is closed and its buffer freed. */
  frameTimeoutMs: number;
  /** The largest message a connection may send before it has authenticated (a handshake is under 2 KB). */
  maxUnauthenticatedMessageBytes: number;
}

/** The limits used unless the caller gives others. */
export const DEFAULT_WIRE_LIMITS: Readonly<WireLimits> = Object.freeze({
  maxConnections: 1000,
  idleTimeoutMs: 10 * 60_000,
  unauthenticatedIdleTimeoutMs: 30_000,
  frameTimeoutMs: 30_000,
  maxUnauthenticatedMessageBytes: 64 * 1024,
});

/** Live counters of the network side, for operators and tests. */
export interface WireStats {
  /** Connections open now. */
  connections: number;
  /** Bytes of incomplete messages held across all connections now. */
  bufferedBytes: number;
  /** Connections closed at accept because `maxConnections` were open. */
  refusedConnections: number;
  /** Connections closed because a message did not complete within `frameTimeoutMs`. */
  frameTimeouts: number;
  /** Connections closed for being idle. */
  idleTimeouts: number;
  /** Failed SASL steps (wrong password, unknown user, malformed messages). */
  authenticationFailures: number;
}

/** Where to listen: TCP, or a Unix domain socket at a path. */
export type ListenTarget = { kind: 'tcp'; host: string; port: number } | { kind: 'socket'; path: string };

/** What a WireServer needs besides the dispatcher's state. */
export interface WireServerOptions {
  limits?: Partial<WireLimits>;
  /** When set, every connection must authenticate (SCRAM-SHA-256) before running commands. */
  authenticator?: ScramAuthenticator;
}

/** Requests a connection may have decoded and waiting before it stops reading (pipelining clients). */
const MAX_QUEUED_REQUESTS = 16;
/** Failed authentication attempts after which a connection is closed. */
const MAX_AUTH_FAILURES = 3;
/** At most one log line per kind of event in this interval; the next one says how many were left out. */
const LOG_INTERVAL_MS = 10_000;

/** Logs at most one line per key and interval, so a flood cannot flood the log too. */
class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(private readonly log: LogFn) {}

  write(key: string, level: 'info' | 'warn' | 'error', msg: string): void {
    const now = Date.now();
    const entry = this.last.get(key);
    if (entry && now - entry.at < LOG_INTERVAL_MS) {
      entry.suppressed++;
      return;
    }
    const more = entry?.suppressed ? ` (and ${entry.suppressed} more like it in the last ${Math.round((now - entry.at) / 1000)} s)` : '';
    this.last.set(key, { at: now, suppressed: 0 });
    this.log(level, msg + more);
  }
}

/** One client connection's state. */
interface Connection {
  id: number;
  socket: net.Socket;
  /** For log lines: the peer's address, or "local socket". */
  peer: string;
  reader: FrameReader;
  /** Present when the listener requires authentication. */
  auth: AuthSession | undefined;
  /** Decoded requests not yet answered. */
  queued: number;
  /** Reading paused because `MAX_QUEUED_REQUESTS` are waiting. */
  paused: boolean;
  /** Closes the connection when the message being received does not complete in time. */
  frameTimer: NodeJS.Timeout | undefined;
  /** Whether a complete message has arrived yet. */
  greeted: boolean;
  authFailures: number;
  /** Set when the server ends the connection (too many failed authentications): queued requests are dropped. */
  closing: boolean;
  /** Waiting for the client to read a reply; a client that never does is idle, not busy. */
  awaitingDrain: boolean;
  /** Commands of one connection run one after another so replies keep their order. */
  chain: Promise<void>;
}

/** Resolves once the socket has drained its write buffer, or closed. */
function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** A listening server and what close() must wait for. */
export class WireServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly limits: WireLimits;
  private readonly authenticator: ScramAuthenticator | undefined;
  private readonly limitedLog: RateLimitedLog;
  private nextConnectionId = 1;
  /** Live counters (see {@link WireStats}). */
  readonly stats: WireStats = {
    connections: 0,
    bufferedBytes: 0,
    refusedConnections: 0,
    frameTimeouts: 0,
    idleTimeouts: 0,
    authenticationFailures: 0,
  };

  constructor(
    private readonly state: ServerState,
    options: WireServerOptions = {},
  ) {
    this.limits = { ...DEFAULT_WIRE_LIMITS, ...options.limits };
    for (const [name, value] of Object.entries(this.limits)) {
      if (!Number.isInteger(value) || value <= 0) throw new Error(`embedded server limit ${name} must be a positive integer, got ${String(value)}`);
    }
    this.authenticator = options.authenticator;
    this.limitedLog = new RateLimitedLog(state.log);
    registerConnections(state.catalog, () => ({ current: this.stats.connections, totalCreated: this.nextConnectionId - 1, max: this.limits.maxConnections }));
    this.server = net.createServer((socket) => this.accept(socket));
    // Node closes connections beyond this as it accepts them and emits 'drop'.
    this.server.maxConnections = this.limits.maxConnections;
    this.server.on('drop', (data?: net.DropArgument) => {
      this.stats.refusedConnections++;
      const from = data?.remoteAddress ? `${data.remoteAddress}:${String(data.remotePort)}` : 'the local socket';
      this.limitedLog.write('refused', 'warn', `refused a connection from ${from}: ${this.limits.maxConnections} connections are open (maxConnections)`);
    });
  }

  /** Starts listening; resolves with the bound TCP port (0 for a Unix socket). */
  listen(target: ListenTarget): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      const ready = () => {
        this.server.off('error', reject);
        if (target.kind === 'tcp') {
          resolve((this.server.address() as net.AddressInfo).port);
          return;
        }
        try {
          // The private directory already keeps others out; the socket itself is owner-only too.
          fs.chmodSync(target.path, 0o600);
          resolve(0);
        } catch (err) {
          this.server.close();
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      if (target.kind === 'tcp') this.server.listen(target.port, target.host, ready);
      else this.server.listen(target.path, ready);
    });
  }

  private accept(socket: net.Socket): void {
    const conn: Connection = {
      id: this.nextConnectionId++,
      socket,
      peer: socket.remoteAddress ? `${socket.remoteAddress}:${String(socket.remotePort)}` : 'local socket',
      reader: new FrameReader(this.authenticator ? this.limits.maxUnauthenticatedMessageBytes : MAX_MESSAGE_SIZE),
      auth: this.authenticator?.session(),
      queued: 0,
      paused: false,
      frameTimer: undefined,
      greeted: false,
      authFailures: 0,
      closing: false,
      awaitingDrain: false,
      chain: Promise.resolve(),
    };
    this.connections.add(conn);
    this.stats.connections++;
    // Request/response traffic of small messages: Nagle's delay would dominate latency (no-op on a Unix socket).
    socket.setNoDelay(true);
    socket.setTimeout(this.limits.unauthenticatedIdleTimeoutMs);
    socket.on('timeout', () => this.onIdle(conn));
    socket.on('data', (chunk: Buffer) => this.receive(conn, chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A client that goes away mid-connection (ECONNRESET, EPIPE) is routine, not a warning.
      const routine = err.code === 'ECONNRESET' || err.code === 'EPIPE';
      if (routine) this.state.log('info', `connection ${conn.id}: ${err.message}`);
      else this.limitedLog.write('socket-error', 'warn', `connection ${conn.id}: ${err.message}`);
    });
    socket.on('close', () => {
      clearTimeout(conn.frameTimer);
      this.stats.bufferedBytes -= conn.reader.bufferedBytes;
      conn.reader.clear();
      this.connections.delete(conn);
      this.stats.connections--;
    });
  }

  /** Whether the connection may run commands (then the long idle timeout applies). */
  private trusted(conn: Connection): boolean {
    return conn.auth ? conn.auth.authenticated : conn.greeted;
  }

  private onIdle(conn: Connection): void {
    if (conn.queued > 0 && !conn.awaitingDrain) {
      // A command is still running; that is not idleness. Wait another period.
      conn.socket.setTimeout(this.limits.idleTimeoutMs);
      return;
    }
    const trusted = this.trusted(conn);
    const ms = trusted ? this.limits.idleTimeoutMs : this.limits.unauthenticatedIdleTimeoutMs;
    this.stats.idleTimeouts++;
    const what = conn.auth && !trusted ? 'unauthenticated connection' : 'connection';
    this.limitedLog.write(trusted ? 'idle' : 'idle-unauthenticated', 'info', `closed ${what} ${conn.id} (${conn.peer}) after ${ms / 1000} s without traffic`);
    conn.socket.destroy();
  }

  private receive(conn: Connection, chunk: Buffer): void {
    const { reader, socket } = conn;
    const before = reader.bufferedBytes;
    let requests: Request[];
    try {
      const frames = reader.push(chunk);
      requests = frames.map(decodeFrame);
      if (frames.length > 0 && !conn.greeted) {
        conn.greeted = true;
        if (this.trusted(conn)) socket.setTimeout(this.limits.idleTimeoutMs);
      }
      this.armFrameTimer(conn, frames.length > 0);
    } catch (err) {
      const why = err instanceof ProtocolError ? err.message : String(err);
      this.limitedLog.write('malformed', 'warn', `connection ${conn.id} (${conn.peer}): closing after malformed message: ${why}`);
      socket.destroy();
      return;
    } finally {
      this.stats.bufferedBytes += reader.bufferedBytes - before;
    }
    for (const request of requests) {
      conn.queued++;
      // handle() does not reject; the catch keeps the chain alive should that ever change.
      conn.chain = conn.chain
        .then(() => this.handle(conn, request))
        .catch((err: unknown) => this.state.log('error', `connection ${conn.id}: ${String(err)}`));
    }
    if (requests.length > 0) this.track(conn.chain);
    if (conn.queued >= MAX_QUEUED_REQUESTS && !conn.paused) {
      // A client pipelining faster than commands run waits in its own socket buffer, not in our memory.
      conn.paused = true;
      socket.pause();
      clearTimeout(conn.frameTimer);
      conn.frameTimer = undefined;
    }
  }

  /**
   * Times the message being received: from its first byte, not from the last chunk, so a client
   * that trickles bytes cannot hold a large buffer forever.
   */
  private armFrameTimer(conn: Connection, newFrame: boolean): void {
    if (conn.reader.bufferedBytes === 0) {
      clearTimeout(conn.frameTimer);
      conn.frameTimer = undefined;
      return;
    }
    if (conn.frameTimer && !newFrame) return;
    clearTimeout(conn.frameTimer);
    conn.frameTimer = setTimeout(() => {
      this.stats.frameTimeouts++;
      this.limitedLog.write(
        'frame-timeout',
        'warn',
        `connection ${conn.id} (${conn.peer}): closed: a message was still incomplete after ${this.limits.frameTimeoutMs / 1000} s (${conn.reader.bufferedBytes} bytes received)`,
      );
      conn.socket.destroy();
    }, this.limits.frameTimeoutMs);
  }

  private async handle(conn: Connection, request: Request): Promise<void> {
    const { socket } = conn;
    try {
      if (conn.closing) return;
      const fail = this.state.failPoints?.take(request.command);
      if (fail && (await this.failFirst(conn, fail))) return;
      const reply = fail?.errorReply ?? (await this.reply(conn, request));
      if (fail?.writeConcernError && reply.ok === 1) reply.writeConcernError = fail.writeConcernError;
      if (request.noReply || socket.destroyed) return;
      let frame: Buffer;
      try {
        frame = encodeReply(request, reply);
      } catch (err) {
        // A reply that cannot be encoded (e.g. over the BSON size limit) must not kill the server.
        this.state.log('error', `connection ${conn.id}: cannot send reply: ${String(err)}`);
        frame = encodeReply(request, errorReply(err));
      }
      // A client that does not read its replies holds one reply in our memory at most.
      if (!socket.write(frame) && !socket.destroyed) {
        conn.awaitingDrain = true;
        await drained(socket);
        conn.awaitingDrain = false;
      }
      if (conn.authFailures >= MAX_AUTH_FAILURES && !conn.closing) {
        conn.closing = true;
        socket.end();
      }
    } finally {
      conn.queued--;
      if (conn.paused && conn.queued === 0 && !socket.destroyed) {
        conn.paused = false;
        socket.resume();
        this.armFrameTimer(conn, true);
      }
    }
  }

  /** A fail point's delay, then its closing of the connection: whether the connection was closed. */
  private async failFirst(conn: Connection, fail: FailAction): Promise<boolean> {
    if (fail.blockMs > 0) await new Promise((resolve) => setTimeout(resolve, fail.blockMs));
    if (!fail.closeConnection) return false;
    conn.socket.destroy();
    return true;
  }

  /** Authentication first (when required), then the dispatcher. */
  private async reply(conn: Connection, request: Request): Promise<Document> {
    const auth = conn.auth;
    if (!auth) return dispatch(this.state, request, conn.id);
    const name = Object.keys(request.command)[0] ?? '';
    const lower = name.toLowerCase();
    if (lower === 'saslstart' || lower === 'saslcontinue') {
      const result = lower === 'saslstart' ? auth.start(request.command, request.db) : auth.continue(request.command, request.db);
      return this.afterSasl(conn, result);
    }
    if (!auth.authenticated && !allowedBeforeAuthentication(lower)) return unauthorizedReply(name);
    const reply = await dispatch(this.state, request, conn.id, auth.user);
    if ((lower === 'hello' || lower === 'ismaster') && reply.ok === 1) this.addSaslFields(auth, request.command, reply);
    return reply;
  }

  /** The handshake's SASL parts: the mechanisms offered, and speculative authentication's first step. */
  private addSaslFields(auth: AuthSession, cmd: Document, reply: Document): void {
    if (typeof cmd.saslSupportedMechs === 'string') reply.saslSupportedMechs = ['SCRAM-SHA-256'];
    const speculative: unknown = cmd.speculativeAuthenticate;
    if (typeof speculative !== 'object' || speculative === null || auth.authenticated) return;
    const spec = speculative as Document;
    const result = auth.start(spec, typeof spec.db === 'string' ? spec.db : 'admin');
    // As MongoDB: a speculative attempt that fails is left out, and the client starts over.
    if (result.failed) return;
    const { ok: _ok, ...first } = result.reply;
    reply.speculativeAuthenticate = first;
  }

  private afterSasl(conn: Connection, result: SaslResult): Document {
    if (result.failed) {
      conn.authFailures++;
      this.stats.authenticationFailures++;
      const who = result.user === undefined ? '' : ` for user ${JSON.stringify(result.user.slice(0, 64))}`;
      const closing = conn.authFailures >= MAX_AUTH_FAILURES ? `; closing after ${conn.authFailures} failures` : '';
      this.limitedLog.write('auth-failed', 'warn', `connection ${conn.id} (${conn.peer}): authentication failed${who}${closing}`);
    } else if (conn.auth?.authenticated) {
      conn.reader.setMaxMessageSize(MAX_MESSAGE_SIZE);
      conn.socket.setTimeout(this.limits.idleTimeoutMs);
    }
    return result.reply;
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Stops listening, drops every connection and waits for commands already running. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const conn of this.connections) conn.socket.destroy();
    await closed;
    await Promise.allSettled([...this.inflight]);
  }
}
