/**
 * The embedded database is reachable only by its owner: by default it listens on a Unix socket
 * in a private directory, which another user's process cannot enter.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import request from 'supertest';
import { app } from '../../src/app';
import type { DbHandle } from '../../src/db';
import { startEmbeddedServer } from '../../src/embedded-mongo';
import { newNote, newUser } from '../api/helpers';
import { startTestDb } from '../helpers/db';
import { usingRealMongo } from '../helpers/mongoTarget';
import { ROOT } from '../helpers/serverProcess';
import { describeEmbedded } from './helpers';

/** The user a foreign process runs as: nobody. */
const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

/**
 * Root passes every permission check, so only a process that drops to another user can show
 * that the socket keeps others out; without root that cannot be arranged.
 */
const describeAsRoot = isRoot && !usingRealMongo ? describe : describe.skip;
if (!isRoot) console.warn('socket.test.ts: the foreign-client tests need root (to run a client as uid 65534); skipped');

/**
 * Runs in a child process: tries a raw connection to the socket and a stock-driver read of the
 * users collection, and prints what happened to each as JSON.
 */
const FOREIGN_CLIENT = `
const net = require('node:net');
const { MongoClient } = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'mongodb'))});
const [uri, socketPath, dbName] = process.argv.slice(1);
(async () => {
  const raw = await new Promise((resolve) => {
    const s = net.connect(socketPath);
    s.on('connect', () => { s.destroy(); resolve('connected'); });
    s.on('error', (e) => resolve(e.code));
  });
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1500 });
  let driver;
  try {
    const users = await client.db(dbName).collection('users').find().toArray();
    driver = 'read ' + users.length + ' users';
  } catch (e) {
    driver = e.name + ': ' + e.message;
  }
  await client.close().catch(() => undefined);
  process.stdout.write(JSON.stringify({ uid: process.getuid(), raw, driver }));
})();
`;

interface ForeignResult {
  uid: number;
  raw: string;
  driver: string;
}

function runClient(uid: number, uri: string, socketPath: string, dbName: string): Promise<ForeignResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', FOREIGN_CLIENT, uri, socketPath, dbName],
      { uid, gid: uid, cwd: '/', timeout: 20_000, env: { PATH: process.env.PATH ?? '' } },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as ForeignResult)),
    );
  });
}

describeAsRoot('the app database socket and a foreign user (root only)', () => {
  let db: DbHandle;

  beforeAll(async () => {
    db = await startTestDb();
  });

  afterAll(async () => {
    await db.close();
  });

  test('the app connects over a Unix socket in a 0700 directory owned by the server user, socket 0600', () => {
    const socketPath = db.embedded!.socketPath!;
    expect(socketPath).toEqual(expect.stringMatching(/\/mongodb\.sock$/));
    expect(Buffer.byteLength(socketPath)).toBeLessThan(104);
    expect(db.uri).toBe(`mongodb://${encodeURIComponent(socketPath)}`);
    expect(db.embedded!.port).toBe(0);

    const dir = fs.statSync(path.dirname(socketPath));
    expect(dir.mode & 0o777).toBe(0o700);
    expect(dir.uid).toBe(process.getuid!());
    const socket = fs.statSync(socketPath);
    expect(socket.isSocket()).toBe(true);
    expect(socket.mode & 0o777).toBe(0o600);
    expect(socket.uid).toBe(process.getuid!());
  });

  test('a foreign client gets nothing: a process of another user is refused by the socket, while the app keeps working', async () => {
    const user = await newUser('Owner');
    const note = await newNote(user, 'not for other users');
    const socketPath = db.embedded!.socketPath!;
    const dbName = mongoose.connection.name;

    const foreign = await runClient(NOBODY, db.uri, socketPath, dbName);
    // The same client as the server's own user reads the data: the refusal is the socket's doing.
    const owner = await runClient(process.getuid!(), db.uri, socketPath, dbName);

    expect(foreign.uid).toBe(NOBODY);
    expect(['EACCES', 'ECONNREFUSED']).toContain(foreign.raw);
    expect(foreign.driver).toMatch(/^MongoServerSelectionError: .*(EACCES|ECONNREFUSED)/);
    expect(owner.raw).toBe('connected');
    expect(owner.driver).toMatch(/^read [1-9]\d* users$/);

    const res = await request(app).get(`/notes/${note.id}`).set(user.auth);
    expect(res.status).toBe(200);
    expect(res.body.text).toBe('not for other users');
  });
});

describeEmbedded('socket directory lifecycle (embedded only)', () => {
  test('close() removes the socket and its directory', async () => {
    const server = await startEmbeddedServer();
    const dir = path.dirname(server.socketPath!);
    expect(fs.existsSync(server.socketPath!)).toBe(true);
    const conn = await mongoose.createConnection(server.uri, { dbName: 'sock' }).asPromise();
    await conn.db!.collection('c').insertOne({ a: 1 });
    await conn.close();
    await server.close();
    expect(fs.existsSync(dir)).toBe(false);
  });

  /** Makes `<parent>/tn-mongo-<pid>-XXXXXX/mongodb.sock` as a crashed server leaves it: a socket file nobody listens on. */
  async function crashedRunDir(parent: string, pidInName?: number): Promise<{ dir: string; pid: number }> {
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');const d=fs.mkdtempSync(process.argv[1]+'/tn-mongo-'+(process.argv[2]||process.pid)+'-');` +
          `require('net').createServer().listen(d+'/mongodb.sock',()=>{process.stdout.write(d);process.kill(process.pid,'SIGKILL')})`,
        parent,
        pidInName === undefined ? '' : String(pidInName),
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let dir = '';
    child.stdout.on('data', (chunk: Buffer) => (dir += chunk.toString()));
    await new Promise((resolve) => child.once('close', resolve));
    expect(fs.statSync(path.join(dir, 'mongodb.sock')).isSocket()).toBe(true);
    return { dir, pid: child.pid! };
  }

  test('a socket directory left by a crashed run neither blocks start-up nor stays behind', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-sockparent-'));
    try {
      const crashed = await crashedRunDir(parent);
      // A server that ran as PID 1 of a container sharing this directory: pid 1 exists here too,
      // so only a socket that has been dead for over a minute says it is stale.
      const oldPid1 = await crashedRunDir(parent, 1);
      const past = new Date(Date.now() - 5 * 60_000);
      fs.utimesSync(oldPid1.dir, past, past);
      const recentPid1 = await crashedRunDir(parent, 1);
      // A directory of a live process (this one) whose socket is not there yet is left alone.
      const live = fs.mkdtempSync(path.join(parent, `tn-mongo-${process.pid}-`));

      const lines: string[] = [];
      const server = await startEmbeddedServer({ socketParentDir: parent, log: (_level, msg) => lines.push(msg) });
      try {
        expect(fs.existsSync(crashed.dir)).toBe(false);
        expect(fs.existsSync(oldPid1.dir)).toBe(false);
        expect(fs.existsSync(recentPid1.dir)).toBe(true);
        expect(fs.existsSync(live)).toBe(true);
        expect(lines).toContainEqual(`removed ${crashed.dir}, left by process ${crashed.pid}: nothing listens on its socket`);
        const conn = await mongoose.createConnection(server.uri, { dbName: 'after-crash' }).asPromise();
        await conn.db!.collection('c').insertOne({ ok: true });
        expect(await conn.db!.collection('c').countDocuments()).toBe(1);
        await conn.close();
        expect(fs.existsSync(server.socketPath!)).toBe(true);
      } finally {
        await server.close();
      }
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  test('a parent directory too long for a Unix socket path is refused with a clear error', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-long-'));
    const deep = path.join(parent, 'x'.repeat(90));
    fs.mkdirSync(deep);
    try {
      await expect(startEmbeddedServer({ socketParentDir: deep })).rejects.toThrow(/over the 103 a Unix socket allows/);
      expect(fs.readdirSync(deep)).toEqual([]);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });
});
