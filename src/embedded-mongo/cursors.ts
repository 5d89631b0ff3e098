/**
 * Open cursors: the results a find/aggregate had left after its first batch, handed out by
 * getMore. Results are computed eagerly; stored documents are immutable, so holding them is safe.
 */
import { BSON, Long, type Document } from 'bson';
import { CommandError } from './errors';
import { SERIALIZE_OPTIONS } from './bson-options';

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
  first(ns: string, docs: Document[], batchSize: number | undefined, singleBatch = false): Document {
    this.sweep();
    const batch = takeBatch(docs, 0, batchSize ?? DEFAULT_BATCH_SIZE);
    let id = Long.ZERO;
    if (!singleBatch && batch.length < docs.length) {
      id = this.next;
      this.next = this.next.add(1);
      this.open.set(id.toString(), { ns, docs, position: batch.length, lastUsed: Date.now() });
    }
    return { firstBatch: batch, id, ns };
  }

  /** The next batch of cursor `id` (a number or Long as deserialised). */
  more(id: unknown, batchSize: number | undefined): Document {
    const key = cursorKey(id);
    const cursor = this.open.get(key);
    if (!cursor) throw new CommandError('CursorNotFound', `cursor id ${key} not found`);
    const batch = takeBatch(cursor.docs, cursor.position, batchSize && batchSize > 0 ? batchSize : Infinity);
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

function takeBatch(docs: Document[], from: number, size: number): Document[] {
  const end = Math.min(docs.length, from + size);
  const batch: Document[] = [];
  let bytes = 0;
  for (let i = from; i < end; i++) {
    bytes += BSON.calculateObjectSize(docs[i], SERIALIZE_OPTIONS);
    if (bytes > MAX_BATCH_BYTES && batch.length > 0) break;
    batch.push(docs[i]);
  }
  return batch;
}
