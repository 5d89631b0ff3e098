/**
 * Open cursors: the results a find/aggregate had left after its first batch, handed out by
 * getMore. Results are computed eagerly; stored documents are immutable, so holding them is safe.
 *
 * Time limits: a cursor keeps what is left of its command's `maxTimeMS`, as MongoDB does, and a
 * getMore stops at that or at its own `maxTimeMS`, whichever comes first (MongoDB refuses
 * `maxTimeMS` on a getMore of a non-tailable cursor; this server honours it). A getMore that runs
 * out of time fails with MaxTimeMSExpired and closes the cursor.
 */
import { performance } from 'node:perf_hooks';
import { BSON, Long, type Document } from 'bson';
import { Codes, CommandError } from './errors';
import { SERIALIZE_OPTIONS } from './bson-options';
import { Deadline, NO_DEADLINE } from './deadline';

/** Default size of a first batch, as in MongoDB. */
export const DEFAULT_BATCH_SIZE = 101;
/** A batch stops growing past this many bytes, keeping replies under the 16 MiB limit. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024 - 64 * 1024;
/** Idle cursors are dropped after this long, like MongoDB's cursorTimeoutMillis. */
const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

interface OpenCursor {
  ns: string;
  docs: Document[];
  position: number;
  lastUsed: number;
  /** Milliseconds of the command's maxTimeMS not used yet (Infinity: no limit). */
  leftoverMs: number;
}

/** The open cursors of one server. */
export class CursorStore {
  private readonly open = new Map<string, OpenCursor>();
  // Start somewhere random so ids from an earlier server run are not reused by accident.
  private next = Long.fromNumber(Math.floor(Math.random() * 2 ** 31) + 1);

  /**
   * Takes the first batch from `docs` and, unless that exhausts them (or `singleBatch`),
   * registers a cursor for the rest. Returns the `cursor` field of the reply.
   */
  first(ns: string, docs: Document[], batchSize: number | undefined, singleBatch = false, deadline: Deadline = NO_DEADLINE): Document {
    this.sweep();
    const batch = takeBatch(docs, 0, batchSize ?? DEFAULT_BATCH_SIZE, deadline);
    let id = Long.ZERO;
    if (!singleBatch && batch.length < docs.length) {
      id = this.next;
      this.next = this.next.add(1);
      this.open.set(id.toString(), { ns, docs, position: batch.length, lastUsed: Date.now(), leftoverMs: Math.max(0, deadline.remaining()) });
    }
    return { firstBatch: batch, id, ns };
  }

  /** The next batch of cursor `id` (a number or Long as deserialised). */
  more(id: unknown, batchSize: number | undefined, deadline: Deadline = NO_DEADLINE): Document {
    const key = cursorKey(id);
    const cursor = this.open.get(key);
    if (!cursor) throw new CommandError('CursorNotFound', `cursor id ${key} not found`);
    const started = performance.now();
    const limit = cursor.leftoverMs === Infinity ? deadline : deadline.min(Deadline.in(cursor.leftoverMs));
    let batch: Document[];
    try {
      batch = takeBatch(cursor.docs, cursor.position, batchSize && batchSize > 0 ? batchSize : Infinity, limit);
    } catch (err) {
      // As MongoDB: a cursor whose getMore ran out of time is gone.
      if (err instanceof CommandError && err.code === Codes.MaxTimeMSExpired) this.open.delete(key);
      throw err;
    }
    cursor.leftoverMs = Math.max(0, cursor.leftoverMs - (performance.now() - started));
    cursor.position += batch.length;
    cursor.lastUsed = Date.now();
    const exhausted = cursor.position >= cursor.docs.length;
    if (exhausted) this.open.delete(key);
    return { nextBatch: batch, id: exhausted ? Long.ZERO : Long.fromString(key), ns: cursor.ns };
  }

  /** Closes a cursor; returns whether it existed. */
  kill(id: unknown): boolean {
    return this.open.delete(cursorKey(id));
  }

  /** Closes every cursor (server shutdown). */
  clear(): void {
    this.open.clear();
  }

  // Swept lazily instead of by a timer, so an idle server holds no handles open.
  private sweep(): void {
    const limit = Date.now() - IDLE_TIMEOUT_MS;
    for (const [key, cursor] of this.open) if (cursor.lastUsed < limit) this.open.delete(key);
  }
}

function cursorKey(id: unknown): string {
  if (id instanceof Long) return id.toString();
  if (typeof id === 'number' || typeof id === 'bigint') return String(id);
  throw new CommandError('TypeMismatch', 'cursor id must be a number');
}

function takeBatch(docs: Document[], from: number, size: number, deadline: Deadline): Document[] {
  const end = Math.min(docs.length, from + size);
  const batch: Document[] = [];
  let bytes = 0;
  for (let i = from; i < end; i++) {
    deadline.tick();
    bytes += BSON.calculateObjectSize(docs[i], SERIALIZE_OPTIONS);
    if (bytes > MAX_BATCH_BYTES && batch.length > 0) break;
    batch.push(docs[i]);
  }
  return batch;
}
