/**
 * The database port is bounded: incomplete messages time out and free their buffers, idle
 * connections are closed, and connections beyond the cap are refused while clients already
 * connected keep working.
 */
import { MongoClient } from 'mongodb';
import { startEmbeddedServer, type EmbeddedServer, type EmbeddedServerOptions } from '../../src/embedded-mongo';
import { describeEmbedded } from './helpers';
import { RawClient, opMsg, waitFor, type Address } from './rawWire';

const servers: EmbeddedServer[] = [];

async function start(opts: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const server = await startEmbeddedServer(opts);
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function addressOf(server: EmbeddedServer): Address {
  return server.socketPath ? { path: server.socketPath } : { port: server.port };
}

/** The first bytes of an OP_MSG that declares `declared` bytes: a header and the start of its body. */
function partialFrame(declared: number, sent: number): Buffer {
  const buf = Buffer.alloc(sent);
  buf.writeInt32LE(declared, 0);
  buf.writeInt32LE(1, 4);
  buf.writeInt32LE(2013, 12);
  return buf;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEmbedded('incomplete messages (embedded only)', () => {
  test('a message that declares 40 MB, sends 1 KB and stalls is dropped after the frame timeout and its buffer released', async () => {
    const server = await start({ limits: { frameTimeoutMs: 400 } });
    const stalled = await RawClient.connect(addressOf(server));
    const other = await RawClient.connect(addressOf(server));
    const sentAt = performance.now();
    stalled.socket.write(partialFrame(40_000_000, 1024));

    await waitFor(() => server.wireStats.bufferedBytes === 1024, 2000, '1 KB buffered');
    await stalled.untilClosed(5000);

    expect(stalled.closedAt! - sentAt).toBeGreaterThanOrEqual(350);
    expect(server.wireStats.frameTimeouts).toBe(1);
    await waitFor(() => server.wireStats.bufferedBytes === 0, 2000, 'the buffer to be released');
    // Only the stalled connection went; the other one is still served.
    expect(await other.command({ ping: 1, $db: 'admin' })).toEqual({ ok: 1 });
    other.end();
  });

  test('the timer runs from a message\'s first byte: trickling a byte at a time does not keep the connection', async () => {
    const server = await start({ limits: { frameTimeoutMs: 300 } });
    const c = await RawClient.connect(addressOf(server));
    const frame = partialFrame(10_000, 10_000);
    let sent = 0;
    const began = performance.now();
    const trickle = setInterval(() => {
      if (!c.closed) c.socket.write(frame.subarray(sent, ++sent));
    }, 20);
    try {
      await c.untilClosed(5000);
    } finally {
      clearInterval(trickle);
    }
    expect(c.closedAt! - began).toBeLessThan(2000);
    expect(server.wireStats.frameTimeouts).toBe(1);
  });

  test('complete messages, even split across many writes, are answered; the buffer is empty between them', async () => {
    const server = await start({ limits: { frameTimeoutMs: 2000 } });
    const c = await RawClient.connect(addressOf(server));
    const msg = opMsg({ ping: 1, $db: 'admin' });
    for (let i = 0; i < msg.length; i += 3) {
      c.socket.write(msg.subarray(i, i + 3));
      await sleep(1);
    }
    expect(await c.reply()).toEqual({ ok: 1 });
    expect(server.wireStats.bufferedBytes).toBe(0);
    c.end();
  });

  test('a client pipelining 200 commands without reading gets every reply, in order', async () => {
    const server = await start({});
    const c = await RawClient.connect(addressOf(server));
    const batch = Buffer.concat(Array.from({ length: 200 }, (_, i) => opMsg({ insert: 'pipe', documents: [{ _id: i }], $db: 'limits' })));
    c.socket.write(batch);
    for (let i = 0; i < 200; i++) expect(await c.reply()).toEqual({ n: 1, ok: 1 });
    expect(await c.command({ count: 'pipe', $db: 'limits' })).toEqual({ n: 200, ok: 1 });
    c.end();
  });
});

describeEmbedded('idle connections (embedded only)', () => {
  test('on TCP with authentication, a connection that never authenticates is closed after the short idle timeout', async () => {
    const server = await start({
      listen: 'tcp',
      credentials: { user: 'u', password: 'a long enough password' },
      limits: { unauthenticatedIdleTimeoutMs: 300, idleTimeoutMs: 60_000 },
    });
    const silent = await RawClient.connect(addressOf(server));
    const hello = await RawClient.connect(addressOf(server));
    expect((await hello.command({ hello: 1, $db: 'admin' })).ok).toBe(1);
    await silent.untilClosed(3000);
    await hello.untilClosed(3000);
    expect(server.wireStats.idleTimeouts).toBe(2);
  });

  test('an authenticated driver outlives the short timeout and keeps its pooled connection until the long one', async () => {
    const server = await start({
      listen: 'tcp',
      credentials: { user: 'u', password: 'a long enough password' },
      limits: { unauthenticatedIdleTimeoutMs: 1000, idleTimeoutMs: 60_000 },
    });
    const uri = `${server.uri.replace('mongodb://', 'mongodb://u:a%20long%20enough%20password@')}/?authSource=admin`;
    // The monitoring connection never authenticates: its heartbeat must come more often than the
    // short timeout, as the drivers' default 10 s does against the default 30 s.
    const client = new MongoClient(uri, { heartbeatFrequencyMS: 100, maxPoolSize: 1, monitorCommands: true });
    const connectionIds: unknown[] = [];
    client.on('commandSucceeded', (event) => connectionIds.push(event.connectionId));
    await client.connect();
    try {
      await client.db('idle').collection('c').insertOne({ a: 1 });
      await sleep(2500);
      expect(await client.db('idle').collection('c').countDocuments()).toBe(1);
      // The same authenticated connection served both commands: it was not closed meanwhile.
      expect(connectionIds).toHaveLength(2);
      expect(connectionIds[1]).toBe(connectionIds[0]);
      expect(server.wireStats.idleTimeouts).toBe(0);
    } finally {
      await client.close();
    }
  });

  test('on the socket, a connection that sends nothing is closed after the short timeout, a busy one after the long', async () => {
    const server = await start({ limits: { unauthenticatedIdleTimeoutMs: 300, idleTimeoutMs: 900 } });
    const silent = await RawClient.connect(addressOf(server));
    const talker = await RawClient.connect(addressOf(server));
    expect(await talker.command({ ping: 1, $db: 'admin' })).toEqual({ ok: 1 });
    await silent.untilClosed(3000);
    expect(talker.closed).toBe(false);
    await talker.untilClosed(5000);
    expect(talker.closedAt! - silent.closedAt!).toBeGreaterThan(300);
    expect(server.wireStats.idleTimeouts).toBe(2);
  });
});

describeEmbedded('connection cap (embedded only)', () => {
  test('a flood beyond maxConnections is refused at accept with one log line, while a connected client keeps working', async () => {
    const lines: string[] = [];
    const server = await start({ limits: { maxConnections: 8 }, log: (_l, msg) => lines.push(msg) });
    // One pooled connection plus the monitor's: two of the eight.
    const client = await new MongoClient(server.uri, { maxPoolSize: 1 }).connect();
    await client.db('cap').collection('c').insertOne({ before: true });

    const flood = await Promise.all(Array.from({ length: 50 }, () => RawClient.connect(addressOf(server)).catch(() => undefined)));
    await waitFor(() => server.wireStats.refusedConnections >= 44, 3000, 'refusals');
    await sleep(100);
    const open = flood.filter((c) => c && !c.closed) as RawClient[];

    expect(open).toHaveLength(6);
    expect(server.wireStats.connections).toBe(8);
    expect(server.wireStats.refusedConnections).toBe(44);
    expect(lines.filter((l) => l.startsWith('refused a connection'))).toEqual([
      expect.stringMatching(/^refused a connection from the local socket: 8 connections are open \(maxConnections\)$/),
    ]);
    // The connected client and the accepted flood connections are served.
    await client.db('cap').collection('c').insertOne({ during: true });
    expect(await client.db('cap').collection('c').countDocuments()).toBe(2);
    expect(await open[0].command({ ping: 1, $db: 'admin' })).toEqual({ ok: 1 });

    // Freed slots are usable again.
    open.forEach((c) => c.end());
    await waitFor(() => server.wireStats.connections === 2, 3000, 'the flood to close');
    const later = await RawClient.connect(addressOf(server));
    expect(await later.command({ ping: 1, $db: 'admin' })).toEqual({ ok: 1 });
    later.end();
    await client.close();
  });

  test('limits must be positive integers', async () => {
    await expect(startEmbeddedServer({ limits: { maxConnections: 0 } })).rejects.toThrow(/maxConnections must be a positive integer/);
  });
});
