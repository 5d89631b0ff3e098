/**
 * What one stored document and its index entries weigh, in MongoDB's own unit (BSON bytes), read
 * from a live database: the capacity model's "memory per note in MongoDB's terms". Runs where a
 * driver connection is (the API child, over IPC; the tests, in process) and reads nothing but what
 * the server answers:
 *
 * - each document of a collection as the raw BSON the server sends (`find` with `raw: true`), so
 *   the size is the stored document's, types included (an int32 `seq` is 4 bytes, a double 8);
 * - the collection's indexes from `listIndexes` (as the app created them, not as the code declares
 *   them), and for each index the BSON size of every document's key as `returnKey` would show it:
 *   `{ owner: '7', createdAt: 1767225600000, seq: 12 }` (a missing field is null; a sparse index
 *   leaves out a document missing every key field, so it has fewer entries than documents);
 * - what the server says of itself through `collStats`, `dbStats` and `$collStats`, or the error
 *   it answers when it does not implement them (the embedded server does not: that is recorded,
 *   not worked around).
 *
 * These are uncompressed sizes: the RAM working set. WiredTiger stores data blocks compressed
 * (snappy) and index keys prefix-compressed, so its files are smaller than these numbers.
 */
import { BSON, type Document } from 'bson';
import type mongoose from 'mongoose';

type Db = mongoose.mongo.Db;

/** One index of a collection and what its keys weigh over the documents measured. */
export interface IndexKeySize {
  name: string;
  key: Record<string, unknown>;
  unique: boolean;
  sparse: boolean;
  /** Whether it has a partialFilterExpression (then only the documents matching it have an entry). */
  partial?: boolean;
  /** Documents with an entry in the index (all of them unless the index is sparse or partial). */
  entries: number;
  /** Key bytes of all entries ÷ documents measured: what each document adds to this index. */
  bytesPerDocument: number;
  /** Key bytes ÷ entries (null without entries). */
  bytesPerEntry: number | null;
}

/** The documents of one collection (or those matching a filter) and their index keys. */
export interface CollectionSizes {
  collection: string;
  documents: number;
  /** Mean, smallest and largest BSON size of a document, bytes. */
  documentBytes: { mean: number; min: number; max: number };
  indexes: IndexKeySize[];
  /** Σ of the indexes' bytesPerDocument. */
  indexBytesPerDocument: number;
}

/** What the server answered to one statistics command: its figures, or its error. */
export interface ServerStatsProbe {
  command: string;
  ok: boolean;
  /** The error's first line, when the server refused the command. */
  error?: string;
  /** The figures MongoDB documents for the command (count, size, avgObjSize, storageSize, totalIndexSize, indexSizes, ...). */
  figures?: Record<string, unknown>;
}

/** An index as `listIndexes` describes it. */
export interface IndexDescription {
  name: string;
  key: Record<string, unknown>;
  unique?: boolean;
  sparse?: boolean;
  partialFilterExpression?: Document;
}

/** The value at a dotted path (`idem.key`), or undefined when any step is missing. */
function valueAt(doc: Document, dotted: string): unknown {
  let value: unknown = doc;
  for (const step of dotted.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

/**
 * The key `doc` has in `index`, named as in the key pattern (what `returnKey` shows), or null
 * when a sparse index leaves the document out (every key field missing).
 */
export function indexKeyOf(doc: Document, index: Pick<IndexDescription, 'key' | 'sparse'>): Document | null {
  const key: Document = {};
  let present = 0;
  for (const field of Object.keys(index.key)) {
    const value = valueAt(doc, field);
    if (value !== undefined) present += 1;
    key[field] = value === undefined ? null : value;
  }
  return index.sparse && present === 0 ? null : key;
}

/** BSON size of `doc`'s key in `index` (0 when the index leaves it out). */
export function indexKeyBytes(doc: Document, index: Pick<IndexDescription, 'key' | 'sparse'>): number {
  const key = indexKeyOf(doc, index);
  return key === null ? 0 : BSON.calculateObjectSize(key);
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** For a partial index, the `_id`s (as strings) of the documents of `filter` it holds; null for a full index. */
async function membersOfPartial(db: Db, collection: string, index: IndexDescription, filter: Document): Promise<Set<string> | null> {
  if (!index.partialFilterExpression) return null;
  const docs = db.collection(collection).find({ $and: [filter, index.partialFilterExpression] }, { projection: { _id: 1 } });
  const ids = new Set<string>();
  for await (const doc of docs) ids.add(String(doc._id));
  return ids;
}

/**
 * Reads every document of `collection` matching `filter` as raw BSON, and sums its size and its
 * key in each index `listIndexes` names. A partial index holds only the documents its
 * `partialFilterExpression` matches: the server is asked which those are (membersOfPartial).
 */
export async function collectionSizes(db: Db, collection: string, filter: Document = {}): Promise<CollectionSizes> {
  const coll = db.collection(collection);
  const indexes = (await coll.listIndexes().toArray()) as IndexDescription[];
  const members = await Promise.all(indexes.map((index) => membersOfPartial(db, collection, index, filter)));
  const keyBytes = indexes.map(() => 0);
  const entries = indexes.map(() => 0);
  let documents = 0;
  let total = 0;
  let min = Infinity;
  let max = 0;
  for await (const raw of coll.find(filter, { raw: true, batchSize: 1000 })) {
    const bytes = raw as unknown as Uint8Array;
    const doc = BSON.deserialize(bytes);
    documents += 1;
    total += bytes.length;
    min = Math.min(min, bytes.length);
    max = Math.max(max, bytes.length);
    indexes.forEach((index, i) => {
      const member = members[i];
      const size = member && !member.has(String(doc._id)) ? 0 : indexKeyBytes(doc, index);
      keyBytes[i] += size;
      if (size > 0) entries[i] += 1;
    });
  }
  const perDocument = (bytes: number) => (documents === 0 ? 0 : round(bytes / documents));
  const sizes = indexes.map((index, i) => ({
    name: index.name,
    key: index.key,
    unique: index.unique === true,
    sparse: index.sparse === true,
    partial: index.partialFilterExpression !== undefined,
    entries: entries[i],
    bytesPerDocument: perDocument(keyBytes[i]),
    bytesPerEntry: entries[i] === 0 ? null : round(keyBytes[i] / entries[i]),
  }));
  return {
    collection,
    documents,
    documentBytes: { mean: perDocument(total), min: documents === 0 ? 0 : min, max },
    indexes: sizes,
    indexBytesPerDocument: round(sizes.reduce((sum, s) => sum + s.bytesPerDocument, 0)),
  };
}

const FIGURES = ['count', 'size', 'avgObjSize', 'storageSize', 'totalIndexSize', 'totalSize', 'indexSizes', 'objects', 'dataSize', 'indexSize', 'nindexes'];

function figuresOf(result: Document): Record<string, unknown> {
  // $collStats nests its figures under storageStats.
  const source = (result.storageStats as Document | undefined) ?? result;
  return Object.fromEntries(FIGURES.filter((f) => source[f] !== undefined).map((f) => [f, source[f]]));
}

async function probe(command: string, run: () => Promise<Document>): Promise<ServerStatsProbe> {
  try {
    return { command, ok: true, figures: figuresOf(await run()) };
  } catch (err) {
    return { command, ok: false, error: (err as Error).message.split('\n')[0] };
  }
}

/** Asks the server for `collStats`, `$collStats` (storageStats) and `dbStats`; records its figures or its refusal. */
export async function serverStats(db: Db, collection: string): Promise<ServerStatsProbe[]> {
  return [
    await probe(`collStats ${collection}`, () => db.command({ collStats: collection })),
    await probe(`$collStats ${collection}`, async () => (await db.collection(collection).aggregate([{ $collStats: { storageStats: {} } }]).toArray())[0] ?? {}),
    await probe('dbStats', () => db.command({ dbStats: 1 })),
  ];
}

/** What the orchestrator asks the API child to size: collections (each optionally filtered) and whose server statistics to ask for. */
export interface SizesRequest {
  collections: Array<{ name: string; filter?: Document }>;
  statsOf?: string;
}

/** The sizes of the collections asked for, and (when `statsOf` is set) the server's own statistics of that collection. */
export async function measureSizes(db: Db, request: SizesRequest): Promise<{ collections: CollectionSizes[]; serverStats: ServerStatsProbe[] }> {
  const collections: CollectionSizes[] = [];
  for (const { name, filter } of request.collections) collections.push(await collectionSizes(db, name, filter));
  return { collections, serverStats: request.statsOf ? await serverStats(db, request.statsOf) : [] };
}
