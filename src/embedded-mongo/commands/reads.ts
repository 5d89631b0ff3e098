/** find, getMore, killCursors, aggregate, count, distinct, explain. */
import type { Document } from 'bson';
import { Aggregator, ProcessingMode, Query } from 'mingo';
import type { Collection } from '../catalog';
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

/** The results of a find: filter through the chosen candidates, then sort, skip, limit, project. */
function runFind(coll: Collection | undefined, cmd: Document): { docs: Document[]; indexName?: string; examined: number } {
  if (!coll) return { docs: [], examined: 0 };
  const filter = docOption(cmd, 'filter');
  const plan = coll.candidates(filter);
  const projection = docOption(cmd, 'projection');
  const sort = docOption(cmd, 'sort');
  // findById and friends: skip compiling a mingo query (most of the server's time per call).
  if (plan.exact && Object.keys(projection).length === 0 && plan.docs.length <= 1 && !intOption(cmd, 'skip')) {
    return { docs: plan.docs, indexName: plan.indexName, examined: plan.docs.length };
  }
  let cursor = new Query(filter, QUERY_OPTIONS).find<Document>(plan.docs, projection);
  if (Object.keys(sort).length > 0) cursor = cursor.sort(sort);
  const skip = intOption(cmd, 'skip');
  if (skip) cursor = cursor.skip(skip);
  const limit = intOption(cmd, 'limit');
  if (limit) cursor = cursor.limit(Math.abs(limit));
  return { docs: cursor.all(), indexName: plan.indexName, examined: plan.docs.length };
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
  let input: Document[] = [];
  let rest = pipeline;
  if (coll) {
    const first = pipeline[0] as Document | undefined;
    if (first && first.$match && Object.keys(first).length === 1) {
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
  let n = !coll ? 0 : Object.keys(query).length === 0 ? coll.docs.size : coll.match(query).length;
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
