/**
 * Snapshot files: the whole catalog as framed `{ m: [mutation] }` records, closed by a trailer
 * record `{ m: [], end: <mutation count> }`. The trailer tells a complete snapshot from one cut
 * exactly at a record boundary, which the CRCs alone cannot.
 */
import * as fs from 'node:fs';
import type { Document } from 'bson';
import { encodeRecord, scanRecords } from './framing';
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
      push(encodeRecord({ m: [mutation] }));
      mutations += 1;
    }
    push(encodeRecord({ m: [], end: mutations }));
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
    let trailer: Document | undefined;
    const result = scanRecords(fd, size, (doc) => {
      if (trailer) throw corrupt(file, 'records after the trailer');
      if ('end' in doc) {
        trailer = doc;
        return;
      }
      for (const mutation of doc.m as Mutation[]) {
        apply(mutation);
        mutations += 1;
      }
    });
    if (result.damage) throw corrupt(file, `${result.damage.reason} at offset ${result.damage.offset} of ${size}`);
    if (!trailer) throw corrupt(file, 'no trailer record (file is truncated)');
    if (Number(trailer.end) !== mutations) throw corrupt(file, `trailer says ${String(trailer.end)} mutations, found ${mutations}`);
    return { mutations };
  } finally {
    fs.closeSync(fd);
  }
}

function corrupt(file: string, detail: string): Error {
  return new Error(
    `snapshot ${file} is corrupt: ${detail}. Snapshots are only renamed into place after fsync, so this is disk ` +
      'corruption or tampering; restore the data directory from a backup.',
  );
}
