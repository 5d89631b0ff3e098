/**
 * The unified test format's operations, mapped onto the `mongodb` driver's API: collection,
 * database, client, cursor, session and test-runner operations of the CRUD specification tests.
 * Arguments arrive as the format names them; this module renames the few the driver spells
 * differently (returnDocument's case, the session entity, bulk write models) and says whether
 * the result is a root-level document or an array of them (for the matching rules). An operation
 * it does not know throws "runner: unsupported operation X", which fails the test.
 */
import type { AbstractCursor, ClientSession, Collection, Db, MongoClient } from 'mongodb';

/** The entities of one test, by id. */
export type Entities = Map<string, unknown>;

/** An operation's result and how its expectResult is matched. */
export interface OperationResult {
  value: unknown;
  /** The result is a root-level document (extra fields allowed). */
  root: boolean;
  /** The result is an array of root-level documents (find, aggregate...). */
  rootArray?: boolean;
}

type Doc = Record<string, unknown>;
type Handler = (target: never, args: Doc, entities: Entities) => Promise<OperationResult>;

/**
 * A numeric option (skip, limit, batchSize, maxTimeMS...) as a JS number: the files are parsed
 * as canonical extended JSON, which wraps every number (Int32, Double, Long), and the driver reads
 * such options only when they are plain numbers (it silently ignores a wrapped `limit`).
 */
function plainNumber(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && '_bsontype' in value) {
    const type = (value as { _bsontype: string })._bsontype;
    if (type === 'Int32' || type === 'Double' || type === 'Long') return Number((value as { toString(): string }).toString());
  }
  return value;
}

/** The arguments with the session entity resolved, numbers unwrapped and returnDocument in the driver's case. */
function options(args: Doc, entities: Entities, ...taken: string[]): Doc {
  const out: Doc = {};
  for (const [key, value] of Object.entries(args)) {
    if (taken.includes(key)) continue;
    if (key === 'session') out.session = entities.get(String(value));
    else if (key === 'returnDocument') out.returnDocument = String(value).toLowerCase();
    else out[key] = plainNumber(value);
  }
  return out;
}

const root = (value: unknown): OperationResult => ({ value, root: true });
const rootArray = (value: unknown): OperationResult => ({ value, root: false, rootArray: true });
const plain = (value: unknown): OperationResult => ({ value, root: false });

/** The format's client bulk write models as the driver's `client.bulkWrite` takes them. */
function clientModels(models: Doc[]): Doc[] {
  return models.map((model) => {
    const [name, fields] = Object.entries(model)[0] as [string, Doc];
    return { name, ...fields };
  });
}

const collectionOps: Record<string, Handler> = {
  aggregate: async (c: Collection, a, e) => rootArray(await c.aggregate(a.pipeline as Doc[], options(a, e, 'pipeline')).toArray()),
  bulkWrite: async (c: Collection, a, e) => root(await c.bulkWrite(a.requests as never[], options(a, e, 'requests'))),
  countDocuments: async (c: Collection, a, e) => plain(await c.countDocuments(a.filter as Doc, options(a, e, 'filter'))),
  count: async (c: Collection, a, e) => plain(await c.count(a.filter as Doc, options(a, e, 'filter'))),
  estimatedDocumentCount: async (c: Collection, a, e) => plain(await c.estimatedDocumentCount(options(a, e))),
  distinct: async (c: Collection, a, e) => plain(await c.distinct(String(a.fieldName), a.filter as Doc, options(a, e, 'fieldName', 'filter'))),
  deleteOne: async (c: Collection, a, e) => root(await c.deleteOne(a.filter as Doc, options(a, e, 'filter'))),
  deleteMany: async (c: Collection, a, e) => root(await c.deleteMany(a.filter as Doc, options(a, e, 'filter'))),
  find: async (c: Collection, a, e) => rootArray(await c.find(a.filter as Doc, options(a, e, 'filter')).toArray()),
  findOne: async (c: Collection, a, e) => root(await c.findOne(a.filter as Doc, options(a, e, 'filter'))),
  findOneAndDelete: async (c: Collection, a, e) => root(await c.findOneAndDelete(a.filter as Doc, options(a, e, 'filter'))),
  findOneAndReplace: async (c: Collection, a, e) => root(await c.findOneAndReplace(a.filter as Doc, a.replacement as Doc, options(a, e, 'filter', 'replacement'))),
  findOneAndUpdate: async (c: Collection, a, e) => root(await c.findOneAndUpdate(a.filter as Doc, a.update as Doc, options(a, e, 'filter', 'update'))),
  insertOne: async (c: Collection, a, e) => root(await c.insertOne(a.document as Doc, options(a, e, 'document'))),
  insertMany: async (c: Collection, a, e) => root(await c.insertMany(a.documents as Doc[], options(a, e, 'documents'))),
  replaceOne: async (c: Collection, a, e) => root(await c.replaceOne(a.filter as Doc, a.replacement as Doc, options(a, e, 'filter', 'replacement'))),
  updateOne: async (c: Collection, a, e) => root(await c.updateOne(a.filter as Doc, a.update as Doc, options(a, e, 'filter', 'update'))),
  updateMany: async (c: Collection, a, e) => root(await c.updateMany(a.filter as Doc, a.update as Doc, options(a, e, 'filter', 'update'))),
  createIndex: async (c: Collection, a, e) => plain(await c.createIndex(a.keys as never, options(a, e, 'keys'))),
  dropIndex: async (c: Collection, a, e) => root(await c.dropIndex(String(a.name), options(a, e, 'name'))),
  dropIndexes: async (c: Collection, a, e) => plain(await c.dropIndexes(options(a, e))),
  listIndexes: async (c: Collection, a, e) => rootArray(await c.listIndexes(options(a, e)).toArray()),
  createFindCursor: async (c: Collection, a, e) => plain(c.find(a.filter as Doc, options(a, e, 'filter'))),
  rename: async (c: Collection, a, e) => plain(await c.rename(String(a.to), options(a, e, 'to'))),
  drop: async (c: Collection, a, e) => plain(await c.drop(options(a, e))),
};

const databaseOps: Record<string, Handler> = {
  aggregate: async (d: Db, a, e) => rootArray(await d.aggregate(a.pipeline as Doc[], options(a, e, 'pipeline')).toArray()),
  runCommand: async (d: Db, a, e) => root(await d.command(a.command as Doc, options(a, e, 'command', 'commandName'))),
  createCollection: async (d: Db, a, e) => plain(await d.createCollection(String(a.collection), options(a, e, 'collection'))),
  dropCollection: async (d: Db, a, e) => plain(await d.dropCollection(String(a.collection), options(a, e, 'collection'))),
  listCollections: async (d: Db, a, e) => rootArray(await d.listCollections(a.filter as Doc, options(a, e, 'filter')).toArray()),
  modifyCollection: async (d: Db, a) => {
    const { collection, ...changes } = a;
    return root(await d.command({ collMod: String(collection), ...changes }));
  },
  listCollectionNames: async (d: Db, a, e) => plain((await d.listCollections(a.filter as Doc, options(a, e, 'filter')).toArray()).map((c) => c.name)),
};

const clientOps: Record<string, Handler> = {
  clientBulkWrite: async (c: MongoClient, a, e) => root(await c.bulkWrite(clientModels(a.models as Doc[]) as never[], options(a, e, 'models'))),
  listDatabases: async (c: MongoClient, a, e) => rootArray((await c.db('admin').admin().listDatabases(options(a, e))).databases),
};

const cursorOps: Record<string, Handler> = {
  iterateUntilDocumentOrError: async (c: AbstractCursor) => root(await c.next()),
  iterateOnce: async (c: AbstractCursor) => root(await c.tryNext()),
  close: async (c: AbstractCursor) => plain(await c.close()),
};

const sessionOps: Record<string, Handler> = {
  startTransaction: async (s: ClientSession, a) => plain(s.startTransaction(a as never)),
  commitTransaction: async (s: ClientSession) => plain(await s.commitTransaction()),
  abortTransaction: async (s: ClientSession) => plain(await s.abortTransaction()),
  endSession: async (s: ClientSession) => plain(await s.endSession()),
};

/** Test-runner assertions that read the server through a new client of the entity's URI. */
async function testRunnerOp(name: string, args: Doc, entities: Entities): Promise<OperationResult> {
  const anyClient = [...entities.values()].find((v) => v && typeof v === 'object' && 'db' in v && 'bulkWrite' in v) as MongoClient | undefined;
  if (!anyClient) throw new Error('runner: no client entity for a test runner operation');
  const db = anyClient.db(String(args.databaseName));
  if (name === 'assertCollectionExists' || name === 'assertCollectionNotExists') {
    const exists = (await db.listCollections({ name: String(args.collectionName) }).toArray()).length > 0;
    if (exists !== (name === 'assertCollectionExists')) throw Object.assign(new Error(`${name} ${String(args.collectionName)} failed`), { assertion: true });
    return plain(undefined);
  }
  if (name === 'assertIndexExists' || name === 'assertIndexNotExists') {
    const indexes = await db.collection(String(args.collectionName)).listIndexes().toArray().catch(() => []);
    const exists = indexes.some((i) => i.name === args.indexName);
    if (exists !== (name === 'assertIndexExists')) throw Object.assign(new Error(`${name} ${String(args.indexName)} failed`), { assertion: true });
    return plain(undefined);
  }
  if (name === 'failPoint') {
    const client = entities.get(String(args.client)) as MongoClient;
    return plain(await client.db('admin').command(args.failPoint as Doc));
  }
  throw new Error(`runner: unsupported operation ${name}`);
}

/** Which operation table an entity's operations come from. */
function tableFor(target: unknown): Record<string, Handler> | undefined {
  if (target === null || typeof target !== 'object') return undefined;
  const name = target.constructor?.name;
  if (name === 'Collection') return collectionOps;
  if (name === 'Db') return databaseOps;
  if (name === 'MongoClient') return clientOps;
  if (name === 'ClientSession') return sessionOps;
  if (name?.endsWith('Cursor')) return cursorOps;
  return undefined;
}

/** Runs one operation of the format on its object (an entity or "testRunner"). */
export async function runOperation(op: Doc, entities: Entities): Promise<OperationResult> {
  const name = String(op.name);
  const args = (op.arguments ?? {}) as Doc;
  if (op.object === 'testRunner') return testRunnerOp(name, args, entities);
  const target = entities.get(String(op.object));
  if (target === undefined) throw new Error(`runner: no entity ${String(op.object)}`);
  const handler = tableFor(target)?.[name];
  if (!handler) throw new Error(`runner: unsupported operation ${name} on ${String(op.object)}`);
  return handler(target as never, args, entities);
}
