/**
 * The README's curl walkthrough (## Endpoints) is repeatable (issue 15): its shell blocks run,
 * as written, twice in a row with bash and curl against the built server, each time from a fresh
 * start (`npm run seed -- --reset` with the server stopped, then the server started), and every
 * curl command answers the status its README line names (`# → 201`, or `# → 201, 201` for a loop).
 *
 * How the statuses are read without changing the commands: the blocks run under a `curl` shell
 * function that calls the real curl with one more option, `-D <file>` (given last, so it wins over
 * a `-D /dev/stderr` of the README's), and appends the status line of that file to a list.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeTempDir, removeDir } from '../helpers/tmp';
import { buildIfNeeded, ROOT, spawnServer, stopServer, waitForServer, type ServerProcess } from '../helpers/serverProcess';

jest.setTimeout(240_000);

/** The README's section `## Endpoints` up to the next second-level heading. */
function endpointsSection(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Endpoints\n');
  const end = readme.indexOf('\n## ', start + 1);
  if (start === -1 || end === -1) throw new Error('README.md has no "## Endpoints" section');
  return readme.slice(start, end);
}

/** The ```sh blocks of a markdown text, in order. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

/** The commands of a block: continuation lines joined, comments-only and empty lines left out. */
function commands(block: string): string[] {
  return block
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
}

/** A command without its trailing `# …` comment. */
function withoutComment(line: string): string {
  return line.replace(/\s*#.*$/, '');
}

/** The statuses a block's curl commands must answer, in order; a curl line without `# → NNN` is an error in the README. */
function expectedStatuses(block: string): number[] {
  return commands(block)
    .filter((line) => /\bcurl\s/.test(line))
    .flatMap((line) => {
      const marker = /# → (\d{3}(?:, \d{3})*)\s*$/.exec(line);
      if (!marker) throw new Error(`a curl command of the README's walkthrough names no status (# → NNN): ${line}`);
      return marker[1].split(', ').map(Number);
    });
}

const CURL_RECORDING = `
set -euo pipefail
shopt -s inherit_errexit
curl() {
  local headers
  headers=$(mktemp "$TN_WALK_DIR/headers.XXXXXX")
  command curl "$@" -D "$headers"
  awk '/^HTTP\\//{status=$2} END{print status}' "$headers" >> "$TN_WALK_DIR/statuses"
}
`;

interface Run {
  code: number | null;
  output: string;
}

/** Runs a shell script with bash in the project folder. */
function bash(script: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile('bash', ['-c', script], { cwd: ROOT, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, output: `${stdout}\n${stderr}` });
    });
  });
}

const blocks = shellBlocks(endpointsSection());
const [setup, ...walk] = blocks;
let dataDir: string;
let walkDir: string;
let server: ServerProcess | undefined;

/** What the server and `npm run seed` run with: development, on a data directory of this test. */
const devEnv = () => ({ NODE_ENV: 'development', TN_DATA_DIR: dataDir, MONGODB_URI: '', TN_JWT_PRIVATE_KEY: '', TN_ACCESS_LOG: 'false', LOG_LEVEL: 'warn' });

async function startServer(): Promise<ServerProcess> {
  const started = await spawnServer({ env: devEnv() });
  await waitForServer(started);
  return started;
}

beforeAll(async () => {
  await buildIfNeeded();
  dataDir = path.join(makeTempDir('tn-walk-data-'), 'data');
  walkDir = makeTempDir('tn-walk-');
});

afterAll(async () => {
  if (server) await stopServer(server);
  removeDir(path.dirname(dataDir));
  removeDir(walkDir);
});

describe("the README's walkthrough", () => {
  it('has a setup block (reset the demo data, start the server) and walk blocks whose every curl names its status', () => {
    expect(commands(setup).map(withoutComment)).toEqual(['npm run seed -- --reset', 'npm start']);
    expect(walk.length).toBeGreaterThanOrEqual(1);
    expect(walk.flatMap(expectedStatuses).length).toBeGreaterThan(40);
  });

  it.each([1, 2])('run %i: reset, start the server, and every command answers the status the README names', async (round) => {
    if (server) await stopServer(server);
    server = undefined;
    // The setup block's first command, as written; its `npm start` is the server started here (the same node dist/src/server.js).
    const reset = await bash(withoutComment(commands(setup)[0]), devEnv());
    expect({ code: reset.code, output: reset.output }).toEqual({ code: 0, output: expect.stringContaining('Reset the database to the demo data: 2 users and 5 notes') });
    server = await startServer();

    const statuses = path.join(walkDir, 'statuses');
    fs.rmSync(statuses, { force: true });
    const run = await bash(CURL_RECORDING + walk.join('\n'), { BASE: server.baseUrl, TN_WALK_DIR: walkDir });
    const answered = fs.existsSync(statuses) ? fs.readFileSync(statuses, 'utf8').trim().split('\n').map(Number) : [];

    expect({ round, code: run.code, answered }).toEqual({ round, code: 0, answered: walk.flatMap(expectedStatuses) });
  });

  it('npm run seed -- --reset while the server holds the data directory: refused, naming what to do, nothing changed', async () => {
    expect(server).toBeDefined();
    const reset = await bash(withoutComment(commands(setup)[0]), devEnv());

    expect(reset.code).toBe(1);
    expect(reset.output).toMatch(/is locked by .*\n\(the server is running on .*: stop it, run this again, then start it\)/);
    const root = await fetch(`${server?.baseUrl}/`);
    expect(root.status).toBe(200);
  });
});
