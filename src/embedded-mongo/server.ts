/** TCP connections, per-connection message ordering, and command dispatch. */
import net from 'node:net';
import type { Document } from 'bson';
import type { Catalog } from './catalog';
import { adminCommands } from './commands/admin';
import { CommandContext, type CommandHandler } from './commands/context';
import { crudCommands } from './commands/crud';
import { ddlCommands } from './commands/ddl';
import { readCommands } from './commands/reads';
import type { CursorStore } from './cursors';
import { errorReply } from './errors';
import type { Persistence } from './storage/persistence';
import { FrameReader, ProtocolError, decodeFrame, encodeReply, type Request } from './wire';

/** Receives log lines from the server. */
export type LogFn = (level: 'info' | 'warn' | 'error', msg: string) => void;

/** Every command, keyed by lower-case name (MongoDB itself accepts `isMaster` and `ismaster`). */
const COMMANDS: Record<string, CommandHandler> = { ...adminCommands, ...ddlCommands, ...crudCommands, ...readCommands };

/** What the dispatcher needs. */
export interface ServerState {
  catalog: Catalog;
  cursors: CursorStore;
  persistence: Persistence;
  log: LogFn;
  onCommand?: (name: string) => void;
}

/** Runs one command and returns its reply; never throws. */
export async function dispatch(state: ServerState, request: Request, connectionId: number): Promise<Document> {
  const name = Object.keys(request.command)[0] ?? '';
  try {
    state.onCommand?.(name);
  } catch (err) {
    state.log('warn', `onCommand hook threw: ${String(err)}`);
  }
  const handler = Object.hasOwn(COMMANDS, name.toLowerCase()) ? COMMANDS[name.toLowerCase()] : undefined;
  if (!handler) return { ok: 0, errmsg: `no such command: '${name}'`, code: 59, codeName: 'CommandNotFound' };
  const ctx = new CommandContext(state.catalog, state.cursors, state.persistence, request.db, connectionId);
  try {
    const reply = await handler(request.command, ctx);
    await ctx.commit();
    return { ...reply, ok: 1 };
  } catch (err) {
    try {
      // Whatever the command changed before failing is in memory; make it durable too.
      await ctx.commit();
    } catch (commitErr) {
      state.log('error', `commit after failed ${name} failed: ${String(commitErr)}`);
    }
    return errorReply(err);
  }
}

/** A listening server and what close() must wait for. */
export class WireServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly inflight = new Set<Promise<void>>();
  private nextConnectionId = 1;

  constructor(private readonly state: ServerState) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  /** Starts listening; resolves with the bound port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  private accept(socket: net.Socket): void {
    const connectionId = this.nextConnectionId++;
    this.sockets.add(socket);
    // Request/response traffic of small messages: Nagle's delay would dominate latency.
    socket.setNoDelay(true);
    const reader = new FrameReader();
    // Commands of one connection run one after another so replies keep their order.
    let chain: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      let requests: Request[];
      try {
        requests = reader.push(chunk).map(decodeFrame);
      } catch (err) {
        const why = err instanceof ProtocolError ? err.message : String(err);
        this.state.log('warn', `connection ${connectionId}: closing after malformed message: ${why}`);
        socket.destroy();
        return;
      }
      for (const request of requests) {
        // handle() does not reject; the catch keeps the chain alive should that ever change.
        chain = chain
          .then(() => this.handle(socket, request, connectionId))
          .catch((err: unknown) => this.state.log('error', `connection ${connectionId}: ${String(err)}`));
      }
      this.track(chain);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A client that goes away mid-connection (ECONNRESET, EPIPE) is routine, not a warning.
      const routine = err.code === 'ECONNRESET' || err.code === 'EPIPE';
      this.state.log(routine ? 'info' : 'warn', `connection ${connectionId}: ${err.message}`);
    });
    socket.on('close', () => this.sockets.delete(socket));
  }

  private async handle(socket: net.Socket, request: Request, connectionId: number): Promise<void> {
    const reply = await dispatch(this.state, request, connectionId);
    if (request.noReply || socket.destroyed) return;
    try {
      socket.write(encodeReply(request, reply));
    } catch (err) {
      // A reply that cannot be encoded (e.g. over the BSON size limit) must not kill the server.
      this.state.log('error', `connection ${connectionId}: cannot send reply: ${String(err)}`);
      socket.write(encodeReply(request, errorReply(err)));
    }
  }

  private track(p: Promise<void>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Stops listening, drops every connection and waits for commands already running. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
    await Promise.allSettled([...this.inflight]);
  }
}
