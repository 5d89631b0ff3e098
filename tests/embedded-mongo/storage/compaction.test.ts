/** Compaction of JournalPersistence: snapshots, generations, and a crash at every step. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Long, ObjectId } from 'bson';
import { JournalPersistence, type CompactionStep, type JournalOptions } from '../../../src/embedded-mongo/storage/journal';
import type { Mutation } from '../../../src/embedded-mongo/storage/persistence';
import { makeTempDir, removeDir } from '../../helpers/tmp';
import { captureLog, filesIn, killOwner, MiniCatalog, recordOffsets } from './helpers';

let dir: string;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => removeDir(dir));

/** A persistence wired to a catalog the way the command layer does it: apply first, then commit. */
async function openServer(options: Partial<JournalOptions> = {}): Promise<{ p: JournalPersistence; catalog: MiniCatalog; write: (ms: Mutation[]) => Promise<void> }> {
  const catalog = new MiniCatalog();
  const p = new JournalPersistence({ dir, log: () => undefined, ...options });
  await p.load(catalog.apply);
  p.setSnapshotSource(() => catalog.snapshot());
  const write = (ms: Mutation[]): Promise<void> => {
    ms.forEach(catalog.apply);
    return p.commit(ms);
  };
  return { p, catalog, write };
}

async function reopenState(): Promise<string[]> {
  const { p, catalog } = await openServer();
  await p.close();
  return catalog.dump();
}

const put = (i: number, v: unknown = i): Mutation => ({ op: 'put', db: 'app', coll: 'notes', doc: { _id: i, v, pad: 'p'.repeat(100) } });
const del = (i: number): Mutation => ({ op: 'delete', db: 'app', coll: 'notes', id: i });

describe('compaction', () => {
  it('compacts automatically past maxJournalBytes and reopens with the full state', async () => {
    const { p, catalog, write } = await openServer({ maxJournalBytes: 4096 });
    for (let i = 0; i < 300; i++) {
      await write([put(i % 50, { n: i, at: new Date(i), id: new ObjectId(), big: Long.fromString('9007199254740993') })]);
      if (i % 7 === 0) await write([del((i * 3) % 50)]);
    }
    await p.close();
    expect(p.stats().compactions).toBeGreaterThan(3);
    const gen = p.stats().generation;
    expect(filesIn(dir)).toEqual([`journal-${gen}.log`, `snapshot-${gen}.bson`]);
    expect(await reopenState()).toEqual(catalog.dump());
  });

  it('puts commits queued during a compaction into the new journal', async () => {
    const { p, catalog, write } = await openServer();
    for (let round = 0; round < 20; round++) {
      const inFlight: Promise<void>[] = [];
      for (let i = 0; i < 10; i++) inFlight.push(write([put(round * 10 + i)]));
      inFlight.push(p.compact());
      for (let i = 0; i < 10; i++) inFlight.push(write([del(round * 10 + i - 5), put(1000 + round)]));
      await Promise.all(inFlight);
    }
    await p.close();
    expect(p.stats().compactions).toBe(20);
    expect(await reopenState()).toEqual(catalog.dump());
  });

  it('survives a snapshot source that throws: logs, keeps the old generation, keeps committing', async () => {
    const captured = captureLog();
    const catalog = new MiniCatalog();
    const p = new JournalPersistence({ dir, log: captured.log });
    await p.load(catalog.apply);
    p.setSnapshotSource(() => {
      throw new Error('catalog busy');
    });
    await p.commit([put(1)]);
    await expect(p.compact()).rejects.toThrow('catalog busy');
    await p.commit([put(2)]);
    await p.close();
    expect(captured.lines.join('\n')).toMatch(/compaction .* failed .*catalog busy/);
    expect(filesIn(dir)).toEqual(['journal-1.log']);
    expect((await reopenState()).length).toBe(2);
  });

  it('refuses compact() without a snapshot source or before load', async () => {
    const p = new JournalPersistence({ dir });
    await expect(p.compact()).rejects.toThrow(/not open/);
    await p.load(() => undefined);
    await expect(p.compact()).rejects.toThrow(/snapshot source/);
    await p.close();
  });
});

describe('crash during compaction', () => {
  const steps: CompactionStep[] = ['afterNewJournal', 'afterSnapshotTmp', 'afterRename', 'afterOldJournalsDeleted'];

  it.each(steps)('loses nothing when the process dies %s', async (crashAt) => {
    // Generation 2 first, so the crash happens with an older snapshot on disk too.
    const first = await openServer();
    for (let i = 0; i < 20; i++) await first.write([put(i)]);
    await first.p.compact();
    for (let i = 20; i < 40; i++) await first.write([put(i), del(i - 20)]);
    await first.p.close();

    const late: { write?: (ms: Mutation[]) => Promise<void> } = {};
    const acknowledged: number[] = [];
    const onCompactionStep = async (step: CompactionStep): Promise<void> => {
      if (step !== crashAt) return;
      // Commits acknowledged after the switch live only in the new journal: they must survive too.
      if (step !== 'afterNewJournal') for (let i = 100; i < 110; i++) await late.write?.([put(i)]).then(() => acknowledged.push(i));
      throw new Error('power cut');
    };
    const server = await openServer({ onCompactionStep });
    const { catalog, write } = server;
    late.write = write;
    for (let i = 40; i < 60; i++) await write([put(i)]);
    const inFlight = write([put(60)]);
    // Still queued when the generation switches, so it goes to the new journal; a crash right
    // after the switch may come before its flush, and then it is rejected (not acknowledged).
    const queued = write([put(61)]);
    await expect(server.p.compact()).rejects.toThrow('power cut');
    await inFlight;
    const queuedAcked = await queued.then(() => true, () => false);
    if (crashAt !== 'afterNewJournal') expect(queuedAcked).toBe(true);
    await expect(write([put(62)])).rejects.toThrow(/simulated crash/);
    await server.p.close();
    expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(true);

    killOwner(dir);
    // Unacknowledged writes may or may not have reached the disk: leave them out of the comparison.
    const unacked = queuedAcked ? [62] : [61, 62];
    const known = (line: string): boolean => !unacked.some((id) => line.includes(`{"id":{"$numberInt":"${id}"}}`));
    const state = (await reopenState()).filter(known);
    const expected = catalog.dump().filter(known);
    expect(expected.length).toBe(catalog.dump().length - unacked.length);
    if (crashAt !== 'afterNewJournal') expect(acknowledged).toHaveLength(10);
    expect(state).toEqual(expected);
    expect(filesIn(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    // And the directory keeps working: another compaction and reopen.
    const later = await openServer();
    await later.write([put(200)]);
    await later.p.compact();
    await later.p.close();
    expect(filesIn(dir)).toEqual(['journal-4.log', 'snapshot-4.bson']);
    expect(await reopenState()).toEqual(later.catalog.dump());
  });

  it('deletes a half-written snapshot.tmp left by a crash', async () => {
    const { p, catalog, write } = await openServer();
    await write([put(1)]);
    await p.close();
    fs.writeFileSync(path.join(dir, 'snapshot-2.tmp'), Buffer.from('half a snapshot'));
    expect(await reopenState()).toEqual(catalog.dump());
    expect(filesIn(dir)).toEqual(['journal-1.log']);
  });
});

describe('damaged directories', () => {
  async function twoGenerations(): Promise<void> {
    const { p, write } = await openServer();
    for (let i = 0; i < 10; i++) await write([put(i)]);
    await p.compact();
    await write([put(10)]);
    await p.close();
  }

  it('refuses a corrupt snapshot with a message naming the file', async () => {
    await twoGenerations();
    const file = path.join(dir, 'snapshot-2.bson');
    const buf = fs.readFileSync(file);
    buf[20] ^= 0x55;
    fs.writeFileSync(file, buf);
    await expect(new JournalPersistence({ dir }).load(() => undefined)).rejects.toThrow(/snapshot .*snapshot-2\.bson is corrupt: CRC mismatch/);
    // The failed start released the lock.
    expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);
  });

  it('refuses a snapshot cut at a record boundary (no trailer)', async () => {
    await twoGenerations();
    const file = path.join(dir, 'snapshot-2.bson');
    const offsets = recordOffsets(file);
    fs.truncateSync(file, offsets[offsets.length - 2]);
    await expect(new JournalPersistence({ dir }).load(() => undefined)).rejects.toThrow(/no trailer/);
  });

  it('refuses a missing journal or a damaged older journal', async () => {
    await twoGenerations();
    fs.renameSync(path.join(dir, 'journal-2.log'), path.join(dir, 'journal-3.log'));
    await expect(new JournalPersistence({ dir }).load(() => undefined)).rejects.toThrow(/inconsistent: expected .*journal-2\.log/);

    fs.renameSync(path.join(dir, 'journal-3.log'), path.join(dir, 'journal-2.log'));
    fs.rmSync(path.join(dir, 'snapshot-2.bson'));
    await expect(new JournalPersistence({ dir }).load(() => undefined)).rejects.toThrow(/inconsistent: journals start at 2 but there is no snapshot/);
  });

  it('refuses damage in a journal that is not the newest', async () => {
    const { p, write } = await openServer({ onCompactionStep: (s) => (s === 'afterSnapshotTmp' ? Promise.reject(new Error('stop')) : undefined) });
    for (let i = 0; i < 10; i++) await write([put(i)]);
    await expect(p.compact()).rejects.toThrow('stop');
    await p.close();
    killOwner(dir);
    fs.appendFileSync(path.join(dir, 'journal-1.log'), Buffer.from([1, 2, 3]));
    await expect(new JournalPersistence({ dir, log: () => undefined }).load(() => undefined)).rejects.toThrow(/journal-1\.log is damaged .* a newer journal exists/);
  });
});
