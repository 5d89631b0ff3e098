/** Journal round trip, group commit and torn/corrupt tail recovery of JournalPersistence. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { Binary, Decimal128, EJSON, Long, ObjectId } from 'bson';
import { JournalPersistence } from '../../../src/embedded-mongo/storage/journal';
import { HEADER_BYTES } from '../../../src/embedded-mongo/storage/framing';
import type { Mutation } from '../../../src/embedded-mongo/storage/persistence';
import { makeTempDir, removeDir } from '../../helpers/tmp';
import { captureLog, filesIn, openAndLoad, recordOffsets } from './helpers';

let dir: string;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => removeDir(dir));

const put = (i: number, extra: Record<string, unknown> = {}): Mutation => ({ op: 'put', db: 'app', coll: 'notes', doc: { _id: i, title: `note ${i}`, ...extra } });
const journal = (gen = 1): string => path.join(dir, `journal-${gen}.log`);
const ejson = (ms: Mutation[]): string => EJSON.stringify(ms, { relaxed: false });

describe('round trip', () => {
  it('replays every mutation in order with BSON types intact', async () => {
    const id = new ObjectId();
    const batches: Mutation[][] = [
      [{ op: 'createCollection', db: 'app', coll: 'notes' }, { op: 'createIndex', db: 'app', coll: 'notes', index: { name: 'by_title', key: { title: 1 }, unique: true } }],
      [
        {
          op: 'put',
          db: 'app',
          coll: 'notes',
          doc: {
            _id: id,
            at: new Date('2026-01-02T03:04:05.678Z'),
            big: Long.fromString('9007199254740993'),
            small: Long.fromNumber(7),
            price: Decimal128.fromString('12.50'),
            blob: new Binary(Buffer.from([1, 2, 3])),
            nested: { tags: ['a', 'b'], deep: { n: 1.5, when: new Date(0), none: null } },
          },
        },
      ],
      [put(1), put(2)],
      [{ op: 'delete', db: 'app', coll: 'notes', id }, { op: 'dropIndex', db: 'app', coll: 'notes', name: 'by_title' }],
      [{ op: 'dropCollection', db: 'app', coll: 'notes' }, { op: 'dropDatabase', db: 'app' }],
    ];
    const first = await openAndLoad({ dir });
    expect(first.replayed).toEqual([]);
    for (const b of batches) await first.p.commit(b);
    await first.p.close();

    const second = await openAndLoad({ dir });
    expect(ejson(second.replayed)).toBe(ejson(batches.flat()));
    const doc = (second.replayed[2] as Extract<Mutation, { op: 'put' }>).doc;
    expect(doc._id).toBeInstanceOf(ObjectId);
    expect(doc.at).toBeInstanceOf(Date);
    expect(doc.big).toBeInstanceOf(Long);
    expect(doc.small).toBeInstanceOf(Long);
    expect(typeof doc.nested.deep.n).toBe('number');
    await second.p.close();
  });

  it('snapshots documents at commit time, not at flush time', async () => {
    const { p } = await openAndLoad({ dir });
    const doc = { _id: 1, v: 'before' };
    const done = p.commit([{ op: 'put', db: 'a', coll: 'c', doc }]);
    doc.v = 'after';
    await done;
    await p.close();
    const { p: p2, replayed } = await openAndLoad({ dir });
    expect(replayed).toEqual([{ op: 'put', db: 'a', coll: 'c', doc: { _id: 1, v: 'before' } }]);
    await p2.close();
  });

  it('stores a commit bigger than bson’s 17 MB scratch buffer as one record', async () => {
    const { p } = await openAndLoad({ dir });
    const text = 'x'.repeat(1024 * 1024);
    const batch = Array.from({ length: 18 }, (_, i) => put(i, { text }));
    await p.commit(batch);
    await p.close();
    expect(recordOffsets(journal())).toHaveLength(2);
    const { p: p2, replayed } = await openAndLoad({ dir });
    expect(replayed).toHaveLength(18);
    await p2.close();
  });

  it('rejects commits before load and after close; an empty commit waits for earlier ones', async () => {
    const p = new JournalPersistence({ dir });
    await expect(p.commit([put(1)])).rejects.toThrow(/load\(\)/);
    await p.load(() => undefined);
    await expect(p.commit([])).resolves.toBeUndefined();
    let firstDone = false;
    const first = p.commit([put(1)]).then(() => (firstDone = true));
    await p.commit([]);
    expect(firstDone).toBe(true);
    await first;
    await p.close();
    await expect(p.commit([put(2)])).rejects.toThrow(/closed/);
    await expect(p.load(() => undefined)).rejects.toThrow(/once/);
  });
});

describe('group commit', () => {
  it('resolves 200 concurrent commits with far fewer fsyncs, none before its data is on disk', async () => {
    const { p } = await openAndLoad({ dir });
    await p.commit([put(-1)]); // the first flush leaves the loop idle again
    const before = p.stats();
    const problems: string[] = [];
    const commits = Array.from({ length: 200 }, (_, i) => {
      const fsyncsAtCall = p.stats().fsyncs;
      return p.commit([put(i, { marker: `m${i}` })]).then(() => {
        if (p.stats().fsyncs <= fsyncsAtCall) problems.push(`commit ${i} resolved before any fsync after it was made`);
        if (!fs.readFileSync(journal()).includes(`m${i}\0`)) problems.push(`commit ${i} resolved before its record was in the file`);
      });
    });
    await Promise.all(commits);
    const fsyncs = p.stats().fsyncs - before.fsyncs;
    expect(problems).toEqual([]);
    expect(fsyncs).toBeGreaterThanOrEqual(1);
    expect(fsyncs).toBeLessThanOrEqual(20);
    expect(p.stats().commits).toBe(201);
    await p.close();
    const { p: p2, replayed } = await openAndLoad({ dir });
    expect(replayed.map((m) => (m as Extract<Mutation, { op: 'put' }>).doc._id)).toEqual([-1, ...Array.from({ length: 200 }, (_, i) => i)]);
    await p2.close();
  });
});

describe('damaged tail', () => {
  async function writeRecords(n: number): Promise<void> {
    const { p } = await openAndLoad({ dir });
    for (let i = 0; i < n; i++) await p.commit([put(i)]);
    await p.close();
  }

  it.each([
    ['in the header', 3],
    ['right after the header', HEADER_BYTES],
    ['mid-payload', HEADER_BYTES + 10],
    ['one byte short', -1],
  ])('cuts a record torn %s and keeps every earlier one', async (_name, cut) => {
    await writeRecords(5);
    const offsets = recordOffsets(journal());
    const lastStart = offsets[4];
    const size = cut < 0 ? offsets[5] + cut : lastStart + cut;
    fs.truncateSync(journal(), size);

    const captured = captureLog();
    const { p, replayed } = await openAndLoad({ dir, log: captured.log });
    expect(replayed).toEqual([0, 1, 2, 3].map((i) => put(i)));
    expect(captured.lines.filter((l) => l.startsWith('warn'))).toEqual([expect.stringContaining(`dropped ${size - lastStart} bytes`)]);
    expect(fs.statSync(journal()).size).toBe(lastStart);
    await p.commit([put(99)]);
    await p.close();

    const again = await openAndLoad({ dir, log: captured.log });
    expect(again.replayed).toEqual([0, 1, 2, 3, 99].map((i) => put(i)));
    expect(captured.lines.filter((l) => l.startsWith('warn'))).toHaveLength(1);
    await again.p.close();
  });

  it('cuts a zero-filled tail (a crash after the size grew but before the data landed)', async () => {
    await writeRecords(3);
    const size = fs.statSync(journal()).size;
    fs.appendFileSync(journal(), Buffer.alloc(4096));
    const captured = captureLog();
    const { p, replayed } = await openAndLoad({ dir, log: captured.log });
    expect(replayed).toHaveLength(3);
    expect(captured.lines.join('\n')).toMatch(/dropped 4096 bytes .*absurd record length 0/);
    expect(fs.statSync(journal()).size).toBe(size);
    await p.close();
  });

  it('drops the last record when one byte of its payload is flipped', async () => {
    await writeRecords(5);
    const offsets = recordOffsets(journal());
    flipByte(journal(), offsets[4] + HEADER_BYTES + 12);
    const captured = captureLog();
    const { p, replayed } = await openAndLoad({ dir, log: captured.log });
    expect(replayed).toEqual([0, 1, 2, 3].map((i) => put(i)));
    expect(captured.lines.join('\n')).toMatch(new RegExp(`dropped ${offsets[5] - offsets[4]} bytes at offset ${offsets[4]} \\(CRC mismatch\\)`));
    await p.close();
  });

  it('refuses to start on a corrupt middle record followed by intact ones (not a torn write), and leaves the file as it was', async () => {
    await writeRecords(5);
    const offsets = recordOffsets(journal());
    flipByte(journal(), offsets[2] + HEADER_BYTES + 12);
    const before = fs.readFileSync(journal());
    const captured = captureLog();
    await expect(openAndLoad({ dir, log: captured.log })).rejects.toThrow(
      new RegExp(`journal .*journal-1\\.log is corrupt at offset ${offsets[2]} \\(CRC mismatch\\): 2 intact record\\(s\\) \\(${offsets[5] - offsets[3]} bytes\\) follow from offset ${offsets[3]}`),
    );
    expect(fs.readFileSync(journal()).equals(before)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);
  });

  it('cuts a record whose CRC matches but whose payload is not a { m: [...] } document', async () => {
    await writeRecords(2);
    const payload = Buffer.from([5, 0, 0, 0, 0]); // the empty BSON document
    const header = Buffer.alloc(HEADER_BYTES);
    header.writeUInt32LE(payload.length, 0);
    header.writeUInt32LE(crc32(payload), 4);
    fs.appendFileSync(journal(), Buffer.concat([header, payload]));
    const captured = captureLog();
    const { p, replayed } = await openAndLoad({ dir, log: captured.log });
    expect(replayed).toHaveLength(2);
    expect(captured.lines.join('\n')).toMatch(/not a \{ m: \[\.\.\.\] \} record/);
    await p.close();
  });
});

function flipByte(file: string, offset: number): void {
  const buf = fs.readFileSync(file);
  buf[offset] ^= 0xff;
  fs.writeFileSync(file, buf);
}

describe('write failures', () => {
  // The CommonJS module object itself, which the storage code's namespace import reads through.
  const nodeFs: typeof fs = jest.requireActual('node:fs');
  afterEach(() => jest.restoreAllMocks());

  const eio = (): Error => Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });

  it('after an fsync error: rejects the batch and everything queued, refuses further commits, and cuts the failed batch off the file', async () => {
    const captured = captureLog();
    // No retry during this test (see the next ones).
    const { p } = await openAndLoad({ dir, log: captured.log, retryMinMs: 60_000 });
    p.setSnapshotSource(() => [put(1)]);
    await p.commit([put(1)]);
    const sizeBefore = fs.statSync(journal()).size;
    jest.spyOn(nodeFs, 'fdatasync').mockImplementationOnce((_fd, cb) => cb(eio()));
    const failed = p.commit([put(2)]);
    const queued = p.commit([put(3)]);
    await expect(failed).rejects.toThrow(/journal .*journal-1\.log failed: EIO: i\/o error; writes are refused until a new generation is written/);
    await expect(queued).rejects.toMatchObject({ name: 'StorageUnavailableError', errno: 'EIO' });
    await expect(p.commit([put(4)])).rejects.toThrow(/writes are refused/);
    await expect(p.compact()).rejects.toThrow(/writes are refused/);
    expect(p.health()).toMatchObject({ writable: false, errorCode: 'EIO', lastError: expect.stringContaining('EIO'), since: expect.any(String) });
    expect(captured.lines.filter((l) => l.startsWith('error'))).toHaveLength(1);
    await p.close();
    expect(fs.existsSync(path.join(dir, 'LOCK'))).toBe(false);
    // The failed batch reached the file (only its fsync failed): it was cut off again.
    expect(fs.statSync(journal()).size).toBe(sizeBefore);
    const again = await openAndLoad({ dir });
    expect(again.replayed).toEqual([put(1)]);
    await again.p.close();
  });

  it('writes a fresh generation from memory once the disk works again, and accepts commits without a restart', async () => {
    const captured = captureLog();
    const { p } = await openAndLoad({ dir, log: captured.log, retryMinMs: 20 });
    const durable: Mutation[] = [];
    p.setSnapshotSource(() => durable);
    await p.commit([put(1)]);
    durable.push(put(1));
    jest.spyOn(nodeFs, 'fdatasync').mockImplementationOnce((_fd, cb) => cb(eio()));
    await expect(p.commit([put(2)])).rejects.toThrow(/EIO/);
    // The retry timer writes the new generation on its own; recover() waits for it.
    const deadline = Date.now() + 5_000;
    while (!p.health().writable && Date.now() < deadline) await p.recover().then(() => new Promise((r) => setTimeout(r, 10)));
    expect(p.health()).toEqual({ writable: true });
    expect(p.stats()).toMatchObject({ failures: 1, recoveries: 1, generation: 2 });
    expect(filesIn(dir)).toEqual(['LOCK', 'journal-2.log', 'snapshot-2.bson']);
    expect(captured.lines.join('\n')).toMatch(/recovered after .* wrote generation 2 \(1 mutations\); writes are accepted again/);
    await p.commit([put(5)]);
    await p.close();
    const again = await openAndLoad({ dir });
    expect(again.replayed).toEqual([put(1), put(5)]);
    await again.p.close();
  });

  it('keeps refusing with the newest cause while a retry fails, backs off, and recovers later', async () => {
    const captured = captureLog();
    const { p } = await openAndLoad({ dir, log: captured.log, retryMinMs: 10, retryMaxMs: 40 });
    p.setSnapshotSource(() => [put(1)]);
    await p.commit([put(1)]);
    jest.spyOn(nodeFs, 'fdatasync').mockImplementationOnce((_fd, cb) => cb(eio()));
    // The first retry cannot even create its snapshot file: the disk is full.
    const enospc = Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    const realOpenSync = nodeFs.openSync;
    let refused = false;
    jest.spyOn(nodeFs, 'openSync').mockImplementation((file, ...rest) => {
      if (!refused && String(file).endsWith('.tmp')) {
        refused = true;
        throw enospc;
      }
      return realOpenSync(file, ...rest);
    });
    await expect(p.commit([put(2)])).rejects.toThrow(/EIO/);
    const deadline = Date.now() + 5_000;
    while (p.health().errorCode !== 'ENOSPC' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(p.health()).toMatchObject({ writable: false, errorCode: 'ENOSPC', lastError: expect.stringContaining('writing a new generation failed: ENOSPC') });
    await expect(p.commit([put(3)])).rejects.toMatchObject({ errno: 'ENOSPC' });
    while (!p.health().writable && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(p.health().writable).toBe(true);
    expect(filesIn(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(captured.lines.join('\n')).toMatch(/still refused: writing a new generation failed: ENOSPC/);
    await p.commit([put(4)]);
    await p.close();
    const again = await openAndLoad({ dir });
    expect(again.replayed).toEqual([put(1), put(4)]);
    await again.p.close();
  });
});
