/**
 * Starts the compiled server exactly as `npm start` does (after building if needed), with no
 * MONGODB_URI, and checks that it answers and shuts down cleanly on SIGTERM and SIGINT.
 */
import { buildIfNeeded, exitCode, spawnServer, stopServer, waitForServer } from './helpers/serverProcess';
import { makeTempDir, removeDir } from './helpers/tmp';

describe('npm start without MONGODB_URI', () => {
  let dataDir: string;

  beforeAll(async () => {
    await buildIfNeeded();
    dataDir = makeTempDir('tn-server-');
  }, 120_000);

  afterAll(() => removeDir(dataDir));

  it.each(['SIGTERM', 'SIGINT'] as const)('answers GET / with 200 on PORT and exits 0 on %s', async (signal) => {
    const server = await spawnServer({
      env: { TN_DATA_DIR: signal === 'SIGTERM' ? dataDir : ':memory:', NODE_ENV: 'development', LOG_LEVEL: 'warn', MONGODB_URI: '' },
    });
    const { child } = server;
    try {
      const res = await waitForServer(server);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { message: string }).message).toBe('Welcome to the Thunder Notes API.');

      child.kill(signal);
      expect(await exitCode(child)).toBe(0);
    } finally {
      await stopServer(server, 'SIGKILL');
    }
  });

  it('refuses to start in production without a JWT key, naming the variable', async () => {
    const server = await spawnServer({ env: { NODE_ENV: 'production', TN_JWT_PRIVATE_KEY: '' }, port: 0 });
    const { child } = server;
    expect(await exitCode(child)).toBe(1);
    await server.exited; // stderr is complete once the streams have closed
    const stderr = server.stderr();
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/TN_JWT_PRIVATE_KEY/);
  });
});
