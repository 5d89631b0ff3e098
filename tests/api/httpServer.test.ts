/**
 * The HTTP server around the app (src/httpServer.ts), on real sockets: Node's own error answers
 * as problem documents, the header and request timeouts, the connection cap (evicting the
 * connection idle the longest, refusing when all are busy) and the graceful close.
 */
import type http from 'node:http';
import net from 'node:net';
import { app } from '../../src/app';
import { closeGracefully, createHttpServer, type HttpLimits } from '../../src/httpServer';

const LIMITS: HttpLimits = { headersTimeoutMs: 2_000, requestTimeoutMs: 5_000, keepAliveTimeoutMs: 5_000, maxConnections: 100 };

const servers: http.Server[] = [];
const sockets: net.Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function start(limits: Partial<HttpLimits> = {}, handler: http.RequestListener = app): Promise<number> {
  const server = createHttpServer(handler, { ...LIMITS, ...limits });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

/** A client socket that records what it receives and when it closes. */
interface Client {
  socket: net.Socket;
  received(): string;
  closed: Promise<number>;
  isClosed(): boolean;
}

async function connect(port: number): Promise<Client> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  let data = '';
  let closed = false;
  const openedAt = Date.now();
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (data += chunk));
  socket.on('error', () => undefined);
  const closedPromise = new Promise<number>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve(Date.now() - openedAt);
    }),
  );
  await new Promise((resolve) => socket.once('connect', resolve));
  await delay(30); // the server has taken the connection in
  return { socket, received: () => data, closed: closedPromise, isClosed: () => closed };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until `condition` holds (polling), failing after two seconds. */
async function until(condition: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 2_000; !condition(); await delay(10)) {
    if (Date.now() > deadline) throw new Error(`still not true after 2 s: ${condition.toString()}`);
  }
}

/** Whether the client has received a response's head. */
const answered = (client: Client) => () => client.received().includes('\r\n\r\n');

/** Whether the client's connection closes within `ms`. */
async function closesWithin(client: Client, ms: number): Promise<boolean> {
  return Promise.race([client.closed.then(() => true), delay(ms).then(() => false)]);
}

/** Parses one HTTP/1.1 response. */
function parse(raw: string): { status: number; headers: Record<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = raw.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body: raw.slice(end + 4) };
}

/** Expects a complete problem+json response with this status and returns its body. */
function expectProblemResponse(raw: string, status: number): Record<string, unknown> {
  const res = parse(raw);
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
  expect(res.headers['api-version']).toBe('1'); // issue 13: every response names the version, also Node's own
  expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
  const body = JSON.parse(res.body) as Record<string, unknown>;
  expect(body).toMatchObject({ type: 'about:blank', status, links: [{ rel: 'root', href: '/', method: 'GET' }] });
  expect(body.message).toBe(body.detail);
  return body;
}

/** Sends raw bytes on a new connection and waits for the server to close it. */
async function exchange(port: number, bytes: string): Promise<string> {
  const client = await connect(port);
  client.socket.write(bytes);
  await client.closed;
  return client.received();
}

/** A handler whose responses wait until the test releases them. */
function heldHandler(): { handler: http.RequestListener; held: http.ServerResponse[]; releaseAll(): void } {
  const held: http.ServerResponse[] = [];
  return {
    held,
    handler: (_req, res) => void held.push(res),
    releaseAll: () => {
      for (const res of held.splice(0)) res.end('done');
    },
  };
}

const GET_ROOT = 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n';

/** A server whose handler holds every response, and one client whose `GET /` it is holding. */
async function oneHeldRequest(): Promise<{ held: ReturnType<typeof heldHandler>; server: http.Server; client: Client }> {
  const held = heldHandler();
  const server = createHttpServer(held.handler, LIMITS);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = await connect((server.address() as net.AddressInfo).port);
  client.socket.write(GET_ROOT);
  await until(() => held.held.length === 1);
  return { held, server, client };
}

describe("Node's own error answers are problem documents", () => {
  it('a malformed request line answers 400 and closes', async () => {
    const port = await start();

    const body = expectProblemResponse(await exchange(port, 'NOT A REQUEST\r\n\r\n'), 400);

    expect(body.detail).toMatch(/^The request is not valid HTTP\/1\.1/);
  });

  it('headers over 16 KiB answer 431', async () => {
    const port = await start();

    const body = expectProblemResponse(await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), 431);

    expect(body.detail).toMatch(/headers are larger than \d+ bytes/);
  });

  it('an Expect other than 100-continue answers 417 and closes', async () => {
    const port = await start();

    const body = expectProblemResponse(await exchange(port, 'POST /notes HTTP/1.1\r\nHost: x\r\nExpect: 42-bad\r\nContent-Length: 5\r\n\r\n'), 417);

    expect(body.detail).toMatch(/100-continue/);
  });

  it('an HTTP/1.1 request without Host answers 400 naming the header; HTTP/1.0 needs none', async () => {
    const port = await start();

    const body = expectProblemResponse(await exchange(port, 'GET / HTTP/1.1\r\n\r\n'), 400);
    const old = parse(await exchange(port, 'GET / HTTP/1.0\r\n\r\n'));

    expect(body.detail).toMatch(/Host/);
    expect(old.status).toBe(200);
  });

  it('a client that sends half a request line and stalls gets 408 after the headers timeout, then the connection closes', async () => {
    const port = await start({ headersTimeoutMs: 300, requestTimeoutMs: 1_000 });
    const client = await connect(port);
    const sentAt = Date.now();

    client.socket.write('GET /no');
    await client.closed;
    const waited = Date.now() - sentAt;

    const body = expectProblemResponse(client.received(), 408);
    expect(body.detail).toMatch(/headers are awaited 300 ms/);
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(waited).toBeLessThan(2_000);
  });

  it('a body that stops arriving gets 408 after the request timeout', async () => {
    const port = await start({ headersTimeoutMs: 200, requestTimeoutMs: 500 });
    const client = await connect(port);

    client.socket.write('POST /auth HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email":');
    await client.closed;

    expectProblemResponse(client.received(), 408);
  });
});

describe('the connection cap', () => {
  it('at the cap, the connection idle the longest is closed to make room', async () => {
    const port = await start({ maxConnections: 3 });
    const a = await connect(port);
    const b = await connect(port);
    const c = await connect(port);
    b.socket.write(GET_ROOT); // b answers a request and is then the most recently idle
    await until(answered(b));
    expect(parse(b.received()).status).toBe(200);

    const d = await connect(port);
    const e = await connect(port);

    expect([await closesWithin(a, 1_000), await closesWithin(c, 1_000)]).toEqual([true, true]);
    expect([b.isClosed(), d.isClosed(), e.isClosed()]).toEqual([false, false, false]);
    expect(a.received()).toBe('');
    e.socket.write(GET_ROOT);
    await until(answered(e));
    expect(parse(e.received()).status).toBe(200);
  });

  it('a connection with a request in flight is never evicted; when all are busy a new one is answered 503', async () => {
    const held = heldHandler();
    const port = await start({ maxConnections: 2 }, held.handler);
    const busy = [await connect(port), await connect(port)];
    for (const client of busy) client.socket.write(GET_ROOT);
    await until(() => held.held.length === 2);

    const refused = await connect(port);
    refused.socket.write(GET_ROOT);
    await refused.closed;
    held.releaseAll();
    for (const client of busy) await until(answered(client));

    const body = expectProblemResponse(refused.received(), 503);
    expect(parse(refused.received()).headers['retry-after']).toBe('1');
    expect(body.detail).toMatch(/limit of 2 connections/);
    for (const client of busy) expect(parse(client.received()).status).toBe(200);
  });

  it('a refused connection that sends nothing is closed within about a second', async () => {
    const held = heldHandler();
    const port = await start({ maxConnections: 1 }, held.handler);
    const busy = await connect(port);
    busy.socket.write(GET_ROOT);
    await until(() => held.held.length === 1);

    const refused = await connect(port);
    const lifetime = await refused.closed;
    held.releaseAll();

    expect(lifetime).toBeLessThan(2_000);
    expect(refused.received()).toBe('');
  });
});

describe('closeGracefully', () => {
  it('stops accepting, closes idle connections at once, lets a request in flight finish, then resolves 0', async () => {
    const held = heldHandler();
    const server = createHttpServer(held.handler, LIMITS);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const idle = await connect(port);
    const inFlight = await connect(port);
    inFlight.socket.write(GET_ROOT);
    await until(() => held.held.length === 1);

    const closing = closeGracefully(server, 5_000);
    expect(await closesWithin(idle, 1_000)).toBe(true);
    const refusedNew = await new Promise<string>((resolve) => {
      const probe = net.connect(port, '127.0.0.1');
      probe.once('connect', () => resolve('connected'));
      probe.once('error', (err: NodeJS.ErrnoException) => resolve(String(err.code)));
    });

    expect(inFlight.isClosed()).toBe(false);
    expect(refusedNew).toBe('ECONNREFUSED');
    held.releaseAll();
    expect(await closing).toBe(0);
    await inFlight.closed;
    expect(parse(inFlight.received()).status).toBe(200);
  });

  it('waits for a handler whose client went away to end its response before resolving', async () => {
    const { held, server, client: leaving } = await oneHeldRequest();
    leaving.socket.destroy();
    await leaving.closed;
    await delay(50); // the server has seen the connection close

    let resolved: number | undefined;
    const closing = closeGracefully(server, 5_000).then((cutOff) => (resolved = cutOff));
    await delay(300);
    expect(resolved).toBeUndefined(); // the handler is still running: the database must stay open

    held.releaseAll();
    expect(await closing).toBe(0);
  });

  it('also when the client goes away at the moment of the close (the connection counts as closed before its response does)', async () => {
    const { held, server, client: leaving } = await oneHeldRequest();

    leaving.socket.destroy();
    let resolved: number | undefined;
    const closing = closeGracefully(server, 5_000).then((cutOff) => (resolved = cutOff));
    await delay(300);
    expect(resolved).toBeUndefined();

    held.releaseAll();
    expect(await closing).toBe(0);
  });

  it('a handler whose client went away and that never ends is counted as cut off at the bound', async () => {
    const { held, server, client: leaving } = await oneHeldRequest();
    leaving.socket.destroy();
    await delay(50);

    const startedAt = Date.now();
    expect(await closeGracefully(server, 300)).toBe(1);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
    held.releaseAll(); // ending it afterwards is harmless
  });

  it('a request still running at the bound is cut off and counted', async () => {
    const { server, client: stuck } = await oneHeldRequest();

    const startedAt = Date.now();
    const cutOff = await closeGracefully(server, 300);

    expect(cutOff).toBe(1);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
    await stuck.closed;
    expect(stuck.received()).toBe('');
  });
});
