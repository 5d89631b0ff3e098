/**
 * Reads by a unique key, batched: every look-up made while the event loop handles one round of
 * I/O (all requests whose bytes arrived together) goes to the database as one
 * `find {key: {$in: [...]}}` when that round is over (`setImmediate`), so under concurrent load
 * the driver's per-command cost (about a quarter of a millisecond of this thread's CPU here, as
 * much as a whole bare Express request) is shared by the requests of the round. Alone, a
 * look-up waits only for the end of its own round.
 *
 * Every request of a batch arrived before its command was sent, so each sees every write
 * acknowledged before it arrived, exactly as with a command of its own; nothing is ever served
 * from an earlier read. At most MAX_BATCH keys go into one command (a full batch is sent at
 * once), so a reply stays far below 16 MiB. A failed command fails every look-up of its batch
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

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any model: only its connection and collection name are used.
type AnyModel = Model<any>;

/** Look-ups of one collection by one unique field, batched per event-loop round. */
export class BatchedLookup<T extends object> {
  private pending = new Map<string, Waiting<T>[]>();
  /** The Server-Timing tallies of the pending requests. */
  private tallies = new BatchTallies();
  private scheduled = false;

  /**
   * @param model the collection
   * @param field a field with a unique index (the result maps back by it)
   * @param projection the fields returned; must include `field`
   */
  constructor(
    private readonly model: AnyModel,
    private readonly field: string,
    private readonly projection: Record<string, 0 | 1>,
  ) {
    if (projection[field] !== 1) throw new Error(`the projection must include ${field}`);
  }

  /** The document whose `field` is `key`, or null. */
  load(key: string): Promise<T | null> {
    return new Promise((resolve, reject) => {
      const waiting = this.pending.get(key);
      if (waiting) waiting.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      this.tallies.addCurrent(); // the batch's command counts once in each requester's Server-Timing
      if (this.pending.size >= MAX_BATCH) this.dispatch();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.dispatch());
      }
    });
  }

  private dispatch(): void {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const keys = [...batch.keys()];
    const filter = keys.length === 1 ? { [this.field]: keys[0] } : { [this.field]: { $in: keys } };
    const tallies = this.tallies;
    this.tallies = new BatchTallies();
    tallies.run(() => findMany<T>(this.model, filter satisfies Document, { projection: this.projection, limit: keys.length })).then(
      (docs) => {
        const byKey = new Map<unknown, T>();
        for (const doc of docs) byKey.set((doc as Record<string, unknown>)[this.field], doc);
        for (const [key, waiting] of batch) {
          const doc = byKey.get(key) ?? null;
          for (const w of waiting) w.resolve(doc);
        }
      },
      (err: unknown) => {
        for (const waiting of batch.values()) for (const w of waiting) w.reject(err);
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
