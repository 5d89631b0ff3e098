/** File names in a data directory and the directory-level operations the journal needs. */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Path of the journal of generation `gen`. */
export const journalPath = (dir: string, gen: number): string => path.join(dir, `journal-${gen}.log`);
/** Path of the (complete, fsynced) snapshot that starts generation `gen`. */
export const snapshotPath = (dir: string, gen: number): string => path.join(dir, `snapshot-${gen}.bson`);
/** Path where the snapshot of generation `gen` is written before it is renamed into place. */
export const snapshotTmpPath = (dir: string, gen: number): string => path.join(dir, `snapshot-${gen}.tmp`);

/** What a data directory holds, generations sorted ascending. */
export interface DirListing {
  journals: number[];
  snapshots: number[];
  temps: string[];
}

/** Lists the generations present in `dir`; unknown files are ignored. */
export function listDir(dir: string): DirListing {
  const listing: DirListing = { journals: [], snapshots: [], temps: [] };
  for (const name of fs.readdirSync(dir)) {
    let m: RegExpExecArray | null;
    if ((m = /^journal-(\d+)\.log$/.exec(name))) listing.journals.push(Number(m[1]));
    else if ((m = /^snapshot-(\d+)\.bson$/.exec(name))) listing.snapshots.push(Number(m[1]));
    else if (/^snapshot-\d+\.tmp$/.test(name)) listing.temps.push(path.join(dir, name));
  }
  listing.journals.sort((a, b) => a - b);
  listing.snapshots.sort((a, b) => a - b);
  return listing;
}

/** Makes creations, renames and deletions in `dir` durable (a file's own fsync does not cover its name). */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Windows cannot open or fsync a directory; there the rename itself is as durable as it gets.
    if (!isUnsupportedDirSync(err)) throw err;
  } finally {
    await handle?.close();
  }
}

/** Synchronous `fsyncDir`, for start-up and shutdown paths. */
export function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    if (!isUnsupportedDirSync(err)) throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function isUnsupportedDirSync(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL';
}

/** Writes all of `buf` to `fd` at the current position (appending for 'a' descriptors). */
export function writeAllSync(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off, buf.length - off);
}

/** Async `writeAllSync`: loops because a write may be partial. */
export async function writeAll(fd: number, buf: Uint8Array): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    off += await new Promise<number>((resolve, reject) =>
      fs.write(fd, buf, off, buf.length - off, null, (err, n) => (err ? reject(err) : resolve(n))),
    );
  }
}

/** Promise form of `fs.fdatasync` on a raw descriptor. */
export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

/** Promise form of `fs.close` on a raw descriptor. */
export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())));
}
