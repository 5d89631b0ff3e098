/**
 * A raw wire-protocol client for tests that need what a driver never sends: partial frames,
 * stalls, floods, hand-made SASL steps.
 */
import net from 'node:net';
import { once } from 'node:events';
import { BSON, type Document } from 'bson';

let nextRequestId = 1;

/** An OP_MSG frame with one body section. */
export function opMsg(body: Document): Buffer {
  const doc = Buffer.from(BSON.serialize(body));
  const frame = Buffer.alloc(16 + 4 + 1 + doc.length);
  frame.writeInt32LE(frame.length, 0);
  frame.writeInt32LE(nextRequestId++, 4);
  frame.writeInt32LE(0, 8);
  frame.writeInt32LE(2013, 12);
  frame.writeUInt32LE(0, 16);
  frame[20] = 0;
  doc.copy(frame, 21);
  return frame;
}

/** Where a server listens: a TCP port on 127.0.0.1 or a Unix socket path. */
export type Address = { port: number } | { path: string };

/** A raw connection that collects whole reply frames and notices when the server closes it. */
export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private readonly frames: Buffer[] = [];
  closed = false;
  /** When the server closed the connection (performance.now()), once it has. */
  closedAt: number | undefined;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 4 && this.buf.length >= this.buf.readInt32LE(0)) {
        const size = this.buf.readInt32LE(0);
        this.frames.push(this.buf.subarray(0, size));
        this.buf = this.buf.subarray(size);
      }
      this.wake();
    });
    // A refused connection may be reset rather than ended; either way it is closed.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.closedAt = performance.now();
      this.wake();
    });
  }

  private wake(): void {
    this.waiters.splice(0).forEach((w) => w());
  }

  static async connect(address: Address): Promise<RawClient> {
    const socket = 'path' in address ? net.connect(address.path) : net.connect(address.port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  /** Sends a command and returns its reply document. */
  async command(body: Document): Promise<Document> {
    this.socket.write(opMsg(body));
    return this.reply();
  }

  async reply(): Promise<Document> {
    while (this.frames.length === 0) {
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((r) => this.waiters.push(r));
    }
    return BSON.deserialize(this.frames.shift()!.subarray(21));
  }

  /** Resolves once the server has closed the connection, or rejects after `ms`. */
  async untilClosed(ms = 10_000): Promise<void> {
    const deadline = setTimeout(() => this.wake(), ms);
    try {
      const start = performance.now();
      while (!this.closed) {
        if (performance.now() - start >= ms) throw new Error(`connection still open after ${ms} ms`);
        await new Promise<void>((r) => this.waiters.push(r));
      }
    } finally {
      clearTimeout(deadline);
    }
  }

  end(): void {
    this.socket.destroy();
  }
}

/** Polls `check` every 10 ms until it is true, or throws after `ms`. */
export async function waitFor(check: () => boolean, ms = 5_000, what = 'condition'): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
