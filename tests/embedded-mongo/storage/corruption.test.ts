/**
 * Damage that is not a torn write: start-up refuses (naming the file and the offset, touching
 * nothing), and `repair` salvages every intact record, reports what was lost, and leaves a
 * directory the server starts on. Torn writes at the end (a crash, a power cut) still start with
 * one warning, as before.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { MongoClient } from 'mongodb';
import { startEmbeddedServer } from '../../../src/embedded-mongo';
import { HEADER_BYTES, MORE_IN_BATCH } from '../../../src/embedded-mongo/storage/framing';
import { JournalPersistence } from '../../../src/embedded-mongo/storage/journal';
import type { Mutation } from '../../../src/embedded-mongo/storage/persistence';
import { formatRepairReport, repairDirectory } from '../../../src/embedded-mongo/storage/repair';
import { makeTempDir, removeDir } from '../../helpers/tmp';
import { captureLog, filesIn, openAndLoad, recordOffsets } from './helpers';

jest.setTimeout(60_000);

let dir: string;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => removeDir(dir));

const journal = (gen = 1): string => path.join(dir, `journal-${gen}.log`);
const put = (i: number): Mutation => ({ op: 'put', db: 'app', coll: 'notes', doc: { _id: i, text: `note ${i}` } });

/** Inserts notes 1..n one at a time through the driver: one journal record each. */
async function writeNotes(n: number): Promise<void> {
  const server = await startEmbeddedServer({ persistence: new JournalPersistence({ dir, log: () => undefined }) });
  const client = await new MongoClient(server.uri).connect();
  for (let i = 1; i <= n; i++) await client.db('app').collection('notes').insertOne({ _id: i as never, text: `note ${i}` });
  await client.close();
  await server.close();
}

/** The notes a server started on `dir` serves, and its log lines. */
async function readNotes(): Promise<{ ids: number[]; lines: string[] }> {
  const captured = captureLog();
  const server = await startEmbeddedServer({ persistence: new JournalPersistence({ dir, log: captured.log }) });
  const client = await new MongoClient(server.uri).connect();
  const docs = await client.db('app').collection('notes').find().toArray();
  await client.close();
  await server.close();
  return { ids: docs.map((d) => d._id as unknown as number), lines: captured.lines.filter((l) => !l.startsWith('info') && !/ LOCK | lock /.test(l)) };
}

function flipBit(file: string, offset: number): void {
  const buf = fs.readFileSync(file);
  buf[offset] ^= 0x10;
  fs.writeFileSync(file, buf);
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('a flipped bit in the middle of the journal', () => {
  const N = 12; // the damaged record is the N-th
  const M = 20; // intact records after it

  it('refuses to start, naming the file and the offset and what follows, and leaves the file byte for byte as it was', async () => {
    await writeNotes(N + M);
    const offsets = recordOffsets(journal());
    flipBit(journal(), offsets[N - 1] + HEADER_BYTES + 20);
    const before = fs.readFileSync(journal());

    const start = startEmbeddedServer({ persistence: new JournalPersistence({ dir, log: () => undefined }) });
    await expect(start).rejects.toThrow(
      new RegExp(
        `journal ${journal().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is corrupt at offset ${offsets[N - 1]} \\(CRC mismatch\\): ${M} intact record\\(s\\) ` +
          `\\(${offsets[N + M] - offsets[N]} bytes\\) follow from offset ${offsets[N]}, so this is damage to acknowledged data, not a torn write\\. ` +
          `Start-up refused; the file is left as it is\\. Run \`npm run repair -- `,
      ),
    );
    expect(fs.readFileSync(journal()).equals(before)).toBe(true);
    expect(filesIn(dir)).toEqual(['journal-1.log']);
  });

  it('repair keeps all N-1+M intact records, reports the lost range and keeps the damaged file; the server then starts and serves the salvaged notes', async () => {
    await writeNotes(N + M);
    const offsets = recordOffsets(journal());
    flipBit(journal(), offsets[N - 1] + HEADER_BYTES + 20);
    const damaged = fs.readFileSync(journal());

    const report = await repairDirectory(dir, { now: new Date('2026-11-28T10:15:00.123Z') });
    expect(report).toMatchObject({ damaged: true, generation: 2, records: N - 1 + M, lostBytes: offsets[N] - offsets[N - 1] });
    expect(report.files).toEqual([
      {
        file: journal(),
        bytes: damaged.length,
        records: N - 1 + M,
        // The first record also created the collection.
        mutations: N - 1 + M + 1,
        lost: [{ start: offsets[N - 1], end: offsets[N], bytes: offsets[N] - offsets[N - 1], reason: 'CRC mismatch' }],
        tornTail: false,
        keptAs: `${journal()}.corrupt-20261128T101500Z`,
      },
    ]);
    expect(formatRepairReport(report)).toContain(`LOST bytes ${offsets[N - 1].toLocaleString('en-US')}-${offsets[N].toLocaleString('en-US')}`);
    expect(filesIn(dir)).toEqual(['journal-1.log.corrupt-20261128T101500Z', 'journal-2.log', 'snapshot-2.bson']);
    expect(fs.readFileSync(path.join(dir, 'journal-1.log.corrupt-20261128T101500Z')).equals(damaged)).toBe(true);

    const { ids, lines } = await readNotes();
    expect(ids.sort((a, b) => a - b)).toEqual([...range(1, N - 1), ...range(N + 1, N + M)]);
    expect(lines).toEqual([]);
  });

  it('`npm run repair -- <dir>` (scripts/repair.ts) does the same from the command line', async () => {
    await writeNotes(N + M);
    const offsets = recordOffsets(journal());
    flipBit(journal(), offsets[N - 1] + HEADER_BYTES + 20);
    const work = makeTempDir();
    try {
      const cli = path.join(work, 'repair.js');
      // Bundled so that it runs in plain node, as dist/scripts/repair.js does after `npm run build`.
      buildSync({ entryPoints: [path.join(__dirname, '../../../scripts/repair.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: cli, packages: 'external', logLevel: 'silent' });
      const env = { ...process.env, NODE_PATH: path.resolve(__dirname, '../../../node_modules') };
      const run = spawnSync(process.execPath, [cli, dir], { env, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
      expect(run.stdout).toContain(`repair of ${dir}:`);
      expect(run.stdout).toMatch(new RegExp(`${N - 1 + M} intact records \\(${N + M} mutations\\) kept; LOST bytes [\\d,]+-[\\d,]+ \\(${offsets[N] - offsets[N - 1]} bytes: CRC mismatch\\)`));
      expect(run.stdout).toContain('The server can start on this directory now.');
      // Once more: nothing is damaged any more, nothing changes.
      const again = spawnSync(process.execPath, [cli, dir, '--json'], { env, encoding: 'utf8' });
      expect(again.status).toBe(0);
      // The new snapshot holds one record per mutation: the collection and N-1+M notes.
      expect(JSON.parse(again.stdout)).toMatchObject({ damaged: false, records: N + M, lostBytes: 0 });
      expect(spawnSync(process.execPath, [cli], { env, encoding: 'utf8' }).status).toBe(2);
    } finally {
      removeDir(work);
    }
    expect((await readNotes()).ids).toHaveLength(N - 1 + M);
  });
});

describe('torn writes at the end still start', () => {
  it('cuts a record torn mid-payload at the end of the journal with one warning', async () => {
    await writeNotes(5);
    const offsets = recordOffsets(journal());
    fs.truncateSync(journal(), offsets[4] + HEADER_BYTES + 10);
    const { ids, lines } = await readNotes();
    expect(ids).toEqual([1, 2, 3, 4]);
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^warn: journal .*journal-1\\.log: dropped ${HEADER_BYTES + 10} bytes at offset ${offsets[4]} \\(short payload`))]);
  });

  it('cuts a torn last write batch even when intact records of that batch follow the damage (pages reach the disk in any order)', async () => {
    const { p } = await openAndLoad({ dir, log: () => undefined });
    await p.commit([put(1)]);
    await p.commit([put(2)]);
    // The first of these starts a flush on its own; the other four queue and share the next one.
    await Promise.all([3, 4, 5, 6, 7].map((i) => p.commit([put(i)])));
    await p.close();
    const offsets = recordOffsets(journal());
    const buf = fs.readFileSync(journal());
    const more = offsets.slice(0, -1).map((o) => (buf.readUInt32LE(o) & MORE_IN_BATCH) !== 0);
    expect(more).toEqual([false, false, false, true, true, true, false]);
    // A power cut: the page holding record 5 never reached the disk, those of 6 and 7 did.
    buf.fill(0, offsets[4], offsets[5]);
    fs.writeFileSync(journal(), buf);

    const captured = captureLog();
    const { p: p2, replayed } = await openAndLoad({ dir, log: captured.log });
    expect(replayed).toEqual([1, 2, 3, 4].map(put));
    expect(captured.lines.filter((l) => l.startsWith('warn'))).toEqual([
      expect.stringMatching(new RegExp(`dropped ${offsets[7] - offsets[4]} bytes at offset ${offsets[4]} .* \\(with 2 intact record\\(s\\) of the same unacknowledged write batch after it\\)`)),
    ]);
    expect(fs.statSync(journal()).size).toBe(offsets[4]);
    await p2.close();
  });

  it('refuses damage to a record that ended its batch when a later batch follows', async () => {
    const { p } = await openAndLoad({ dir, log: () => undefined });
    for (let i = 1; i <= 3; i++) await p.commit([put(i)]);
    await Promise.all([4, 5, 6].map((i) => p.commit([put(i)])));
    await p.close();
    const offsets = recordOffsets(journal());
    // Record 2 was a batch of its own, fsynced before record 3 was written: acknowledged.
    flipBit(journal(), offsets[1] + HEADER_BYTES + 5);
    await expect(openAndLoad({ dir, log: () => undefined })).rejects.toThrow(/is corrupt at offset \d+ \(CRC mismatch\): 4 intact record\(s\)/);
  });
});

describe('snapshots', () => {
  async function compacted(n: number): Promise<void> {
    const { p } = await openAndLoad({ dir, log: () => undefined });
    const state = new Map<number, Mutation>();
    p.setSnapshotSource(() => state.values());
    for (let i = 1; i <= n; i++) {
      state.set(i, put(i));
      await p.commit([put(i)]);
    }
    await p.compact();
    await p.commit([put(n + 1)]);
    await p.close();
  }
  const snapshot = (): string => path.join(dir, 'snapshot-2.bson');

  it('refuses a snapshot whose records are intact but reordered (the trailer’s SHA-256), naming file and offset', async () => {
    await compacted(4);
    const offsets = recordOffsets(snapshot());
    const buf = fs.readFileSync(snapshot());
    const swapped = Buffer.concat([buf.subarray(0, offsets[1]), buf.subarray(offsets[2], offsets[3]), buf.subarray(offsets[1], offsets[2]), buf.subarray(offsets[3])]);
    fs.writeFileSync(snapshot(), swapped);
    await expect(openAndLoad({ dir, log: () => undefined })).rejects.toThrow(
      new RegExp(`snapshot .*snapshot-2\\.bson is corrupt: SHA-256 of bytes 0-${offsets[4]} does not match the trailer at offset ${offsets[4]}\\. .*file is left as it is`),
    );
  });

  it('repair salvages a snapshot with a flipped bit, and the journal after it', async () => {
    await compacted(6);
    const offsets = recordOffsets(snapshot());
    flipBit(snapshot(), offsets[2] + HEADER_BYTES + 20);
    await expect(openAndLoad({ dir, log: () => undefined })).rejects.toThrow(new RegExp(`snapshot-2\\.bson is corrupt: CRC mismatch at offset ${offsets[2]}`));
    const report = await repairDirectory(dir);
    expect(report).toMatchObject({ damaged: true, generation: 3, lostBytes: offsets[3] - offsets[2] });
    expect(report.files.map((f) => [path.basename(f.file), f.records, f.lost.length])).toEqual([
      ['snapshot-2.bson', 5, 1],
      ['journal-2.log', 1, 0],
    ]);
    const { p, replayed } = await openAndLoad({ dir, log: () => undefined });
    const ids = replayed.flatMap((m) => (m.op === 'put' ? [m.doc._id as number] : []));
    expect(ids.sort()).toEqual([1, 2, 4, 5, 6, 7]);
    await p.close();
  });

  it('repair of a directory with nothing damaged changes nothing', async () => {
    await compacted(3);
    const before = filesIn(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')]);
    const report = await repairDirectory(dir);
    expect(report).toMatchObject({ damaged: false, records: 4, lostBytes: 0 });
    expect(report.generation).toBeUndefined();
    expect(filesIn(dir).map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')])).toEqual(before);
  });
});
