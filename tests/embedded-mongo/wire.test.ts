/** The wire protocol over a raw socket: framing, OP_QUERY/OP_REPLY, OP_MSG flags and sections. */
import net from 'node:net';
import { once } from 'node:events';
import { BSON, type Document } from 'bson';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded-mongo';
import { usingRealMongo } from '../helpers/mongoTarget';
import { commandRecorder, describeEmbedded } from './helpers';

let server: EmbeddedServer | undefined;
const recorder = commandRecorder();

beforeAll(async () => {
  // These tests are embedded-only; against MONGODB_URI they are skipped and nothing starts.
  if (!usingRealMongo) server = await startEmbeddedServer({ listen: 'tcp', onCommand: recorder.onCommand });
});

afterAll(async () => {
  await server?.close();
  recorder.flush();
});

let nextId = 1;

function header(length: number, opCode: number, requestId = nextId++): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(requestId, 4);
  h.writeInt32LE(0, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

/** An OP_MSG frame: a body section, optional kind-1 sequences, flags, optional checksum. */
function opMsg(body: Document, opts: { flags?: number; sequences?: [string, Document[]][] } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from([0]), Buffer.from(BSON.serialize(body))];
  for (const [id, docs] of opts.sequences ?? []) {
    const payload = Buffer.concat([Buffer.from(id + '\0'), ...docs.map((d) => Buffer.from(BSON.serialize(d)))]);
    const size = Buffer.alloc(4);
    size.writeInt32LE(payload.length + 4);
    parts.push(Buffer.from([1]), size, payload);
  }
  const flags = opts.flags ?? 0;
  if (flags & 1) parts.push(Buffer.alloc(4)); // checksum bytes: not verified by the server
  const flagBuf = Buffer.alloc(4);
  flagBuf.writeUInt32LE(flags);
  const rest = Buffer.concat([flagBuf, ...parts]);
  return Buffer.concat([header(16 + rest.length, 2013), rest]);
}

function opQuery(ns: string, query: Document): Buffer {
  const rest = Buffer.concat([Buffer.alloc(4), Buffer.from(ns + '\0'), Buffer.alloc(4), Buffer.from([0xff, 0xff, 0xff, 0xff]), Buffer.from(BSON.serialize(query))]);
  return Buffer.concat([header(16 + rest.length, 2004), rest]);
}

/** A raw connection that collects whole reply frames. */
class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  readonly frames: Buffer[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 4 && this.buf.length >= this.buf.readInt32LE(0)) {
        const size = this.buf.readInt32LE(0);
        this.frames.push(this.buf.subarray(0, size));
        this.buf = this.buf.subarray(size);
      }
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w());
    });
  }

  static async connect(): Promise<RawClient> {
    const socket = net.connect(server!.port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawClient(socket);
  }

  async reply(): Promise<{ opCode: number; doc: Document }> {
    while (this.frames.length === 0) {
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((r) => this.waiters.push(r));
    }
    const frame = this.frames.shift()!;
    const opCode = frame.readInt32LE(12);
    const docStart = opCode === 1 ? 36 : 21;
    // promoteLongs: false keeps int64 visible as Long, to check what the server put on the wire.
    return { opCode, doc: BSON.deserialize(frame.subarray(docStart), { promoteLongs: false }) };
  }

  async untilClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((r) => this.waiters.push(r));
  }

  end(): void {
    this.socket.destroy();
  }
}

describeEmbedded('wire protocol (embedded only)', () => {
  test('OP_QUERY ismaster is answered with OP_REPLY advertising a standalone with sessions', async () => {
    const c = await RawClient.connect();
    c.socket.write(opQuery('admin.$cmd', { ismaster: 1, helloOk: true }));
    const { opCode, doc } = await c.reply();
    expect(opCode).toBe(1);
    expect(doc).toMatchObject({ ok: 1, ismaster: true, maxWireVersion: 21, logicalSessionTimeoutMinutes: 30 });
    expect(doc.setName).toBeUndefined();
    c.end();
  });

  test('a message split into single bytes and several messages in one chunk are all answered', async () => {
    const c = await RawClient.connect();
    const msg = opMsg({ ping: 1, $db: 'admin' });
    for (const byte of msg) c.socket.write(Buffer.from([byte]));
    expect((await c.reply()).doc).toMatchObject({ ok: 1 });
    c.socket.write(Buffer.concat([opMsg({ ping: 1, $db: 'admin' }), opMsg({ buildInfo: 1, $db: 'admin' }), opMsg({ hello: 1, $db: 'admin' })]));
    expect((await c.reply()).doc).toEqual({ ok: 1 });
    expect((await c.reply()).doc.version).toBe('7.0.0');
    expect((await c.reply()).doc.isWritablePrimary).toBe(true);
    c.end();
  });

  test('kind-1 document sequences, the checksum flag and moreToCome are honoured', async () => {
    const c = await RawClient.connect();
    // moreToCome: no reply at all; the insert still happens.
    c.socket.write(opMsg({ insert: 'seq', $db: 'wire' }, { flags: 2, sequences: [['documents', [{ _id: 1 }, { _id: 2 }]]] }));
    c.socket.write(opMsg({ count: 'seq', $db: 'wire' }, { flags: 1 }));
    const { doc } = await c.reply();
    expect(doc).toEqual({ n: 2, ok: 1 });
    c.end();
  });

  test('a malformed frame closes only its connection', async () => {
    const bad = await RawClient.connect();
    const good = await RawClient.connect();
    bad.socket.write(Buffer.from([3, 0, 0, 0, 1, 2, 3, 4]));
    await bad.untilClosed();
    const garbage = await RawClient.connect();
    const frame = opMsg({ ping: 1, $db: 'admin' });
    frame.writeUInt8(9, 20); // unknown section kind
    garbage.socket.write(frame);
    await garbage.untilClosed();
    good.socket.write(opMsg({ ping: 1, $db: 'admin' }));
    expect((await good.reply()).doc).toEqual({ ok: 1 });
    good.end();
  });

  test('a cursor id is sent as int64 even when small', async () => {
    const c = await RawClient.connect();
    c.socket.write(opMsg({ insert: 'ids', $db: 'wire', documents: [{ a: 1 }, { a: 2 }, { a: 3 }] }));
    await c.reply();
    c.socket.write(opMsg({ find: 'ids', batchSize: 1, $db: 'wire' }));
    const { doc } = await c.reply();
    expect(doc.cursor.id._bsontype).toBe('Long');
    c.socket.write(opMsg({ getMore: doc.cursor.id, collection: 'ids', batchSize: 1, $db: 'wire' }));
    const more = (await c.reply()).doc;
    expect(more.cursor.id._bsontype).toBe('Long');
    expect(more.cursor.id.toString()).toBe(doc.cursor.id.toString());
    expect(more.cursor.nextBatch).toHaveLength(1);
    c.end();
  });
});
