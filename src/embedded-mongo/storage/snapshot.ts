/**
 * Snapshot files: the whole catalog as framed `{ m: [mutation] }` records, closed by a trailer
 * record `{ m: [], end: <mutation count>, records: <record count>, sha256: <hex> }`. The CRCs
 * check each record; the trailer checks the file as a whole: it tells a complete snapshot from
 * one cut exactly at a record boundary, and its SHA-256 of every byte before it catches records
 * that are intact on their own but missing, repeated or swapped. Snapshots written before the
 * digest existed carry only `end`, and are checked by that alone.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Document } from 'bson';
import { encodeRecord, RecordFile } from './framing';
import { writeAllSync } from './layout';
import type { Mutation } from './persistence';

const WRITE_CHUNK_BYTES = 1024 * 1024;

/**
 * Writes every mutation of `source` to a new file at `file` without fsyncing it, and returns the
 * still-open descriptor so the caller can fsync off the event loop. Synchronous on purpose: the
 * source must be read at one instant, before any later write changes the catalog.
 */
export function writeSnapshotSync(file: string, source: Iterable<Mutation>): { fd: number; bytes: number; mutations: number } {
  const fd = fs.openSync(file, 'w');
  try {
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    let bytes = 0;
    let mutations = 0;
    const digest = createHash('sha256');
    const push = (record: Buffer): void => {
      chunk.push(record);
      chunkBytes += record.length;
      bytes += record.length;
      if (chunkBytes >= WRITE_CHUNK_BYTES) {
        writeAllSync(fd, Buffer.concat(chunk));
        chunk = [];
        chunkBytes = 0;
      }
    };
    for (const mutation of source) {
      const record = encodeRecord({ m: [mutation] }, { redecode: false });
      digest.update(record);
      push(record);
      mutations += 1;
    }
    push(encodeRecord({ m: [], end: mutations, records: mutations, sha256: digest.digest('hex') }));
    if (chunkBytes > 0) writeAllSync(fd, Buffer.concat(chunk));
    return { fd, bytes, mutations };
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw err;
  }
}

/** Applies every mutation of the snapshot at `file`; any damage is a hard error, as snapshots are fsynced before they get their name. */
export function readSnapshot(file: string, apply: (mutation: Mutation) => void): { mutations: number } {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    let mutations = 0;
    let records = 0;
    let trailer: { doc: Document; offset: number } | undefined;
    const reader = new RecordFile(fd, size);
    const result = reader.scan(0, (doc, info) => {
      if (trailer) throw corrupt(file, `a record at offset ${info.offset} follows the trailer at offset ${trailer.offset}`);
      if ('end' in doc) {
        trailer = { doc, offset: info.offset };
        return;
      }
      records += 1;
      for (const mutation of doc.m as Mutation[]) {
        apply(mutation);
        mutations += 1;
      }
    });
    if (result.damage) throw corrupt(file, `${result.damage.reason} at offset ${result.damage.offset} of ${size}`);
    if (!trailer) throw corrupt(file, `no trailer record (file is truncated at offset ${size})`);
    const t = trailer.doc;
    if (Number(t.end) !== mutations) throw corrupt(file, `trailer at offset ${trailer.offset} says ${String(t.end)} mutations, found ${mutations}`);
    if (t.records !== undefined && Number(t.records) !== records) throw corrupt(file, `trailer at offset ${trailer.offset} says ${String(t.records)} records, found ${records}`);
    if (t.sha256 !== undefined && t.sha256 !== reader.digest(trailer.offset)) {
      throw corrupt(file, `SHA-256 of bytes 0-${trailer.offset} does not match the trailer at offset ${trailer.offset}`);
    }
    return { mutations };
  } finally {
    fs.closeSync(fd);
  }
}

/** The error for a damaged snapshot, naming the file, where, and what to do. */
function corrupt(file: string, detail: string): Error {
  return new Error(
    `snapshot ${file} is corrupt: ${detail}. Snapshots are only renamed into place after fsync, so this is disk ` +
      `corruption or tampering. Start-up refused; the file is left as it is. Run \`npm run repair -- ${path.dirname(file)}\` to keep ` +
      'every intact record and see what was lost, or restore the data directory from a backup.',
  );
}
