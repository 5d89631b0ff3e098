/**
 * Real crashes: a child process runs the embedded server on a JournalPersistence and writes
 * through the driver; the parent SIGKILLs it at a random moment, over and over on the same
 * directory, and checks that every acknowledged write is present and whole.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { EJSON, type Document } from 'bson';
import { buildSync } from 'esbuild';
import { MongoClient } from 'mongodb';
import { startEmbeddedServer } from '../../../src/embedded-mongo';
import { JournalPersistence } from '../../../src/embedded-mongo/storage/journal';
import { crashDoc } from './crash-model';
import { makeTempDir, removeDir } from '../../helpers/tmp';
import { MiniCatalog } from './helpers';

const ROUNDS = 20;
jest.setTimeout(60_000);

let work: string;
let childJs: string;
beforeAll(() => {
  work = makeTempDir();
  childJs = path.join(work, 'crash-child.js');
  // Bundled once so that each child starts in plain node, without a TypeScript loader.
  buildSync({ entryPoints: [path.join(__dirname, 'crash-child.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: childJs, packages: 'external', logLevel: 'silent' });
});
afterAll(() => removeDir(work));

/** Small deterministic PRNG, so a failing seed can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** Runs one child and kills it; resolves with the complete lines it printed. */
function runRound(dir: string, round: number, killEarly: boolean, delayMs: number): Promise<{ lines: string[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childJs, dir, String(round)], {
      env: { ...process.env, NODE_PATH: path.resolve(__dirname, '../../../node_modules') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stderr = '';
    let killed = false;
    const kill = (): void => {
      killed = true;
      child.kill('SIGKILL');
    };
    // Early kills land during start-up: recovery, lock takeover, truncation.
    if (killEarly) setTimeout(kill, delayMs);
    child.stdout.on('data', (chunk: Buffer) => {
      const before = out.length;
      out += chunk.toString('utf8');
      if (!killEarly && before === 0 && out.startsWith('ready\n')) setTimeout(kill, delayMs);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const guard = setTimeout(kill, 10_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (!killed || signal !== 'SIGKILL') return reject(new Error(`child exited on its own (code ${code}, signal ${signal}):\n${stderr}`));
      // A line cut by the kill has no newline yet and counts for nothing.
      resolve({ lines: out.split('\n').slice(0, -1), stderr });
    });
  });
}

/** Checks the stored state of `dir` against what the children announced and acknowledged. */
async function verify(dir: string, lines: string[]): Promise<{ present: number; acked: number }> {
  const catalog = new MiniCatalog();
  const p = new JournalPersistence({ dir, log: () => undefined });
  await p.load(catalog.apply);
  await p.close();
  const docs = new Map<string, Document>();
  for (const doc of catalog.docs.values()) if (typeof doc._id === 'string') docs.set(doc._id, doc);

  const problems: string[] = [];
  const deleteTried = new Set<string>();
  const updateAcked = new Map<string, number>();
  let acked = 0;
  for (const line of lines) {
    const [kind, op, r, w, i] = line.split(' ');
    if (kind === 'try' && op === 'delete') deleteTried.add(`d-${r}-${w}-${i}`);
    if (kind === 'ack' && op === 'update') updateAcked.set(`w-${r}-${w}`, Number(i));
  }
  for (const line of lines) {
    const [kind, op, r, w, i] = line.split(' ');
    if (kind !== 'ack') continue;
    acked += 1;
    const id = `d-${r}-${w}-${i}`;
    if (op === 'insert' && !deleteTried.has(id) && !docs.has(id)) problems.push(`acknowledged insert ${id} is missing`);
    if (op === 'delete' && docs.has(id)) problems.push(`acknowledged delete ${id} is still there`);
  }
  for (const [id, doc] of docs) {
    if (id.startsWith('d-')) {
      const [r, w, i] = id.slice(2).split('-').map(Number);
      const want = EJSON.stringify(crashDoc(r, w, i), { relaxed: false });
      if (EJSON.stringify(doc, { relaxed: false }) !== want) problems.push(`${id} is not whole: ${EJSON.stringify(doc)}`);
    }
  }
  for (const [id, last] of updateAcked) {
    const doc = docs.get(id);
    if (!doc || typeof doc.last !== 'number' || doc.last < last) problems.push(`acknowledged update ${id} last=${last} lost: ${EJSON.stringify(doc ?? null)}`);
  }
  expect(problems.slice(0, 20)).toEqual([]);
  return { present: docs.size, acked };
}

it(`keeps every acknowledged write across ${ROUNDS} SIGKILLs`, async () => {
  const seed = Date.now() % 1_000_000;
  const random = prng(seed);
  const dir = path.join(work, 'data');
  const lines: string[] = [];
  const started = Date.now();
  let compactions = 0;
  let tornTails = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const killEarly = random() < 0.2;
      const result = await runRound(dir, round, killEarly, Math.floor(random() * (killEarly ? 400 : 350)));
      lines.push(...result.lines);
      compactions += (result.stderr.match(/compacted/g) ?? []).length;
      tornTails += (result.stderr.match(/dropped \d+ bytes/g) ?? []).length;
      if (round % 5 === 4) await verify(dir, lines);
    }
  } catch (err) {
    throw new Error(`seed ${seed}: ${(err as Error).message}`, { cause: err });
  }
  const { acked, present } = await verify(dir, lines);
  expect(acked).toBeGreaterThan(50);
  expect(compactions).toBeGreaterThan(0);
  if (process.env.CRASH_TEST_REPORT) console.log(`seed ${seed}: ${acked} acks, ${present} docs, ${compactions} compactions, ${tornTails} torn tails cut, ${Date.now() - started} ms`);

  // Finally the server itself replays the directory and answers through the driver.
  const server = await startEmbeddedServer({ persistence: new JournalPersistence({ dir, log: () => undefined }) });
  const client = await new MongoClient(server.uri).connect();
  try {
    const stored = await client.db('crash').collection('notes').countDocuments();
    expect(stored).toBe(present);
  } finally {
    await client.close();
    await server.close();
  }
});
