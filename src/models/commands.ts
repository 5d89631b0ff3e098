/**
 * The driver paths of the API's database work, each timed into `tn_db_command_duration_seconds`
 * where it is called (the driver's command monitoring would build an event and decode every
 * reply in full for it, about 25 µs a command).
 *
 * Reads of the request path are sent as plain `find`/`count` commands (`Db.command`): a
 * `find` that returns its one batch needs no cursor object, and mongoose's query layer (casting,
 * hooks, hydration options) has nothing to do for filters and projections the controllers build
 * from validated values. The commands are MongoDB's own, so a real MongoDB answers them the
 * same; like every `Db.command`, they read from the primary. Writes go through the driver's
 * collection methods, which keep its write-error handling and retryable writes.
 */
import type { Model } from 'mongoose';
import { config } from '../config';
import { dbCommandDuration } from '../metrics';
import { currentTally } from '../requestTiming';

/** The wire command names this module times (a fixed set: the metric's label values). */
export type CommandName = 'find' | 'count' | 'aggregate' | 'insert' | 'update' | 'delete' | 'findAndModify' | 'ping';

/**
 * Runs one database command and records how long it took (from this call to its result): by name
 * and outcome in the metric, and into the current request's tally (its `Server-Timing`, see
 * src/requestTiming.ts) when there is one.
 */
export async function timed<T>(command: CommandName, run: () => Promise<T>): Promise<T> {
  const tally = currentTally();
  if (!config.metrics.dbCommands && tally === undefined) return run();
  const started = performance.now();
  let outcome: 'ok' | 'error' = 'error';
  try {
    const result = await run();
    outcome = 'ok';
    return result;
  } finally {
    const ms = performance.now() - started;
    if (config.metrics.dbCommands) dbCommandDuration.observe({ command, outcome }, ms / 1000);
    tally?.record(ms);
  }
}

/** A filter, projection or command: plain BSON-able values. */
export type Document = Record<string, unknown>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any model: only its connection and collection name are used.
type AnyModel = Model<any>;

/** The driver's `Db` of a model's connection; before the first connection there is none. */
function dbOf(model: AnyModel) {
  const db = model.db.db;
  if (!db) throw new Error('the database is not connected');
  return db;
}

/** What `findMany` sends besides the filter. */
export interface FindOptions {
  projection: Document;
  sort?: Record<string, 1 | -1>;
  skip?: number;
  /** At most this many documents, all in the first batch (so at most 16 MiB of them). */
  limit: number;
}

/**
 * The documents matching `filter`, in one `find` round trip: `singleBatch` closes the cursor on
 * the server with its first batch, so nothing is left open and no `killCursors` follows.
 */
export async function findMany<T>(model: AnyModel, filter: Document, options: FindOptions): Promise<T[]> {
  const command: Document = { find: model.collection.collectionName, filter, projection: options.projection };
  if (options.sort) command.sort = options.sort;
  if (options.skip) command.skip = options.skip;
  command.limit = options.limit;
  command.batchSize = options.limit;
  command.singleBatch = true;
  const reply = await timed('find', () => dbOf(model).command(command));
  return (reply.cursor as { firstBatch: T[] }).firstBatch;
}

/** The first document matching `filter`, or null. */
export async function findOne<T>(model: AnyModel, filter: Document, projection: Document): Promise<T | null> {
  const docs = await findMany<T>(model, filter, { projection, limit: 1 });
  return docs.length > 0 ? docs[0] : null;
}

/** How many documents match `filter` (the `count` command: no aggregation cursor). */
export async function count(model: AnyModel, filter: Document): Promise<number> {
  const reply = await timed('count', () => dbOf(model).command({ count: model.collection.collectionName, query: filter }));
  return Number(reply.n);
}

/** Whether each database (a driver `Db`) plans `[$match, $facet]` with its indexes. */
const facetPlanning = new WeakMap<object, Promise<boolean>>();

/**
 * Whether the model's database answers `[$match, $facet {count, page}]` through its indexes:
 * the embedded server says so in `buildInfo.embeddedFeatures`; MongoDB, which feeds every
 * matching document to `$facet`, does not. Asked once per connection.
 */
export function plansFacets(model: AnyModel): Promise<boolean> {
  const db = dbOf(model);
  let known = facetPlanning.get(db);
  if (!known) {
    known = db.command({ buildInfo: 1 }).then(
      (info) => Array.isArray(info.embeddedFeatures) && info.embeddedFeatures.includes('plannedFacet'),
      () => false,
    );
    facetPlanning.set(db, known);
  }
  return known;
}

/**
 * Sets what `plansFacets` answers for the model's database: tests use it to run the list through
 * the path a MongoDB server gets (count and find) against the embedded server.
 */
export function setFacetPlanning(model: AnyModel, plans: boolean): void {
  facetPlanning.set(dbOf(model), Promise.resolve(plans));
}

/** The first batch of an aggregation (at most 16 MiB: one `$facet` document here). */
export async function aggregateOne<T>(model: AnyModel, pipeline: Document[]): Promise<T | null> {
  const reply = await timed('aggregate', () => dbOf(model).command({ aggregate: model.collection.collectionName, pipeline, cursor: {} }));
  const batch = (reply.cursor as { firstBatch: T[] }).firstBatch;
  return batch.length > 0 ? batch[0] : null;
}
