/**
 * Starts the compiled server exactly as `npm start` does (after building if needed), with no
 * MONGODB_URI, and checks that it answers and shuts down cleanly on SIGTERM and SIGINT.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildIfNeeded, exitCode, freePort, ROOT, SERVER_ENTRY, waitForServer } from './helpers/serverProcess';

function startServer(port: number, dataDir: string): ChildProcess {
  const env = { ...process.env, PORT: String(port), TN_DATA_DIR: dataDir, NODE_ENV: 'development', LOG_LEVEL: 'warn', MONGODB_URI: '' };
  return spawn(process.execPath, [SERVER_ENTRY], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('npm start without MONGODB_URI', () => {
  let dataDir: string;

  beforeAll(async () => {
    await buildIfNeeded();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-server-'));
  }, 120_000);

  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it.each(['SIGTERM', 'SIGINT'] as const)('answers GET / with 200 on PORT and exits 0 on %s', async (signal) => {
    const port = await freePort();
    const child = startServer(port, signal === 'SIGTERM' ? dataDir : ':memory:');
    try {
      const res = await waitForServer(`http://127.0.0.1:${port}`, child);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { message: string }).message).toBe('Welcome to the Thunder Notes API.');

      child.kill(signal);
      expect(await exitCode(child)).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses to start in production without a JWT key, naming the variable', async () => {
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      cwd: ROOT,
      env: { ...process.env, NODE_ENV: 'production', TN_JWT_PRIVATE_KEY: '', PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    expect(await exitCode(child)).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/TN_JWT_PRIVATE_KEY/);
  });
});
