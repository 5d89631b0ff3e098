/**
 * Running the built server as a child process, as `npm start` does: a free port, building when
 * dist/ is stale, and waiting until `GET /` answers. Shared by the start-up, durability and
 * browser tests.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/** The project's root folder. */
export const ROOT = path.resolve(__dirname, '..', '..');
/** The compiled server that `npm start` runs. */
export const SERVER_ENTRY = path.join(ROOT, 'dist', 'src', 'server.js');

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Runs `scripts/build-if-needed.js` (what `npm start` runs first). */
export function buildIfNeeded(): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [path.join(ROOT, 'scripts', 'build-if-needed.js')], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, _out, errOut) =>
      err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(),
    ),
  );
}

/** Polls `GET baseUrl/` until it answers; fails early if the child exits. */
export async function waitForServer(baseUrl: string, child: ChildProcess, output: () => string = () => '', timeoutMs = 30_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`);
    try {
      return await fetch(`${baseUrl}/`);
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`server did not answer GET / within ${timeoutMs / 1000} s:\n${output()}`);
}

/** Resolves with the child's exit code once it has exited. */
export function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}
