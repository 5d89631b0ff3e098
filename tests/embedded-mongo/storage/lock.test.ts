/** One owner per data directory: the LOCK file of JournalPersistence. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JournalPersistence } from '../../../src/embedded-mongo/storage/journal';
import { makeTempDir, removeDir } from '../../helpers/tmp';
import { captureLog, deadPid, filesIn } from './helpers';

let root: string;
let dir: string;
beforeEach(() => {
  root = makeTempDir();
  dir = path.join(root, 'data', 'db');
});
afterEach(() => removeDir(root));

const lockFile = (): string => path.join(dir, 'LOCK');

describe('data directory lock', () => {
  it('creates a missing directory, holds LOCK with its pid while open and removes it on close', async () => {
    const p = new JournalPersistence({ dir });
    await p.load(() => undefined);
    expect(fs.readFileSync(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
    await p.close();
    expect(filesIn(dir)).toEqual(['journal-1.log']);
    await p.close(); // idempotent
  });

  it('stops a second instance with an error naming the directory and the owner pid', async () => {
    const first = new JournalPersistence({ dir });
    await first.load(() => undefined);
    const second = new JournalPersistence({ dir });
    const failure = second.load(() => undefined);
    await expect(failure).rejects.toThrow(dir);
    await expect(failure).rejects.toThrow(`locked by this process`);
    fs.writeFileSync(lockFile(), `${process.ppid}\n`); // a live process that is not us
    await expect(new JournalPersistence({ dir }).load(() => undefined)).rejects.toThrow(`${dir} is locked by process ${process.ppid}`);
    fs.writeFileSync(lockFile(), `${process.pid}\n`);
    await first.commit([{ op: 'createCollection', db: 'a', coll: 'b' }]);
    await first.close();
    expect(fs.existsSync(lockFile())).toBe(false);
  });

  it('takes over a lock left by a dead process, with a warning', async () => {
    fs.mkdirSync(dir, { recursive: true });
    const pid = deadPid();
    fs.writeFileSync(lockFile(), `${pid}\n`);
    const captured = captureLog();
    const p = new JournalPersistence({ dir, log: captured.log });
    await p.load(() => undefined);
    expect(captured.lines).toEqual([`warn: taking over stale lock ${lockFile()} left by dead process ${pid}`]);
    expect(fs.readFileSync(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
    await p.close();
  });

  it('takes over a lock with unreadable content', async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(lockFile(), 'garbage');
    const captured = captureLog();
    const p = new JournalPersistence({ dir, log: captured.log });
    await p.load(() => undefined);
    expect(captured.lines.join('\n')).toMatch(/unreadable content "garbage"/);
    await p.close();
    expect(filesIn(dir)).toEqual(['journal-1.log']);
  });

  it('does not remove a lock that another process has taken since', async () => {
    const p = new JournalPersistence({ dir });
    await p.load(() => undefined);
    fs.writeFileSync(lockFile(), `${process.ppid}\n`);
    await p.close();
    expect(fs.readFileSync(lockFile(), 'utf8')).toBe(`${process.ppid}\n`);
  });
});
