/**
 * Record framing shared by journals and snapshots: `[u32 LE length word][u32 LE CRC-32 of payload][BSON payload]`.
 *
 * Every payload is a BSON document `{ m: Mutation[] }` (a snapshot's last record also carries
 * `end` and a digest). The CRC catches torn and flipped bytes; the length cap and the shape check
 * catch garbage (e.g. the zero-filled tail ext4 can leave after a crash) before it is trusted.
 *
 * The length word holds the payload length in its low 31 bits. Its top bit says "more records of
 * the same write batch follow" (journals only, see journal.ts): recovery uses it to tell a torn
 * final batch from damage in the middle of the file. Files written before the flag existed have
 * it clear everywhere, which reads as one record per batch: the strictest reading.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { crc32 } from 'node:zlib';
import { BSON, type Document } from 'bson';
import { keepNumericTypes } from '../bson-numbers';
import { DESERIALIZE_OPTIONS } from '../bson-options';

/**
 * Decodes one stored payload into the in-memory form: without promotion, then walked with
 * `keepNumericTypes` (bson-numbers.ts), which rebuilds exactly what the catalog held: int64 stays
 * a `Long`, an integral double in the int32 range a `Double`, Decimal128 a `Decimal128`, every
 * other number a JS number; Dates, ObjectIds and Binary keep their classes.
 */
function decodeStored(payload: Uint8Array): Document {
  return keepNumericTypes(BSON.deserialize(payload, DESERIALIZE_OPTIONS));
}

/** Bytes of the header in front of each payload. */
export const HEADER_BYTES = 8;
/** Larger lengths can only be garbage: no commit or snapshot record gets near this. */
export const MAX_RECORD_BYTES = 1024 * 1024 * 1024;
/** Top bit of the length word: more records of this write batch follow this one. */
export const MORE_IN_BATCH = 0x8000_0000;
const LENGTH_MASK = 0x7fff_ffff;
/**
 * bson serialises into one shared scratch buffer of this size and copies out of it; what does not
 * fit is silently dropped or half-written. Records are therefore sized first, and anything bigger
 * is assembled from parts that fit (see `serializeLarge`).
 */
const BSON_SCRATCH_BYTES = 17 * 1024 * 1024;
/** Records up to this size are decoded again before they are handed out (cost: see measure-encode). */
const REDECODE_MAX_BYTES = 4 * 1024 * 1024;

/** The encoder produced something other than what it was asked to: a bug, never written to disk. */
export class RecordEncodingError extends Error {}

/**
 * Serialises `doc` and frames it as one record (header and payload in one buffer). The buffer is
 * sized from `BSON.calculateObjectSize`, and the result is checked before it is returned: the
 * BSON length prefix and terminator, the header's length, the CRC over exactly these bytes, and,
 * unless `redecode` is false, (up to 4 MiB) a full decode. Anything off throws
 * `RecordEncodingError`. Snapshots skip the decode: they are checked as a whole (snapshot.ts).
 */
export function encodeRecord(doc: Document, { redecode = true }: { redecode?: boolean } = {}): Buffer {
  const size = BSON.calculateObjectSize(doc);
  if (size > MAX_RECORD_BYTES) throw new RangeError(`record of ${size} bytes exceeds ${MAX_RECORD_BYTES}`);
  const record = Buffer.allocUnsafe(HEADER_BYTES + size);
  const payload = record.subarray(HEADER_BYTES);
  const written = size <= BSON_SCRATCH_BYTES ? serializeInto(doc, record, HEADER_BYTES) : serializeLarge(doc, payload);
  if (written !== size || payload.readInt32LE(0) !== size || payload[size - 1] !== 0) {
    throw new RecordEncodingError(`BSON encoder wrote ${written} bytes (prefix ${payload.readInt32LE(0)}) for a record of ${size} bytes`);
  }
  record.writeUInt32LE(size, 0);
  record.writeUInt32LE(crc32(payload), 4);
  if (redecode && size <= REDECODE_MAX_BYTES) verifyDecodes(doc, payload);
  return record;
}

/** Serialises `doc` (whose size fits bson's scratch buffer) into `out` at `offset`; returns the bytes written. */
function serializeInto(doc: Document, out: Buffer, offset: number): number {
  return BSON.serializeWithBufferAndIndex(doc, out, { index: offset }) - offset + 1;
}

/**
 * Writes a `{ m: [...], ...small fields }` record bigger than bson's scratch buffer into `out`,
 * one mutation at a time: the document, the `m` array and its elements are framed here, each
 * element is serialised by bson. Returns the bytes written.
 */
function serializeLarge(doc: Document, out: Buffer): number {
  const { m, ...rest } = doc;
  if (!Array.isArray(m)) throw new RecordEncodingError(`a record of more than ${BSON_SCRATCH_BYTES} bytes must be { m: [...] }`);
  let pos = 4;
  out[pos++] = 0x04; // array
  pos += out.write('m\0', pos, 'latin1');
  const arrayStart = pos;
  pos += 4;
  m.forEach((item: unknown, i: number) => {
    if (typeof item !== 'object' || item === null) throw new RecordEncodingError(`record element ${i} is not a document`);
    out[pos++] = 0x03; // embedded document
    pos += out.write(`${i}\0`, pos, 'latin1');
    const size = BSON.calculateObjectSize(item as Document);
    let written: number;
    if (size <= BSON_SCRATCH_BYTES) {
      written = serializeInto(item as Document, out, pos);
    } else {
      // One mutation this big can only come from data stored before documents were capped at
      // 16 MiB; bson's scratch buffer then grows for good, which such data is rare enough to afford.
      BSON.setInternalBufferSize(size);
      const bytes = BSON.serialize(item as Document);
      out.set(bytes, pos);
      written = bytes.length;
    }
    if (written !== size || out.readInt32LE(pos) !== size) throw new RecordEncodingError(`record element ${i}: wrote ${written} bytes of ${size}`);
    pos += size;
  });
  out[pos++] = 0;
  out.writeInt32LE(pos - arrayStart, arrayStart);
  const tail = BSON.serialize(rest);
  out.set(tail.subarray(4, tail.length - 1), pos);
  pos += tail.length - 5;
  out[pos++] = 0;
  out.writeInt32LE(pos, 0);
  return pos;
}

/** Decodes a freshly encoded payload and checks it holds as many mutations as `doc`. */
function verifyDecodes(doc: Document, payload: Buffer): void {
  let decoded: Document;
  try {
    // Only the mutation count is read: the raw decode, without the in-memory number walk.
    decoded = BSON.deserialize(payload, DESERIALIZE_OPTIONS);
  } catch (err) {
    throw new RecordEncodingError(`encoded record does not decode: ${(err as Error).message}`);
  }
  const want = Array.isArray(doc.m) ? doc.m.length : -1;
  const got = Array.isArray(decoded.m) ? decoded.m.length : -1;
  if (want !== got) throw new RecordEncodingError(`encoded record decodes to ${got} mutations instead of ${want}`);
}

/** Where and why a scan stopped before the end of the file. */
export interface Damage {
  offset: number;
  reason: string;
}

/** One valid record as found in a file. */
export interface RecordInfo {
  offset: number;
  /** Header plus payload. */
  bytes: number;
  /** The writer said more records of the same batch follow. */
  more: boolean;
}

/** Outcome of `scanRecords`: `goodEnd` is the end of the last valid record. */
export interface ScanResult {
  goodEnd: number;
  records: number;
  /** The last valid record, if any. */
  last?: RecordInfo;
  damage?: Damage;
}

/** The outcome of reading the record that starts at one offset. */
type Probe = { ok: true; doc: Document; length: number; more: boolean } | { ok: false; reason: string };

/** Sequential and random reads of one framed file. */
export class RecordFile {
  private readonly reader: ChunkReader;

  constructor(
    readonly fd: number,
    readonly size: number,
  ) {
    this.reader = new ChunkReader(fd, size);
  }

  /** Reads and checks the record at `pos`: plausible length, complete, CRC, decodable, `{ m: [...] }`. */
  probe(pos: number): Probe {
    const size = this.size;
    if (size - pos < HEADER_BYTES) return { ok: false, reason: `short header (${size - pos} bytes)` };
    const header = this.reader.read(pos, HEADER_BYTES);
    const word = header.readUInt32LE(0);
    const length = word & LENGTH_MASK;
    const more = (word & MORE_IN_BATCH) !== 0;
    const expectedCrc = header.readUInt32LE(4);
    if (length < 5 || length > MAX_RECORD_BYTES) return { ok: false, reason: `absurd record length ${length}` };
    if (pos + HEADER_BYTES + length > size) return { ok: false, reason: `short payload (${size - pos - HEADER_BYTES} of ${length} bytes)` };
    // A copy, because the reader reuses its window and bson's Binary keeps a view of its input.
    const payload = Buffer.from(this.reader.read(pos + HEADER_BYTES, length));
    if (crc32(payload) !== expectedCrc) return { ok: false, reason: 'CRC mismatch' };
    let doc: Document;
    try {
      doc = decodeStored(payload);
    } catch (err) {
      return { ok: false, reason: `unparsable BSON (${(err as Error).message})` };
    }
    if (!isRecordShape(doc)) return { ok: false, reason: 'payload is not a { m: [...] } record' };
    return { ok: true, doc, length, more };
  }

  /**
   * Reads records from `from` on, handing each valid one to `onRecord` in order. Stops at the
   * first invalid one and reports it; errors thrown by `onRecord` propagate.
   */
  scan(from: number, onRecord: (doc: Document, info: RecordInfo) => void): ScanResult {
    let pos = from;
    let records = 0;
    let last: RecordInfo | undefined;
    while (pos < this.size) {
      const r = this.probe(pos);
      if (!r.ok) return { goodEnd: pos, records, last, damage: { offset: pos, reason: r.reason } };
      const info: RecordInfo = { offset: pos, bytes: HEADER_BYTES + r.length, more: r.more };
      onRecord(r.doc, info);
      records += 1;
      last = info;
      pos += info.bytes;
    }
    return { goodEnd: pos, records, last };
  }

  /**
   * The first offset at or after `from` where a valid record starts, or undefined. A candidate
   * must have a plausible length word whose payload begins with the same BSON length and ends in
   * a zero byte before the CRC and a decode are even tried, so scanning garbage stays cheap.
   */
  resync(from: number): number | undefined {
    const size = this.size;
    const window = 4 * 1024 * 1024;
    const buf = Buffer.allocUnsafe(window + 12);
    for (let start = from; start + HEADER_BYTES + 5 <= size; start += window) {
      const n = readAt(this.fd, buf, start, Math.min(window + 12, size - start));
      for (let i = 0; i < Math.min(window, n - 11); i++) {
        const length = buf.readUInt32LE(i) & LENGTH_MASK;
        if (length < 5 || length > MAX_RECORD_BYTES) continue;
        const pos = start + i;
        if (pos + HEADER_BYTES + length > size || buf.readInt32LE(i + HEADER_BYTES) !== length) continue;
        if (this.reader.read(pos + HEADER_BYTES + length - 1, 1)[0] !== 0) continue;
        if (this.probe(pos).ok) return pos;
      }
    }
    return undefined;
  }

  /**
   * Every valid record from `from` to the end of the file, resynchronising after each damaged
   * region: what `repair` keeps and what recovery looks at after damage.
   */
  salvage(from: number, onRecord: (doc: Document, info: RecordInfo) => void): { records: RecordInfo[]; damaged: Array<{ start: number; end: number; reason: string }> } {
    const records: RecordInfo[] = [];
    const damaged: Array<{ start: number; end: number; reason: string }> = [];
    let pos = from;
    while (pos < this.size) {
      const result = this.scan(pos, (doc, info) => {
        records.push(info);
        onRecord(doc, info);
      });
      if (!result.damage) break;
      const next = this.resync(result.damage.offset + 1);
      damaged.push({ start: result.damage.offset, end: next ?? this.size, reason: result.damage.reason });
      if (next === undefined) break;
      pos = next;
    }
    return { records, damaged };
  }

  /** SHA-256 (hex) of bytes [0, end) of the file, read in large chunks. */
  digest(end: number): string {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(Math.min(4 * 1024 * 1024, Math.max(end, 1)));
    for (let pos = 0; pos < end; ) {
      const n = readAt(this.fd, buf, pos, Math.min(buf.length, end - pos));
      if (n === 0) break;
      hash.update(n === buf.length ? buf : buf.subarray(0, n));
      pos += n;
    }
    return hash.digest('hex');
  }

  /** The length word at `pos` read as a record that would end at `pos + 8 + length`, if that is inside the file. */
  headerAt(pos: number): { end: number; more: boolean } | undefined {
    if (this.size - pos < HEADER_BYTES) return undefined;
    const word = this.reader.read(pos, 4).readUInt32LE(0);
    const length = word & LENGTH_MASK;
    if (length < 5 || pos + HEADER_BYTES + length > this.size) return undefined;
    return { end: pos + HEADER_BYTES + length, more: (word & MORE_IN_BATCH) !== 0 };
  }
}

/**
 * Reads records from `fd` between 0 and `size`, handing each valid payload to `onRecord` in order.
 * Stops at the first invalid one and reports it; errors thrown by `onRecord` propagate.
 */
export function scanRecords(fd: number, size: number, onRecord: (doc: Document, offset: number) => void): ScanResult {
  return new RecordFile(fd, size).scan(0, (doc, info) => onRecord(doc, info.offset));
}

function isRecordShape(doc: Document): boolean {
  const m: unknown = doc.m;
  return Array.isArray(m) && m.every((x) => typeof x === 'object' && x !== null && typeof (x as { op?: unknown }).op === 'string');
}

/** Fills `buf` with up to `n` bytes of `fd` from `pos`; returns how many were read. */
function readAt(fd: number, buf: Buffer, pos: number, n: number): number {
  let got = 0;
  while (got < n) {
    const r = fs.readSync(fd, buf, got, n - got, pos + got);
    if (r === 0) break;
    got += r;
  }
  return got;
}

/** Sequential reads through a reusable window, so scanning costs one syscall per ~1 MiB, not two per record. */
class ChunkReader {
  private buf = Buffer.allocUnsafe(1024 * 1024);
  private start = 0;
  private length = 0;

  constructor(private readonly fd: number, private readonly size: number) {}

  /** Returns a view of bytes [pos, pos + n); valid until the next call. Callers check bounds first. */
  read(pos: number, n: number): Buffer {
    if (pos < this.start || pos + n > this.start + this.length) this.fill(pos, n);
    return this.buf.subarray(pos - this.start, pos - this.start + n);
  }

  private fill(pos: number, n: number): void {
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
    const want = Math.min(this.buf.length, this.size - pos);
    const got = readAt(this.fd, this.buf, pos, want);
    if (got < want) throw new Error(`file shrank while reading at offset ${pos + got}`);
    this.start = pos;
    this.length = got;
  }
}
