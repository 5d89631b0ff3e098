/**
 * The record encoder: sized from bson's own measure, checked before a record is handed out, and
 * loud when anything is off. bson serialises into a shared 17 MiB scratch buffer and silently
 * drops what does not fit, which once produced records that were truncated yet carried a valid
 * CRC (issue 10, finding 2).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BSON } from 'bson';
import { encodeRecord, HEADER_BYTES, RecordEncodingError } from '../../../src/embedded-mongo/storage/framing';
import type { Mutation } from '../../../src/embedded-mongo/storage/persistence';
import { makeTempDir, removeDir } from '../../helpers/tmp';
import { captureLog, openAndLoad } from './helpers';

const MiB = 1024 * 1024;

let dir: string;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => removeDir(dir));

/**
 * A document that is longer when measured than when written (a getter that changes its value):
 * the encoder's output then disagrees with its own measure, which no real document does.
 */
function shifty(id: number): Record<string, unknown> {
  let reads = 0;
  return {
    _id: id,
    get text(): string {
      return reads++ === 0 ? 'a much longer value when measured' : 'short';
    },
  };
}

const decode = (record: Buffer) => BSON.deserialize(record.subarray(HEADER_BYTES), { promoteLongs: false });

describe('encodeRecord', () => {
  it('encodes a single mutation bigger than bson’s 17 MiB scratch buffer whole (it used to be cut short with a valid CRC)', () => {
    const text = 'x'.repeat(18 * MiB);
    const record = encodeRecord({ m: [{ op: 'put', db: 'a', coll: 'c', doc: { _id: 1, text } }] });
    expect(record.readUInt32LE(0)).toBe(record.length - HEADER_BYTES);
    const doc = decode(record).m[0].doc;
    expect(doc.text.length).toBe(text.length);
  });

  it('encodes a record of many mutations bigger than 17 MiB whole, fields after the array included', () => {
    const m = Array.from({ length: 18 }, (_, i) => ({ op: 'put', db: 'a', coll: 'c', doc: { _id: i, text: String(i).repeat(MiB), nums: [i, i * 2, i * 3] } }));
    const record = encodeRecord({ m, end: 18 });
    expect(record.length).toBeGreaterThan(17 * MiB);
    expect(record.readUInt32LE(0)).toBe(record.length - HEADER_BYTES);
    const decoded = decode(record);
    expect(decoded.end).toBe(18);
    expect(decoded.m).toHaveLength(18);
    decoded.m.forEach((mutation: Mutation, i: number) => expect(mutation).toEqual(m[i]));
  });

  it('throws instead of returning a record when the encoder writes other than it measured', () => {
    expect(() => encodeRecord({ m: [{ op: 'put', db: 'a', coll: 'c', doc: shifty(1) }] })).toThrow(RecordEncodingError);
    expect(() => encodeRecord({ m: [{ op: 'put', db: 'a', coll: 'c', doc: shifty(1) }] })).toThrow(/BSON encoder wrote \d+ bytes \(prefix \d+\) for a record of \d+ bytes/);
  });
});

describe('the journal with a failing encoder', () => {
  it('refuses the commit loudly, writes nothing of it, and takes commits again once a fresh generation is written', async () => {
    const captured = captureLog();
    const { p } = await openAndLoad({ dir, log: captured.log, retryMinMs: 10 });
    const put = (i: number): Mutation => ({ op: 'put', db: 'a', coll: 'c', doc: { _id: i } });
    p.setSnapshotSource(() => [put(1)]);
    await p.commit([put(1)]);
    const size = fs.statSync(path.join(dir, 'journal-1.log')).size;
    await expect(p.commit([{ op: 'put', db: 'a', coll: 'c', doc: shifty(2) }])).rejects.toThrow(/the record encoder refused a commit: BSON encoder wrote/);
    expect(fs.statSync(path.join(dir, 'journal-1.log')).size).toBe(size);
    expect(captured.lines.filter((l) => l.startsWith('error'))).toEqual([expect.stringContaining('the record encoder refused a commit')]);
    for (let i = 0; i < 500 && !p.health().writable; i++) await new Promise((r) => setTimeout(r, 10));
    await p.commit([put(3)]);
    await p.close();
    const again = await openAndLoad({ dir });
    expect(again.replayed).toEqual([put(1), put(3)]);
    await again.p.close();
  });
});
