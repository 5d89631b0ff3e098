/**
 * One owner per data directory across PID namespaces, the way two containers share a volume:
 * each owner is PID 1 of its own namespace (`unshare --pid --fork --mount-proc`), so pids say
 * nothing about who is alive. Children run tests/durability/lock-child.ts (the embedded server on
 * a JournalPersistence with a short lease, written to through the driver).
 *   - a second owner is refused, naming the directory and the owner; the first keeps working;
 *     after the first is SIGKILLed a third takes over once the lease has run out, with every
 *     acknowledged write;
 *   - an owner frozen (SIGSTOP) past its lease is taken over, and when it wakes up it refuses
 *     writes instead of appending to the journal the new owner uses;
 *   - contenders racing for one stale lease: exactly one wins.
 * Needs root and unshare; skipped, saying why, where they are missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { namespacesUnavailable } from '../helpers/namespaces';
import { makeTempDir, removeDir } from '../helpers/tmp';

const LEASE_MS = 1_000;
const WAIT_MS = 20_000;

const skipReason = namespacesUnavailable();
if (skipReason) console.warn(`lock-namespaces.test.ts: skipping the PID-namespace tests: ${skipReason}`);
const describeWithNamespaces = skipReason ? describe.skip : describe;

let work: string;
let childJs: string;
const running = new Set<Owner>();
beforeAll(() => {
  work = makeTempDir('tn-lock-ns-');
  childJs = path.join(work, 'lock-child.js');
  // Bundled once so that each child starts in plain node, without a TypeScript loader.
  buildSync({ entryPoints: [path.join(__dirname, 'lock-child.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: childJs, packages: 'external', logLevel: 'silent' });
});
afterEach(async () => {
  await Promise.all([...running].map((owner) => owner.kill()));
});
afterAll(() => removeDir(work));

/** A lock-child process, possibly wrapped in unshare. */
interface Owner {
  proc: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** Resolves with the next stdout line starting with one of `prefixes` (lines are consumed in order). */
  line(...prefixes: string[]): Promise<string>;
  send(command: string): void;
  /** The pid of node itself, on the host (the namespace's PID 1). */
  nodePid(): number;
  /** SIGKILLs node (not only unshare) and waits until it is gone. */
  kill(): Promise<void>;
}

function startOwner(dir: string, { ownNamespace = true, leaseMs = LEASE_MS } = {}): Owner {
  const node = [process.execPath, childJs, dir, String(leaseMs)];
  const [cmd, ...args] = ownNamespace ? ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child', ...node] : node;
  const proc = spawn(cmd, args, { env: { ...process.env, NODE_PATH: path.resolve(__dirname, '../../node_modules') }, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  const lines: string[] = [];
  let wake: () => void = () => undefined;
  proc.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  proc.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    const parts = out.split('\n');
    out = parts.pop() ?? '';
    lines.push(...parts);
    wake();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.once('close', (code, signal) => resolve({ code, signal })));
  let done = false;
  void exited.then(() => {
    done = true;
    running.delete(owner);
    wake();
  });
  const nodePid = (): number => {
    if (!ownNamespace) return proc.pid as number;
    const children = fs.readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
    if (children.length !== 1 || !children[0]) throw new Error(`unshare ${proc.pid} has children ${JSON.stringify(children)}`);
    return children[0];
  };
  const owner: Owner = {
    proc,
    exited,
    stderr: () => err,
    async line(...prefixes) {
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const i = lines.findIndex((l) => prefixes.some((prefix) => l.startsWith(prefix)));
        if (i >= 0) return lines.splice(0, i + 1)[i];
        if (done) throw new Error(`lock-child exited before printing "${prefixes.join('" or "')}…":\n${err}`);
        if (Date.now() > deadline) throw new Error(`no "${prefixes.join('" or "')}…" from lock-child within ${WAIT_MS} ms:\n${err}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
    },
    send(command) {
      proc.stdin?.write(`${command}\n`);
    },
    nodePid,
    async kill() {
      if (!done) {
        try {
          process.kill(nodePid(), 'SIGKILL');
        } catch {
          // Already gone or not started yet: unshare's --kill-child takes care of it.
        }
        proc.kill('SIGKILL');
      }
      await exited;
    },
  };
  running.add(owner);
  return owner;
}

async function ready(owner: Owner): Promise<{ pid: number; pidns: string }> {
  const [, pid, pidns] = (await owner.line('ready ')).split(' ');
  return { pid: Number(pid), pidns };
}

/** Sends `insert <id>` and returns `ack` or the `fail …` line. */
async function insert(owner: Owner, id: string): Promise<string> {
  owner.send(`insert ${id}`);
  const answer = await owner.line(`ack ${id}`, `fail ${id} `);
  return answer.startsWith('ack ') ? 'ack' : answer;
}

async function listIds(owner: Owner): Promise<string[]> {
  owner.send('list');
  return (JSON.parse((await owner.line('ids ')).slice(4)) as string[]).sort();
}

function lockNames(dir: string): { pid: number; pidns: string } {
  const lease = JSON.parse(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8').split('\n')[1]) as { pid: number; pidns: string };
  return { pid: lease.pid, pidns: lease.pidns };
}

describeWithNamespaces('owners that are each PID 1 of their own PID namespace', () => {
  it('refuses a second owner naming the directory and the owner; after a SIGKILL a third takes over once the lease ran out, with every acknowledged write', async () => {
    const dir = path.join(work, 'two-pid-1');
    const acked: string[] = [];
    const first = startOwner(dir);
    const a = await ready(first);
    expect(a.pid).toBe(1);
    for (let i = 0; i < 20; i++) {
      expect(await insert(first, `a-${i}`)).toBe('ack');
      acked.push(`a-${i}`);
    }

    const second = startOwner(dir);
    const refused = await second.line('ready ').then(
      (line) => `started as owner too: ${line}\n${second.stderr()}`,
      () => second.exited,
    );
    expect(refused).toEqual({ code: 1, signal: null });
    expect(second.stderr()).toContain(`data directory ${dir} is locked by process 1 on host ${os.hostname()} (pid namespace ${a.pidns}, boot `);
    expect(second.stderr()).not.toContain('taking over');
    // The refused start changed nothing: the first still owns the directory and writes.
    expect(lockNames(dir)).toEqual({ pid: 1, pidns: a.pidns });
    for (let i = 20; i < 25; i++) {
      expect(await insert(first, `a-${i}`)).toBe('ack');
      acked.push(`a-${i}`);
    }

    await first.kill();
    const third = startOwner(dir);
    const c = await ready(third);
    expect(c.pid).toBe(1);
    expect(c.pidns).not.toBe(a.pidns);
    expect(third.stderr()).toContain(`taking over stale lock ${path.join(dir, 'LOCK')} left by process 1 on host ${os.hostname()} (pid namespace ${a.pidns}`);
    expect(third.stderr()).toContain(`not renewed for ${LEASE_MS} ms`);
    expect(await listIds(third)).toEqual([...acked].sort());
    expect(await insert(third, 'c-0')).toBe('ack');
    expect(lockNames(dir)).toEqual({ pid: 1, pidns: c.pidns });
  }, 60_000);

  it('an owner frozen past its lease and taken over refuses writes when it wakes up, and the journal keeps only the new owner’s', async () => {
    const dir = path.join(work, 'frozen');
    const first = startOwner(dir);
    const a = await ready(first);
    for (let i = 0; i < 5; i++) expect(await insert(first, `a-${i}`)).toBe('ack');

    const frozen = first.nodePid();
    process.kill(frozen, 'SIGSTOP');
    const second = startOwner(dir);
    const b = await ready(second); // after a lease without renewal
    for (let i = 0; i < 5; i++) expect(await insert(second, `b-${i}`)).toBe('ack');

    process.kill(frozen, 'SIGCONT');
    const late = await insert(first, 'a-late');
    expect(late).toMatch(/^fail a-late .*no longer owned by this process/);
    expect(first.stderr()).toMatch(/error: data directory .* is no longer owned by this process/);
    expect(second.stderr()).toContain(`taking over stale lock ${path.join(dir, 'LOCK')} left by process 1 on host ${os.hostname()} (pid namespace ${a.pidns}`);
    // The woken owner did not touch the new owner's LOCK, and the new owner goes on.
    expect(lockNames(dir)).toEqual({ pid: 1, pidns: b.pidns });
    expect(await insert(second, 'b-5')).toBe('ack');

    await first.kill();
    await second.kill();
    const third = startOwner(dir);
    await ready(third);
    expect(await listIds(third)).toEqual(['a-0', 'a-1', 'a-2', 'a-3', 'a-4', 'b-0', 'b-1', 'b-2', 'b-3', 'b-4', 'b-5']);
  }, 60_000);
});

describe('contenders racing for one stale lease', () => {
  const variants: Array<[string, boolean]> = skipReason ? [['in this PID namespace', false]] : [['in this PID namespace', false], ['each in its own PID namespace', true]];

  it.each(variants)('exactly one of four contenders %s takes it over; the others are refused', async (_name, ownNamespace) => {
    const dir = path.join(work, `race-${ownNamespace}`);
    fs.mkdirSync(dir, { recursive: true });
    // A lease of a container that is gone: the contenders can only wait it out.
    const gone = { v: 1, pid: 1, token: 'deaddeaddeaddeaddeaddead', host: 'gone', boot: 'another-boot', pidns: 'pid:[4026599999]', start: '1', acquired: new Date().toISOString(), beat: 3 };
    fs.writeFileSync(path.join(dir, 'LOCK'), `1\n${JSON.stringify(gone)}\n`);
    const contenders = Array.from({ length: 4 }, () => startOwner(dir, { ownNamespace, leaseMs: 500 }));
    const outcomes = await Promise.all(
      contenders.map((owner) =>
        owner.line('ready ').then(
          () => 'owner',
          async () => `exit ${(await owner.exited).code}`,
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'owner')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'exit 1')).toHaveLength(3);
    const winner = contenders[outcomes.indexOf('owner')];
    for (const loser of contenders.filter((o) => o !== winner)) expect(loser.stderr()).toMatch(new RegExp(`data directory ${dir} is locked by process \\d+`));
    // The winner still holds the lease and writes.
    expect(await insert(winner, 'w-0')).toBe('ack');
    expect(winner.stderr()).not.toMatch(/no longer owned/);
  }, 60_000);
});
