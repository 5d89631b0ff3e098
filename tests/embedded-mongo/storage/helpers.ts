/** Shared fixtures for the storage tests: a tiny catalog, dead pids (temp directories: tests/helpers/tmp.ts). */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EJSON, type Document } from 'bson';
import { HEADER_BYTES } from '../../../src/embedded-mongo/storage/framing';
import { JournalPersistence, type JournalOptions } from '../../../src/embedded-mongo/storage/journal';
import type { Mutation } from '../../../src/embedded-mongo/storage/persistence';

/** The pid of a process that has already exited. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (child.pid === undefined) throw new Error('could not spawn node');
  return child.pid;
}

/** Makes `dir` look like its owner was killed: the LOCK names a dead process. */
export function killOwner(dir: string): void {
  fs.writeFileSync(path.join(dir, 'LOCK'), `${deadPid()}\n`);
}

/** Log lines captured from a JournalPersistence. */
export interface Captured {
  lines: string[];
  log: NonNullable<JournalOptions['log']>;
}

/** A log function that records `level: msg` lines. */
export function captureLog(): Captured {
  const lines: string[] = [];
  return { lines, log: (level, msg) => lines.push(`${level}: ${msg}`) };
}

/** Opens `dir` and returns the persistence with every mutation it replayed. */
export async function openAndLoad(options: JournalOptions): Promise<{ p: JournalPersistence; replayed: Mutation[] }> {
  const p = new JournalPersistence(options);
  const replayed: Mutation[] = [];
  await p.load((m) => replayed.push(m));
  return { p, replayed };
}

/** A minimal catalog keyed by namespace and _id, enough to check state after replays. */
export class MiniCatalog {
  readonly docs = new Map<string, Document>();

  /** Applies one mutation the way the command layer would. */
  apply = (m: Mutation): void => {
    if (m.op === 'put') this.docs.set(this.key(m.db, m.coll, m.doc._id), m.doc);
    else if (m.op === 'delete') this.docs.delete(this.key(m.db, m.coll, m.id));
    else if (m.op === 'dropCollection') for (const k of [...this.docs.keys()]) if (k.startsWith(`${m.db}.${m.coll}/`)) this.docs.delete(k);
  };

  /** The whole state as mutations, for `setSnapshotSource`. */
  *snapshot(): Iterable<Mutation> {
    for (const [k, doc] of this.docs) {
      const ns = k.slice(0, k.indexOf('/'));
      const dot = ns.indexOf('.');
      yield { op: 'put', db: ns.slice(0, dot), coll: ns.slice(dot + 1), doc };
    }
  }

  /** Canonical text of the state, for equality checks that keep BSON types visible. */
  dump(): string[] {
    return [...this.docs.entries()].map(([k, d]) => `${k} ${EJSON.stringify(d, { relaxed: false })}`).sort();
  }

  private key(db: string, coll: string, id: unknown): string {
    return `${db}.${coll}/${EJSON.stringify({ id }, { relaxed: false })}`;
  }
}

/** Names of the files in `dir`, sorted. */
export function filesIn(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

/** Offsets where each record of a framed file starts, followed by the file's size. */
export function recordOffsets(file: string): number[] {
  const buf = fs.readFileSync(file);
  const offsets: number[] = [];
  // The top bit of the length word flags "more of this write batch follows" (framing.ts).
  for (let pos = 0; pos < buf.length; pos += HEADER_BYTES + (buf.readUInt32LE(pos) & 0x7fff_ffff)) offsets.push(pos);
  return [...offsets, buf.length];
}
