/**
 * Record framing shared by journals and snapshots: `[u32 LE length][u32 LE CRC-32 of payload][BSON payload]`.
 *
 * Every payload is a BSON document `{ m: Mutation[] }` (a snapshot's last record also carries
 * `end`). The CRC catches torn and flipped bytes; the length cap and the shape check catch
 * garbage (e.g. the zero-filled tail ext4 can leave after a crash) before it is trusted.
 */
import * as fs from 'node:fs';
import { crc32 } from 'node:zlib';
import { BSON, type DeserializeOptions, type Document } from 'bson';

/**
 * How stored payloads are decoded. Int64 stays a `Long` (a JS number never serialises as
 * int64, so a `Long` in a document was put there on purpose); int32 and double become numbers,
 * as the driver does; Dates, ObjectIds, Binary and Decimal128 keep their classes. A `Double`
 * or `Int32` wrapper object comes back as a plain number.
 */
export const STORAGE_BSON_DESERIALIZE_OPTIONS: Readonly<DeserializeOptions> = Object.freeze({ promoteLongs: false });

/** Bytes of the header in front of each payload. */
export const HEADER_BYTES = 8;
/** Larger lengths can only be garbage: no commit or snapshot record gets near this. */
export const MAX_RECORD_BYTES = 1024 * 1024 * 1024;
/** bson's default scratch buffer; bigger documents need `minInternalBufferSize`. */
const BSON_DEFAULT_BUFFER = 17 * 1024 * 1024;

/** Serialises `doc` and frames it as one record (header and payload in one buffer). */
export function encodeRecord(doc: Document): Buffer {
  let payload: Uint8Array;
  try {
    payload = BSON.serialize(doc);
  } catch (err) {
    // Only a document bigger than bson's scratch buffer is worth a second, sized attempt.
    const size = BSON.calculateObjectSize(doc);
    if (size <= BSON_DEFAULT_BUFFER) throw err;
    // Grows bson's shared scratch buffer for good; rare enough (one huge commit) to accept.
    BSON.setInternalBufferSize(size);
    payload = BSON.serialize(doc);
  }
  if (payload.length > MAX_RECORD_BYTES) throw new RangeError(`record of ${payload.length} bytes exceeds ${MAX_RECORD_BYTES}`);
  const record = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  record.writeUInt32LE(payload.length, 0);
  record.writeUInt32LE(crc32(payload), 4);
  record.set(payload, HEADER_BYTES);
  return record;
}

/** Where and why a scan stopped before the end of the file. */
export interface Damage {
  offset: number;
  reason: string;
}

/** Outcome of `scanRecords`: `goodEnd` is the end of the last valid record. */
export interface ScanResult {
  goodEnd: number;
  records: number;
  damage?: Damage;
}

/**
 * Reads records from `fd` between 0 and `size`, handing each valid payload to `onRecord` in order.
 * Stops at the first invalid one and reports it; errors thrown by `onRecord` propagate.
 */
export function scanRecords(fd: number, size: number, onRecord: (doc: Document, offset: number) => void): ScanResult {
  const reader = new ChunkReader(fd, size);
  let pos = 0;
  let records = 0;
  const stop = (reason: string): ScanResult => ({ goodEnd: pos, records, damage: { offset: pos, reason } });
  while (pos < size) {
    if (size - pos < HEADER_BYTES) return stop(`short header (${size - pos} bytes)`);
    const header = reader.read(pos, HEADER_BYTES);
    const length = header.readUInt32LE(0);
    const expectedCrc = header.readUInt32LE(4);
    if (length < 5 || length > MAX_RECORD_BYTES) return stop(`absurd record length ${length}`);
    if (pos + HEADER_BYTES + length > size) return stop(`short payload (${size - pos - HEADER_BYTES} of ${length} bytes)`);
    // A copy, because the reader reuses its window and bson's Binary keeps a view of its input.
    const payload = Buffer.from(reader.read(pos + HEADER_BYTES, length));
    if (crc32(payload) !== expectedCrc) return stop('CRC mismatch');
    let doc: Document;
    try {
      doc = BSON.deserialize(payload, STORAGE_BSON_DESERIALIZE_OPTIONS);
    } catch (err) {
      return stop(`unparsable BSON (${(err as Error).message})`);
    }
    if (!isRecordShape(doc)) return stop('payload is not a { m: [...] } record');
    onRecord(doc, pos);
    records += 1;
    pos += HEADER_BYTES + length;
  }
  return { goodEnd: pos, records };
}

function isRecordShape(doc: Document): boolean {
  const m: unknown = doc.m;
  return Array.isArray(m) && m.every((x) => typeof x === 'object' && x !== null && typeof (x as { op?: unknown }).op === 'string');
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
    let got = 0;
    while (got < want) {
      const r = fs.readSync(this.fd, this.buf, got, want - got, pos + got);
      if (r === 0) throw new Error(`file shrank while reading at offset ${pos + got}`);
      got += r;
    }
    this.start = pos;
    this.length = got;
  }
}
