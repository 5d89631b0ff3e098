/**
 * Reads by a key unique within a scope (a note's `id` within its `owner`), batched: every look-up
 * made while the event loop handles one round of I/O (all requests whose bytes arrived together)
 * goes to the database when that round is over (`setImmediate`) as one
 * `find {scope, key: {$in: [...]}}` per scope present in the round, so under concurrent load the
 * driver's per-command cost (about a quarter of a millisecond of this thread's CPU here, as much
 * as a whole bare Express request) is shared by the requests of the round that read the same
 * scope. Alone, a look-up waits only for the end of its own round.
 *
 * Every command carries an equality on the scope (the shard key of the collection, see
 * docs/scaling.md): on a cluster sharded by it, each goes to the one shard that holds the scope,
 * never to all of them, and a document of another scope is never read at all.
 *
 * Every request of a batch arrived before its command was sent, so each sees every write
 * acknowledged before it arrived, exactly as with a command of its own; nothing is ever served
 * from an earlier read. At most MAX_BATCH keys go into one command (a scope's full batch is sent
 * at once), so a reply stays far below 16 MiB. A failed command fails every look-up of its batch
 * with the same error, as each would have failed alone.
 */
import type { Model } from 'mongoose';
import { BatchTallies } from '../requestTiming';
import { aggregateOne, findMany, type Document } from './commands';

/** Keys per command at most. */
export const MAX_BATCH = 100;

interface Waiting<T> {
  resolve(doc: T | null): void;
  reject(err: unknown): void;
}

/** The pending look-ups of one scope, and the Server-Timing tallies of their requests. */
interface ScopeBatch<T> {
  keys: Map<string, Waiting<T>[]>;
  tallies: BatchTallies;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any model: only its connection and collection name are used.
type AnyModel = Model<any>;

/** Which fields a `BatchedLookup` reads by: `key` is unique among the documents of one `scope` value. */
export interface LookupFields {
  scope: string;
  key: string;
}

/** Look-ups of one collection by a scope and a key unique within it, batched per event-loop round and scope. */
export class BatchedLookup<T extends object> {
  private pending = new Map<string, ScopeBatch<T>>();
  private scheduled = false;

  /**
   * @param model the collection
   * @param fields the scope field (equal in every command's filter) and the key field (a unique
   *   index on `{scope, key}`; the result maps back by the key)
   * @param projection the fields returned; must include the key field
   */
  constructor(
    private readonly model: AnyModel,
    private readonly fields: LookupFields,
    private readonly projection: Record<string, 0 | 1>,
  ) {
    if (projection[fields.key] !== 1) throw new Error(`the projection must include ${fields.key}`);
  }

  /** The document of `scope` whose key field is `key`, or null. */
  load(scope: string, key: string): Promise<T | null> {
    return new Promise((resolve, reject) => {
      let batch = this.pending.get(scope);
      if (!batch) {
        batch = { keys: new Map(), tallies: new BatchTallies() };
        this.pending.set(scope, batch);
      }
      const waiting = batch.keys.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else batch.keys.set(key, [{ resolve, reject }]);
      batch.tallies.addCurrent(); // the batch's command counts once in each requester's Server-Timing
      if (batch.keys.size >= MAX_BATCH) {
        this.pending.delete(scope);
        this.send(scope, batch);
      } else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.dispatch());
      }
    });
  }

  /** Sends every scope's pending batch (the end of an event-loop round). */
  private dispatch(): void {
    this.scheduled = false;
    const batches = this.pending;
    this.pending = new Map();
    for (const [scope, batch] of batches) this.send(scope, batch);
  }

  /** One command for one scope's batch: `{scope, key: {$in: keys}}` (or the key alone). */
  private send(scope: string, batch: ScopeBatch<T>): void {
    const { scope: scopeField, key: keyField } = this.fields;
    const keys = [...batch.keys.keys()];
    const filter = { [scopeField]: scope, [keyField]: keys.length === 1 ? keys[0] : { $in: keys } };
    batch.tallies.run(() => findMany<T>(this.model, filter satisfies Document, { projection: this.projection, limit: keys.length })).then(
      (docs) => {
        const byKey = new Map<unknown, T>();
        for (const doc of docs) byKey.set((doc as Record<string, unknown>)[keyField], doc);
        for (const [key, waiting] of batch.keys) {
          const doc = byKey.get(key) ?? null;
          for (const w of waiting) w.resolve(doc);
        }
      },
      (err: unknown) => {
        for (const waiting of batch.keys.values()) for (const w of waiting) w.reject(err);
      },
    );
  }
}

/** One count-and-page query: the documents matching `filter`, sorted, from `skip`, at most `limit`. */
export interface PageQuery {
  filter: Document;
  sort: Record<string, 1 | -1>;
  skip: number;
  limit: number;
}

/** Queries per batched page command at most. */
export const MAX_PAGES = 32;
/**
 * Documents per batched page command at most (the sum of the limits): every page of a batch comes
 * back in one `$facet` document, which must stay under 16 MiB; at 300 notes of 10,000 characters
 * of four UTF-8 bytes each, it is 12 MB. A query alone is never limited by this.
 */
export const MAX_PAGE_ROWS = 300;

interface WaitingPage<T> extends PageQuery {
  resolve(result: [number, T[]]): void;
  reject(err: unknown): void;
}

/**
 * Counts and pages of one collection, batched per event-loop round like `BatchedLookup`, for a
 * database that plans `$facet` with its indexes (the embedded server, see `plansFacets`): alone,
 * a query is `[$match, $facet {total: [$count], page: [$sort, $skip, $limit, $project]}]`; the
 * queries of one round are one `[$facet {t0: [$match, $count], p0: [$match, $sort, …], t1: …}]`,
 * whose facets the server plans one by one (a count by ranks, a page by position). Only queries
 * whose cost the indexes bound belong here (the caller keeps text searches out), so no query of
 * a batch can hold up the others for long. The same consistency as `BatchedLookup`: a batch is
 * sent after all its requests arrived.
 *
 * Unlike `BatchedLookup`, a batch mixes owners: each facet's `$match` carries its query's owner,
 * the command as a whole does not. That is only ever sent to the embedded server (one process,
 * never sharded); a MongoDB server or cluster (`mongos`) does not plan facets, so the caller
 * sends it a `count` and a `find`, each filtered by the owner.
 */
export class BatchedPages<T> {
  private pending: WaitingPage<T>[] = [];
  /** The Server-Timing tallies of the pending requests. */
  private tallies = new BatchTallies();
  private rows = 0;
  private scheduled = false;

  /** @param projection the fields of each page's documents */
  constructor(
    private readonly model: AnyModel,
    private readonly projection: Document,
  ) {}

  /** The number of documents matching the query's filter, and its page of them. */
  load(query: PageQuery): Promise<[number, T[]]> {
    return new Promise((resolve, reject) => {
      if (this.pending.length > 0 && this.rows + query.limit > MAX_PAGE_ROWS) this.dispatch();
      this.pending.push({ ...query, resolve, reject });
      this.tallies.addCurrent();
      this.rows += query.limit;
      if (this.pending.length >= MAX_PAGES) this.dispatch();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.dispatch());
      }
    });
  }

  private pageStages(query: PageQuery): Document[] {
    const stages: Document[] = [{ $sort: query.sort }];
    if (query.skip > 0) stages.push({ $skip: query.skip });
    stages.push({ $limit: query.limit }, { $project: this.projection });
    return stages;
  }

  private dispatch(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.rows = 0;
    let pipeline: Document[];
    if (batch.length === 1) {
      pipeline = [{ $match: batch[0].filter }, { $facet: { total: [{ $count: 'n' }], page: this.pageStages(batch[0]) } }];
    } else {
      const facets: Document = {};
      batch.forEach((query, i) => {
        facets[`t${i}`] = [{ $match: query.filter }, { $count: 'n' }];
        facets[`p${i}`] = [{ $match: query.filter }, ...this.pageStages(query)];
      });
      pipeline = [{ $facet: facets }];
    }
    const tallies = this.tallies;
    this.tallies = new BatchTallies();
    tallies.run(
      () => aggregateOne<Record<string, Array<{ n?: unknown }> | T[]>>(this.model, pipeline),
    ).then(
      (result) => {
        batch.forEach((query, i) => {
          const [total, page] = batch.length === 1 ? ['total', 'page'] : [`t${i}`, `p${i}`];
          const counted = result?.[total] as Array<{ n?: unknown }> | undefined;
          query.resolve([Number(counted?.[0]?.n ?? 0), (result?.[page] as T[] | undefined) ?? []]);
        });
      },
      (err: unknown) => {
        for (const query of batch) query.reject(err);
      },
    );
  }
}
