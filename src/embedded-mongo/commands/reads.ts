/** find, getMore, killCursors, aggregate, count, distinct, explain. */
import type { Document } from 'bson';
import { Aggregator, ProcessingMode, Query } from 'mingo';
import type { Collection } from '../catalog';
import { matcher } from '../collection';
import { CommandError } from '../errors';
import { QUERY_OPTIONS } from '../mingo-options';
import { deepCopy, keyOf, valuesAtPath } from '../values';
import { collectionName, docOption, intOption, type CommandContext, type CommandHandler } from './context';

const EVERYTHING = new Query({}, QUERY_OPTIONS);

/** `docs` sorted by a MongoDB sort specification (mingo's ordering rules). */
export function sortDocs(docs: Document[], sort: Document): Document[] {
  return EVERYTHING.find<Document>(docs).sort(sort).all();
}

/** `docs` through a projection; the stored documents themselves when there is none. */
export function project(docs: Document[], projection: Document): Document[] {
  if (Object.keys(projection).length === 0) return docs;
  return EVERYTHING.find<Document>(docs, projection).all();
}

/**
 * `docs` sorted by `sort` when every sort key is a top-level field holding a number in every
 * document (timestamps, counters): a plain numeric comparison then gives MongoDB's order, and is
 * many times cheaper than the general comparator. Undefined when that does not hold.
 */
export function sortByNumbers(docs: Document[], sort: Document): Document[] | undefined {
  const keys = Object.entries(sort).map(([field, dir]) => ({ field, dir: dir as number }));
  if (keys.some((k) => k.field.includes('.') || (k.dir !== 1 && k.dir !== -1))) return undefined;
  for (const doc of docs) {
    for (const { field } of keys) {
      const v: unknown = doc[field];
      if (typeof v !== 'number' || Number.isNaN(v)) return undefined;
    }
  }
  return [...docs].sort((a, b) => {
    for (const { field, dir } of keys) {
      const diff = (a[field] as number) - (b[field] as number);
      if (diff !== 0) return diff * dir;
    }
    return 0;
  });
}

/** The results of a find: filter through the chosen candidates, then sort, skip, limit, project. */
function runFind(coll: Collection | undefined, cmd: Document): { docs: Document[]; indexName?: string; examined: number } {
  if (!coll) return { docs: [], examined: 0 };
  const filter = docOption(cmd, 'filter');
  const projection = docOption(cmd, 'projection');
  const sort = docOption(cmd, 'sort');
  const hasSort = Object.keys(sort).length > 0;
  // With a sort, natural order would only be thrown away.
  const plan = coll.candidates(filter, !hasSort);
  // When the index answered the filter exactly, the matcher has nothing left to check.
  let docs = plan.exact ? plan.docs : plan.docs.filter(matcher(filter));
  if (hasSort) docs = sortByNumbers(docs, sort) ?? sortDocs(docs, sort);
  const skip = intOption(cmd, 'skip') ?? 0;
  const limit = Math.abs(intOption(cmd, 'limit') ?? 0);
  if (skip > 0 || limit > 0) docs = docs.slice(skip, limit > 0 ? skip + limit : undefined);
  // Projection last, over the page only.
  return { docs: project(docs, projection), indexName: plan.indexName, examined: plan.docs.length };
}

const find: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, 'find');
  const { docs } = runFind(ctx.catalog.get(ctx.db, name), cmd);
  const limit = intOption(cmd, 'limit') ?? 0;
  // A negative limit is the legacy spelling of "one batch only".
  const singleBatch = cmd.singleBatch === true || limit < 0;
  let batchSize = intOption(cmd, 'batchSize');
  if (singleBatch && batchSize === undefined) batchSize = docs.length;
  return { cursor: ctx.cursors.first(`${ctx.db}.${name}`, docs, batchSize, singleBatch) };
};

const getMore: CommandHandler = (cmd, ctx) => ({ cursor: ctx.cursors.more(cmd.getMore, intOption(cmd, 'batchSize')) });

const killCursors: CommandHandler = (cmd, ctx) => {
  const ids: unknown[] = Array.isArray(cmd.cursors) ? cmd.cursors : [];
  const cursorsKilled: unknown[] = [];
  const cursorsNotFound: unknown[] = [];
  for (const id of ids) (ctx.cursors.kill(id) ? cursorsKilled : cursorsNotFound).push(id);
  return { cursorsKilled, cursorsNotFound, cursorsAlive: [], cursorsUnknown: [] };
};

/** Stages that would write elsewhere or need features this server lacks. */
const UNSUPPORTED_STAGES = new Set(['$out', '$merge', '$search', '$geoNear', '$changeStream']);

/** Runs a pipeline over a collection; a leading `$match` goes through the index planner. */
export function runPipeline(ctx: CommandContext, coll: Collection | undefined, pipeline: Document[]): Document[] {
  for (const stage of pipeline) {
    const op = Object.keys(stage)[0];
    if (UNSUPPORTED_STAGES.has(op)) throw new CommandError('NotImplemented', `${op} is not supported by the embedded server`);
  }
  const [first, second] = pipeline as Array<Document | undefined>;
  const leadingMatch = first !== undefined && first.$match !== undefined && Object.keys(first).length === 1;
  // countDocuments sends [$match, $group counting]: answered from the match count alone.
  if (leadingMatch && pipeline.length === 2 && second && countGroup(second, 0)) {
    return countGroup(second, coll ? coll.count(docOption(first, '$match')) : 0) ?? [];
  }
  let input: Document[] = [];
  let rest = pipeline;
  if (coll) {
    if (leadingMatch) {
      input = coll.match(docOption(first, '$match'));
      rest = pipeline.slice(1);
    } else {
      input = coll.match({});
    }
  }
  if (rest.length === 0) return input;
  const aggregator = new Aggregator(rest, {
    ...QUERY_OPTIONS,
    // Stages may modify their input objects; those are the stored documents.
    processingMode: ProcessingMode.CLONE_INPUT,
    collectionResolver: (name: string) => deepCopy([...(ctx.catalog.get(ctx.db, name)?.docs.values() ?? [])]),
  });
  return aggregator.run(input);
}

/**
 * The result of a `$group` that only counts — a constant `_id` and `{$sum: <number>}`
 * accumulators, as `countDocuments` sends — over `n` documents; undefined for any other stage.
 * Answering it directly spares copying every matching document into mingo's `$group`.
 */
export function countGroup(stage: Document, n: number): Document[] | undefined {
  const group: unknown = stage.$group;
  if (Object.keys(stage).length !== 1 || typeof group !== 'object' || group === null || Array.isArray(group)) return undefined;
  const { _id: id, ...accumulators } = group as Document;
  const constantId = id === null || typeof id === 'number' || typeof id === 'boolean' || (typeof id === 'string' && !id.startsWith('$'));
  if (!constantId) return undefined;
  const out: Document = { _id: id };
  for (const [field, acc] of Object.entries(accumulators)) {
    const sum: unknown = typeof acc === 'object' && acc !== null && Object.keys(acc).length === 1 ? (acc as Document).$sum : undefined;
    if (typeof sum !== 'number') return undefined;
    out[field] = sum * n;
  }
  // Like $group, no documents in means no group out.
  return n === 0 ? [] : [out];
}

const aggregate: CommandHandler = (cmd, ctx) => {
  if (typeof cmd.aggregate !== 'string') throw new CommandError('NotImplemented', 'database-level aggregate is not supported by the embedded server');
  const name = collectionName(cmd, 'aggregate');
  if (!Array.isArray(cmd.pipeline)) throw new CommandError('TypeMismatch', "'pipeline' must be an array");
  if (cmd.explain) throw new CommandError('NotImplemented', 'aggregate explain is not supported by the embedded server');
  const docs = runPipeline(ctx, ctx.catalog.get(ctx.db, name), cmd.pipeline as Document[]);
  return { cursor: ctx.cursors.first(`${ctx.db}.${name}`, docs, intOption(docOption(cmd, 'cursor'), 'batchSize')) };
};

const count: CommandHandler = (cmd, ctx) => {
  const coll = ctx.catalog.get(ctx.db, collectionName(cmd, 'count'));
  const query = docOption(cmd, 'query');
  // With no filter this is estimatedDocumentCount: the size of the id map, no scan.
  let n = coll ? coll.count(query) : 0;
  n = Math.max(0, n - (intOption(cmd, 'skip') ?? 0));
  const limit = intOption(cmd, 'limit');
  if (limit) n = Math.min(n, Math.abs(limit));
  return { n };
};

const distinct: CommandHandler = (cmd, ctx) => {
  const coll = ctx.catalog.get(ctx.db, collectionName(cmd, 'distinct'));
  if (typeof cmd.key !== 'string') throw new CommandError('TypeMismatch', "'key' must be a string");
  const seen = new Map<string, unknown>();
  for (const doc of coll?.match(docOption(cmd, 'query')) ?? []) {
    for (const v of valuesAtPath(doc, cmd.key)) if (v !== undefined && !seen.has(keyOf(v))) seen.set(keyOf(v), v);
  }
  return { values: [...seen.values()] };
};

/** explain of a find: which index the planner chose and how many documents it examined. */
const explain: CommandHandler = (cmd, ctx) => {
  const inner = docOption(cmd, 'explain');
  if (typeof inner.find !== 'string') throw new CommandError('NotImplemented', 'the embedded server explains only find');
  const name = collectionName(inner, 'find');
  const { docs, indexName, examined } = runFind(ctx.catalog.get(ctx.db, name), inner);
  const scan = indexName
    ? { stage: 'FETCH', inputStage: { stage: 'IXSCAN', indexName } }
    : { stage: 'COLLSCAN' };
  return {
    queryPlanner: { namespace: `${ctx.db}.${name}`, winningPlan: scan },
    executionStats: { executionSuccess: true, nReturned: docs.length, totalDocsExamined: examined, totalKeysExamined: indexName ? examined : 0 },
  };
};

/** Read commands, keyed by lower-case name. */
export const readCommands: Record<string, CommandHandler> = {
  find,
  getmore: getMore,
  killcursors: killCursors,
  aggregate,
  count,
  distinct,
  explain,
};
