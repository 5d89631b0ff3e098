/**
 * Where the embedded server runs when connect() starts it: a worker thread by default, reached by
 * mongoose through the driver over its socket. What the app relies on: the server answers while
 * this thread is blocked; its log lines reach the app's logger; health() is a synchronous copy and
 * storageStats() exact; a start-up error is the same one-line message as on the main thread; a
 * worker that stops by itself is reported; close() disconnects mongoose, then closes the worker
 * (socket removed, journal lock released). Also the fixed socket path (TN_DB_SOCKET).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { types } from 'node:util';
import mongoose from 'mongoose';
import { connect, type DbHandle, type EmbeddedListen } from '../../src/db';
import { logger } from '../../src/logger';
import { usingRealMongo } from '../helpers/mongoTarget';
import { ROOT } from '../helpers/serverProcess';
import { makeTempDir, removeDir } from '../helpers/tmp';

const describeEmbedded = usingRealMongo ? describe.skip : describe;
if (usingRealMongo) console.warn(`${__filename}: skipped: MONGODB_URI is set, no embedded server is started`);

/** The default listener, as config.ts builds it, with changes. */
function listener(changes: Partial<EmbeddedListen> = {}): EmbeddedListen {
  return { listen: 'socket', host: '127.0.0.1', port: 0, maxConnections: 100, idleTimeoutMs: 600_000, ...changes };
}

/**
 * Pings `uri` from another process while this thread waits for it synchronously: only a server
 * that runs on another thread can answer. Returns `pong`, or `failed: <reason>`.
 */
function pingWhileThisThreadIsBlocked(uri: string, timeoutMs: number): string {
  const script = `
    const { MongoClient } = require('mongodb');
    (async () => {
      const timeout = Number(process.argv[2]);
      const client = await new MongoClient(process.argv[1], { serverSelectionTimeoutMS: timeout, connectTimeoutMS: timeout }).connect();
      await client.db('admin').command({ ping: 1 });
      process.stdout.write('pong');
    })().catch((err) => process.stdout.write('failed: ' + err.message)).finally(() => process.exit(0));`;
  return execFileSync(process.execPath, ['-e', script, uri, String(timeoutMs)], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs + 15_000 });
}

describeEmbedded('the embedded server in a worker thread (TN_DB_THREAD=worker, the default)', () => {
  let dir: string;
  let handle: DbHandle | undefined;

  beforeEach(() => {
    dir = makeTempDir('tn-topology-');
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await handle?.close();
    handle = undefined;
    removeDir(dir);
  });

  it('answers the driver while this thread is blocked, and its log lines reach the app logger', async () => {
    const info = jest.spyOn(logger, 'info');
    handle = await connect({ uri: '', dataDir: ':memory:', dbName: 'tn_topology' });

    expect(handle.embedded?.runsIn).toBe('worker');
    expect(pingWhileThisThreadIsBlocked(handle.uri, 15_000)).toBe('pong');
    expect(info).toHaveBeenCalledWith({ component: 'embedded-mongo' }, expect.stringMatching(/^embedded MongoDB-compatible server listening on the Unix socket /));
    expect(info).toHaveBeenCalledWith(expect.stringMatching(/^database: embedded MongoDB-compatible server at mongodb:\/\/.*in a worker thread\)$/));
  });

  it('control: with TN_DB_THREAD=main the same ping gets no answer while this thread is blocked', async () => {
    handle = await connect({ uri: '', dataDir: ':memory:', dbName: 'tn_topology', thread: 'main' });

    expect(handle.embedded?.runsIn).toBe('main');
    // Nothing in 2 s, for a ping the worker answers in milliseconds.
    expect(pingWhileThisThreadIsBlocked(handle.uri, 2_000)).toMatch(/^failed: /);
  });

  it('health() is a synchronous copy and storageStats() counts a write the moment it is acknowledged', async () => {
    handle = await connect({ uri: '', dataDir: dir, dbName: 'tn_topology' });
    const embedded = handle.embedded!;
    const before = await embedded.storageStats();

    await mongoose.connection.db!.collection('things').insertOne({ n: 1 });
    const after = await embedded.storageStats();

    expect(embedded.health()).toEqual({ writable: true });
    expect(after!.commits).toBe(before!.commits + 1);
    expect(after!.fsyncs).toBeGreaterThan(before!.fsyncs);
  });

  it('a start-up error fails connect() with the same one-line message as on the main thread (a damaged journal)', async () => {
    handle = await connect({ uri: '', dataDir: dir, dbName: 'tn_topology' });
    const things = mongoose.connection.db!.collection('things');
    for (let i = 0; i < 3; i++) await things.insertOne({ i, text: 'x'.repeat(200) });
    await handle.close();
    handle = undefined;
    // Damage the first record: intact records follow, so this is not a torn tail and start-up refuses.
    const journal = path.join(dir, fs.readdirSync(dir).find((name) => name.startsWith('journal-'))!);
    const bytes = fs.readFileSync(journal);
    bytes[12] ^= 0xff;
    fs.writeFileSync(journal, bytes);

    const inWorker = await connect({ uri: '', dataDir: dir }).catch((err: Error) => err);
    const onMain = await connect({ uri: '', dataDir: dir, thread: 'main' }).catch((err: Error) => err);

    expect(inWorker).toBeInstanceOf(Error);
    expect((inWorker as Error).message).toBe((onMain as Error).message);
    expect((inWorker as Error).message).toContain(journal);
    expect((inWorker as Error).message.split('\n')).toHaveLength(1);
    // Nothing was left open: the worker released the directory (no LOCK) when it refused to start.
    expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);
  });

  it('a worker that stops by itself (its heap limit) is reported once, and health() says the storage is gone', async () => {
    const stops: Error[] = [];
    handle = await connect({ uri: '', dataDir: ':memory:', dbName: 'tn_topology', maxHeapMb: 32, onEmbeddedExit: (err) => stops.push(err) });
    const big = 'x'.repeat(4_000_000);
    const things = mongoose.connection.db!.collection('big');

    let failure: unknown;
    for (let i = 0; i < 40 && failure === undefined; i++) failure = await things.insertOne({ i, big }).then(() => undefined, (err: unknown) => err);
    for (let i = 0; i < 500 && stops.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));

    // The insert under way fails with the driver's error or, depending on timing, with the
    // socket's own (created by Node outside jest's sandbox, so not an instance of its Error).
    expect(types.isNativeError(failure)).toBe(true);
    expect(stops.map((err) => err.message)).toEqual(['the embedded database worker stopped unexpectedly: it ran out of memory (heap limit 32 MiB, TN_DB_MAX_HEAP_MB)']);
    expect(handle.embedded!.health()).toMatchObject({ writable: false });
    expect(fs.existsSync(path.dirname(handle.embedded!.socketPath!))).toBe(false);
  });

  it('close() disconnects mongoose first, then closes the worker: socket directory removed, LOCK released', async () => {
    const info = jest.spyOn(logger, 'info');
    handle = await connect({ uri: '', dataDir: dir, dbName: 'tn_topology' });
    const socketDir = path.dirname(handle.embedded!.socketPath!);
    expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(true);

    await handle.close();
    handle = undefined;

    const shutdown = info.mock.calls.map((call) => call.at(-1)).filter((msg): msg is string => typeof msg === 'string' && msg.startsWith('shutdown: '));
    expect(shutdown).toEqual(['shutdown: database connection closed', 'shutdown: embedded database closed (journal flushed, lock released)']);
    expect(mongoose.connection.readyState).toBe(0);
    expect(fs.existsSync(socketDir)).toBe(false);
    expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);
  });
});

describeEmbedded('a fixed socket path (TN_DB_SOCKET)', () => {
  let dir: string;

  beforeEach(() => {
    dir = makeTempDir('tn-sock-');
  });

  afterEach(() => removeDir(dir));

  it('listens on exactly that path in a directory it creates private (0700), and on close removes the socket only', async () => {
    const socketPath = path.join(dir, 'run', 'mongodb.sock');
    const handle = await connect({ uri: '', dataDir: ':memory:', dbName: 'tn_topology', embedded: listener({ socketPath }) });
    try {
      expect(handle.uri).toBe(`mongodb://${encodeURIComponent(socketPath)}`);
      expect(fs.statSync(path.dirname(socketPath)).mode & 0o777).toBe(0o700);
      await mongoose.connection.db!.collection('things').insertOne({ over: 'the fixed socket' });
    } finally {
      await handle.close();
    }
    expect(fs.existsSync(socketPath)).toBe(false);
    expect(fs.existsSync(path.dirname(socketPath))).toBe(true);
  });

  it('refuses a directory others can enter, naming it and its mode', async () => {
    const open = path.join(dir, 'open');
    fs.mkdirSync(open, { mode: 0o755 });
    fs.chmodSync(open, 0o755);

    await expect(connect({ uri: '', dataDir: ':memory:', embedded: listener({ socketPath: path.join(open, 'mongodb.sock') }) })).rejects.toThrow(
      `socket directory ${open} must be a directory private to this user (mode 700, owner uid ${process.getuid!()}); it is mode 755, owner uid ${process.getuid!()}`,
    );
  });

  it('refuses a path another server listens on, and replaces a socket file nobody listens on', async () => {
    const socketPath = path.join(dir, 'mongodb.sock');
    fs.chmodSync(dir, 0o700);
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(socketPath, resolve));
    try {
      await expect(connect({ uri: '', dataDir: ':memory:', embedded: listener({ socketPath }) })).rejects.toThrow(`another server is listening on ${socketPath}`);
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
    // A socket file left behind by a crashed server: a process that listened, then was killed.
    const crashed = spawnSync(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))", socketPath]);
    expect(crashed.signal).toBe('SIGKILL');
    expect(fs.lstatSync(socketPath).isSocket()).toBe(true);

    const handle = await connect({ uri: '', dataDir: ':memory:', dbName: 'tn_topology', embedded: listener({ socketPath }) });
    await handle.close();
  });
});
