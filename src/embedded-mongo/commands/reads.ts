/** find, getMore, killCursors, aggregate, count, distinct, explain. */
import { performance } from 'node:perf_hooks';
import type { Document } from 'bson';
import { ProcessingMode } from 'mingo';
import { stageNeedsPlainNumbers, withPlainNumbers } from '../bson-numbers';
import { Aggregator } from '../mingo-bson';
import type { Collection } from '../catalog';
import { Deadline, NO_DEADLINE } from '../deadline';
import { CommandError } from '../errors';
import { checkFilter, checkGroupAccumulators, findFieldName } from '../input-errors';
import { checkCollectionless, splitOut, withLocalSessions, writeOut } from './aggregate-output';
import { prepareMerge, writeMerge } from './aggregate-merge';
import { QUERY_OPTIONS } from '../mingo-options';
import { withCommandNow } from '../command-clock';
import { EOF_PLAN, type PlanSummary, type QueryOutcome } from '../planner';
import { checkCollatedStage } from '../collated-pipeline';
import { parseCollation, type Collation } from '../collation';
import { compileFilter, type Predicate } from '../filter';
import { checkModifiers, collationAndLet, resolveHint, type MatchModifiers } from '../modifiers';
import { compileProjection, projectStageOrder } from '../projection';
import { mingoVariableError, NO_MODIFIERS, queryModifiers, type QueryModifiers } from '../query-options';
import { sortDocuments, sortKeys } from '../sorting';
import { deepCopy, isPlainObject, keyOf, valuesAtPath } from '../values';
import { collectionName, docOption, intOption, type CommandContext, type CommandHandler } from './context';

/**
 * `docs` sorted by `sort` when every sort key is a top-level field holding a number in every
 * document (timestamps, counters): a plain numeric comparison then gives MongoDB's order.
 * Undefined when that does not hold (sorting.ts then compares in MongoDB's order of types).
 */
export function sortByNumbers(docs: Document[], sort: Document): Document[] | undefined {
  const keys = sortKeys(sort);
  if (!keys || keys.some((k) => k.field.includes('.'))) return undefined;
  for (const doc of docs) {
    for (const { field } of keys) {
      const v: unknown = doc[field];
      if (typeof v !== 'number' || Number.isNaN(v)) return undefined;
    }
  }
  return sortDocuments(docs, sort);
}

/** A find's filter, sort, skip, limit, projection and modifiers (collation, let, hint), read and checked. */
interface FindSpec {
  filter: Document;
  projection: Document;
  sort: Document;
  skip: number;
  limit: number;
  modifiers: QueryModifiers;
}

function findSpec(cmd: Document): FindSpec {
  const skip = intOption(cmd, 'skip') ?? 0;
  if (skip < 0) throw new CommandError('BadValue', `Skip value must be non-negative, but received: ${skip}`);
  return {
    filter: docOption(cmd, 'filter'),
    projection: docOption(cmd, 'projection'),
    sort: docOption(cmd, 'sort'),
    skip,
    // A negative limit is the legacy spelling of "one batch of that many".
    limit: Math.abs(intOption(cmd, 'limit') ?? 0),
    modifiers: queryModifiers(cmd),
  };
}

/** Runs a find through the planner, then projects the page. */
function runFind(coll: Collection | undefined, spec: FindSpec, deadline: Deadline): { docs: Document[]; outcome?: QueryOutcome } {
  if (!coll) {
    checkModifiers(spec.modifiers);
    checkFilter(spec.filter);
    return { docs: [] };
  }
  const outcome = coll.query(spec.filter, { ...spec.modifiers, sort: spec.sort, skip: spec.skip, limit: spec.limit, deadline });
  const projector = compileProjection(spec.projection, spec.filter);
  const docs = outcome.docs.map((doc) => {
    deadline.tick();
    return projector(doc);
  });
  return { docs, outcome };
}

const find: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, 'find');
  const deadline = Deadline.of(cmd);
  const { docs } = runFind(ctx.catalog.get(ctx.db, name), findSpec(cmd), deadline);
  const limit = intOption(cmd, 'limit') ?? 0;
  const singleBatch = cmd.singleBatch === true || limit < 0;
  let batchSize = intOption(cmd, 'batchSize');
  if (singleBatch && batchSize === undefined) batchSize = docs.length;
  return { cursor: ctx.cursors.first(`${ctx.db}.${name}`, docs, batchSize, singleBatch, deadline) };
};

const getMore: CommandHandler = (cmd, ctx) => ({ cursor: ctx.cursors.more(cmd.getMore, intOption(cmd, 'batchSize'), Deadline.of(cmd)) });

const killCursors: CommandHandler = (cmd, ctx) => {
  const ids: unknown[] = Array.isArray(cmd.cursors) ? cmd.cursors : [];
  const cursorsKilled: unknown[] = [];
  const cursorsNotFound: unknown[] = [];
  for (const id of ids) (ctx.cursors.kill(id) ? cursorsKilled : cursorsNotFound).push(id);
  return { cursorsKilled, cursorsNotFound, cursorsAlive: [], cursorsUnknown: [] };
};

/** Stages that would write elsewhere or need features this server lacks. */
const UNSUPPORTED_STAGES = new Set(['$out', '$merge', '$search', '$geoNear', '$changeStream']);

/** Yields `source`'s documents, checking the deadline between them. */
function* ticking(source: Iterable<Document> | Iterator<Document>, deadline: Deadline): Generator<Document> {
  const it = Symbol.iterator in source ? (source as Iterable<Document>)[Symbol.iterator]() : (source as Iterator<Document>);
  for (let r = it.next(); r.done !== true; r = it.next()) {
    deadline.tick();
    yield r.value;
  }
}

/**
 * Runs a pipeline over a collection; a leading `$match` goes through the index planner. The
 * stages run one after the other as mingo iterators, with the deadline checked for every
 * document passed between them (a stage that gathers everything, like `$sort` or `$group`, is
 * checked while it reads its input, and as it hands results on).
 */
export function runPipeline(ctx: CommandContext, coll: Collection | undefined, pipeline: Document[], deadline: Deadline = NO_DEADLINE, modifiers: QueryModifiers = NO_MODIFIERS): Document[] {
  pipeline.forEach((stage, i) => {
    const op = Object.keys(stage)[0];
    if (UNSUPPORTED_STAGES.has(op)) throw new CommandError('NotImplemented', `${op} is not supported by the embedded server`);
    if (op === '$documents' && i > 0) throw new CommandError('BadValue', '$documents must be first stage in pipeline.');
    if (op === '$listLocalSessions') {
      if (i > 0) throw new CommandError('Location40602', '$listLocalSessions is only valid as the first stage in a pipeline.');
      throw new CommandError('InvalidNamespace', '$listLocalSessions must be run against the database with {aggregate: 1}, not a collection');
    }
    // A `$sort` key is a field path: `$natural` (a find sort) is not one, as MongoDB says.
    const dollarKey = op === '$sort' && isPlainObject(stage.$sort) ? Object.keys(stage.$sort).find((k) => k.startsWith('$')) : undefined;
    if (dollarKey) throw new CommandError('Location16410', "FieldPath field names may not start with '$'. Consider using $getField or $setField.");
    // A pipeline's $match is parsed without the JavaScript feature: BadValue, script engine or not.
    if (op === '$match' && findFieldName(stage.$match, (k) => k === '$where') !== undefined) throw new CommandError('BadValue', '$where is not allowed in this context');
  });
  const [first, second] = pipeline as Array<Document | undefined>;
  const leadingMatch = first !== undefined && first.$match !== undefined && Object.keys(first).length === 1;
  if (leadingMatch && !coll) checkFilter(docOption(first, '$match'));
  // countDocuments sends [$match, $group counting]: answered from the match count alone.
  if (leadingMatch && pipeline.length === 2 && second && countGroup(second, 0)) {
    return countGroup(second, coll ? coll.count(docOption(first, '$match'), deadline, modifiers) : 0) ?? [];
  }
  // [$match, $facet of counts and sorted pages] or a lone such $facet: each facet through the planner.
  if (leadingMatch && pipeline.length === 2 && second) {
    const planned = plannedFacet(coll, docOption(first, '$match'), second, deadline, modifiers);
    if (planned) return planned;
  }
  if (pipeline.length === 1 && first?.$facet !== undefined) {
    const planned = plannedFacet(coll, {}, first, deadline, modifiers);
    if (planned) return planned;
  }
  let input: Document[] = [];
  let rest = pipeline;
  if (coll) {
    if (leadingMatch) {
      input = coll.match(docOption(first, '$match'), 0, deadline, modifiers);
      rest = pipeline.slice(1);
    } else {
      // Checked (a hint naming no index fails) even when no $match uses it.
      if (modifiers.hint !== undefined) resolveHint(coll, modifiers.hint);
      input = [...coll.documents()];
    }
  }
  if (rest.length === 0) return input;
  const staged = modifiers === NO_MODIFIERS && coll?.collation === undefined ? PLAIN_STAGES : collationAndLet(modifiers, coll?.collation);
  if (staged.collation) rest.forEach(checkCollatedStage);
  const options = {
    ...QUERY_OPTIONS,
    collectionResolver: (name: string) => deepCopy([...(ctx.catalog.get(ctx.db, name)?.documents() ?? [])]),
    ...(staged.collation ? { collation: staged.collation.mingo } : {}),
    ...(staged.variables ? { variables: staged.variables } : {}),
  };
  let stream: Generator<Document> = ticking(input, deadline);
  let copied = false;
  rest.forEach((stage) => {
    if (staged.collation && stage.$match !== undefined) {
      // mingo's $match would compare strings in binary: the collation-aware filter instead.
      stream = filtered(stream, staged.compile(docOption(stage, '$match')));
      return;
    }
    // A plain $sort orders by BSON values (numeric wrappers included) with this server's sort.
    const keys = Object.keys(stage).length === 1 && isPlainObject(stage.$sort) ? sortKeys(stage.$sort) : undefined;
    if (keys && keys.length > 0) {
      stream = ticking(sortDocuments([...stream], stage.$sort as Document, deadline, staged.collation), deadline);
      return;
    }
    // Computing stages see plain numbers (bson-numbers.ts stageNeedsPlainNumbers).
    if (stageNeedsPlainNumbers(stage)) stream = plainNumbers(stream);
    // Stages may modify their input objects: the first mingo stage gets copies of the stored documents.
    // $$NOW is the command's time in every stage and document (command-clock.ts).
    const aggregator = new Aggregator([stage], withCommandNow({ ...options, processingMode: copied ? ProcessingMode.CLONE_OFF : ProcessingMode.CLONE_INPUT }));
    copied = true;
    const order = Object.keys(stage).length === 1 && isPlainObject(stage.$project) ? projectStageOrder(stage.$project) : undefined;
    stream = order ? reordered(aggregator, stream, order) : ticking(aggregator.stream(stream) as Iterator<Document>, deadline);
    if (order) stream = ticking(stream, deadline);
  });
  const out: Document[] = [];
  try {
    for (let r = stream.next(); r.done !== true; r = stream.next()) out.push(r.value);
  } catch (err) {
    throw mingoVariableError(err);
  }
  return out;
}

/**
 * A one-to-one stage (`$project`) run by mingo, each output put in `order` against the input it
 * came from: mingo pulls one input per output, so the last input pulled is the output's source.
 */
function* reordered(aggregator: Aggregator, source: Generator<Document>, order: (source: Document, out: Document) => Document): Generator<Document> {
  let last: Document = {};
  const remembered = (function* () {
    for (let r = source.next(); r.done !== true; r = source.next()) yield (last = r.value);
  })();
  const out = aggregator.stream(remembered) as Iterator<Document>;
  for (let r = out.next(); r.done !== true; r = out.next()) yield order(last, r.value);
}

/** A pipeline without modifiers (the common case): nothing to resolve. */
const PLAIN_STAGES: MatchModifiers = Object.freeze({ compile: (f: Document) => compileFilter(f) });

/** The documents of `source` that pass `test`. */
function* filtered(source: Iterator<Document>, test: Predicate): Generator<Document> {
  for (let r = source.next(); r.done !== true; r = source.next()) if (test(r.value)) yield r.value;
}

/** The documents of `stream` with numeric wrappers as numbers (copies where they change). */
function* plainNumbers(stream: Generator<Document>): Generator<Document> {
  for (let r = stream.next(); r.done !== true; r = stream.next()) yield withPlainNumbers(r.value);
}

/** A non-negative (or, with `positive`, positive) integral number, or undefined. */
function wholeNumber(v: unknown, positive: boolean): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : (v as { _bsontype?: string } | null)?._bsontype === 'Long' ? Number(v) : NaN;
  return Number.isSafeInteger(n) && (positive ? n > 0 : n >= 0) ? n : undefined;
}

/** A `$count` stage's field name, when it is one MongoDB accepts. */
function countField(stage: Document): string | undefined {
  const name: unknown = stage.$count;
  return typeof name === 'string' && name !== '' && !name.startsWith('$') && !name.includes('.') && !name.includes('\0') ? name : undefined;
}

/** A sort stage's keys when every direction is 1 or -1. */
function plainSort(v: unknown): Document | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).length === 0) return undefined;
  return Object.values(v).every((d) => d === 1 || d === -1) ? (v as Document) : undefined;
}

/**
 * `[$match, $facet]` (or a lone `$facet`, as if after `{$match: {}}`) whose facets are each
 * `[{$match}?, {$count}]` or a page `[{$match}?, {$sort}, {$skip}?, {$limit}?, {$project}?]` (a
 * facet's own `$match` narrows the outer one; the API batches several users' lists this way): the count comes from the planner's count (two rank lookups on a covering index)
 * and each page from a planned query (a position jump and `limit` entries), instead of copying
 * every matching document into mingo's `$facet`. The result is what `$facet` gives: one document,
 * each facet an array (a count over nothing is an empty array). Undefined for any other shape,
 * which then runs through mingo.
 */
export function plannedFacet(coll: Collection | undefined, outer: Document, stage: Document, deadline: Deadline, modifiers: QueryModifiers = NO_MODIFIERS): Document[] | undefined {
  const facet: unknown = stage.$facet;
  if (Object.keys(stage).length !== 1 || typeof facet !== 'object' || facet === null || Array.isArray(facet)) return undefined;
  const entries = Object.entries(facet as Document);
  if (entries.length === 0) return undefined;
  const runs: Array<() => Document[]> = [];
  for (const [name, sub] of entries) {
    if (name === '' || name.startsWith('$') || name.includes('.') || !Array.isArray(sub) || sub.length === 0) return undefined;
    let stages = sub as Document[];
    if (stages.some((st) => typeof st !== 'object' || st === null || Object.keys(st).length !== 1)) return undefined;
    // A facet may narrow the documents first: its own leading $match, with the outer one.
    let filter = outer;
    if (stages[0].$match !== undefined) {
      const own = stages[0].$match;
      if (typeof own !== 'object' || own === null || Array.isArray(own) || stages.length === 1) return undefined;
      filter = Object.keys(outer).length === 0 ? (own as Document) : { $and: [outer, own] };
      stages = stages.slice(1);
    }
    const field = stages.length === 1 ? countField(stages[0]) : undefined;
    if (field !== undefined) {
      runs.push(() => {
        const n = coll ? coll.count(filter, deadline, modifiers) : 0;
        return n === 0 ? [] : [{ [field]: n }];
      });
      continue;
    }
    const [sortStage, ...more] = stages;
    const sort = plainSort(sortStage.$sort);
    if (!sort) return undefined;
    let skip = 0;
    let limit = 0;
    let projection: Document | undefined;
    let at = 0;
    if (more[at]?.$skip !== undefined) {
      const n = wholeNumber(more[at++].$skip, false);
      if (n === undefined) return undefined;
      skip = n;
    }
    if (more[at]?.$limit !== undefined) {
      const n = wholeNumber(more[at++].$limit, true);
      if (n === undefined) return undefined;
      limit = n;
    }
    if (more[at]?.$project !== undefined) {
      const p: unknown = more[at++].$project;
      if (typeof p !== 'object' || p === null || Array.isArray(p)) return undefined;
      projection = p as Document;
    }
    if (at !== more.length) return undefined;
    // The same planned query and projection as a find command's.
    const spec: FindSpec = { filter, projection: projection ?? {}, sort, skip, limit, modifiers };
    runs.push(() => runFind(coll, spec, deadline).docs);
  }
  const out: Document = {};
  entries.forEach(([name], i) => (out[name] = runs[i]()));
  return [out];
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

/** The collection an aggregate reads, or undefined for a database-level one (`aggregate: 1`, checked). */
function aggregateSource(cmd: Document): string | undefined {
  if (!Array.isArray(cmd.pipeline)) throw new CommandError('TypeMismatch', "'pipeline' must be an array");
  checkGroupAccumulators(cmd.pipeline);
  if (cmd.aggregate !== 1) return collectionName(cmd, 'aggregate');
  checkCollectionless(cmd.pipeline as Document[]);
  return undefined;
}

const aggregate: CommandHandler = (cmd, ctx) => {
  if (cmd.explain) return explainAggregate(cmd, ctx); // it checks the source itself, first
  const name = aggregateSource(cmd);
  const pipeline = name === undefined ? withLocalSessions(ctx, cmd.pipeline as Document[]) : (cmd.pipeline as Document[]);
  const { stages, out, merge: mergeSpec } = splitOut(pipeline, ctx.db);
  const deadline = Deadline.of(cmd);
  const modifiers = queryModifiers(cmd);
  const coll = name === undefined ? undefined : ctx.catalog.get(ctx.db, name);
  if (!coll) checkModifiers(modifiers);
  // $merge is checked against its target before the pipeline runs, as MongoDB parses it.
  const merge = mergeSpec === undefined ? undefined : prepareMerge(ctx, mergeSpec, modifiers.collation ?? coll?.collation);
  const docs = runPipeline(ctx, coll, stages, deadline, modifiers);
  const ns = `${ctx.db}.${name ?? '$cmd.aggregate'}`;
  // $out and $merge: the results go to the target collection, the cursor comes back empty.
  if (out) writeOut(ctx, out, docs);
  if (merge) writeMerge(ctx, merge, docs, deadline);
  return { cursor: ctx.cursors.first(ns, out || merge ? [] : docs, intOption(docOption(cmd, 'cursor'), 'batchSize'), false, deadline) };
};

/**
 * explain of an aggregate, in MongoDB's shape: a pipeline that is at most a `$match` is
 * explained as the find it becomes; otherwise `stages` lists a `$cursor` stage (the leading
 * `$match` planned like a find, with its queryPlanner and executionStats) and the other stages as
 * given. Nothing is written (`$out` included).
 */
function explainAggregate(cmd: Document, ctx: CommandContext): Document {
  const name = aggregateSource(cmd);
  const pipeline = cmd.pipeline as Document[];
  if (name === undefined) return { explainVersion: '1', stages: pipeline, command: cmd };
  const first = pipeline[0] as Document | undefined;
  const leadingMatch = first !== undefined && Object.keys(first).length === 1 && first.$match !== undefined;
  const filter = leadingMatch ? docOption(first, '$match') : {};
  const asFind = explain({ explain: { find: name, filter, ...(cmd.maxTimeMS !== undefined ? { maxTimeMS: cmd.maxTimeMS } : {}) } }, ctx) as Document;
  const others = pipeline.slice(leadingMatch ? 1 : 0);
  if (others.length === 0) return { ...asFind, command: cmd };
  const { queryPlanner, executionStats } = asFind;
  return { explainVersion: '1', stages: [{ $cursor: { queryPlanner, executionStats } }, ...others], command: cmd };
}

const count: CommandHandler = (cmd, ctx) => {
  const coll = ctx.catalog.get(ctx.db, collectionName(cmd, 'count'));
  const query = docOption(cmd, 'query');
  const modifiers = queryModifiers(cmd);
  if (!coll) {
    checkModifiers(modifiers);
    checkFilter(query);
  }
  // With no filter this is estimatedDocumentCount: the number of documents, no scan.
  let n = coll ? coll.count(query, Deadline.of(cmd), modifiers) : 0;
  n = Math.max(0, n - (intOption(cmd, 'skip') ?? 0));
  const limit = intOption(cmd, 'limit');
  if (limit) n = Math.min(n, Math.abs(limit));
  return { n };
};

const distinct: CommandHandler = (cmd, ctx) => {
  const coll = ctx.catalog.get(ctx.db, collectionName(cmd, 'distinct'));
  if (typeof cmd.key !== 'string') throw new CommandError('TypeMismatch', "'key' must be a string");
  // MongoDB 7.0's distinct has no hint (added in 7.1): its parser rejects the unknown field.
  if (cmd.hint !== undefined) throw new CommandError('Location40415', "BSON field 'distinct.hint' is an unknown field.");
  const deadline = Deadline.of(cmd);
  const modifiers = queryModifiers(cmd);
  const own = checkModifiers(modifiers);
  // The command's collation (`simple` included) wins over the collection's default.
  const collation = modifiers.collation !== undefined || coll?.collation === undefined ? own : parseCollation(coll.collation);
  const seen = new Map<string, unknown>();
  if (!coll) checkFilter(docOption(cmd, 'query'));
  for (const doc of coll?.match(docOption(cmd, 'query'), 0, deadline, modifiers) ?? []) {
    deadline.tick();
    for (const v of valuesAtPath(doc, cmd.key)) if (v !== undefined && !seen.has(keyOf(v))) seen.set(keyOf(v), v);
  }
  const values = [...seen.values()];
  return { values: collation ? distinctUnder(values, collation) : values };
};

/** One value per class of values equal under the collation (the first met), in the collation's order. */
function distinctUnder(values: unknown[], collation: Collation): unknown[] {
  const sorted = [...values].sort(collation.compare);
  return sorted.filter((v, i) => i === 0 || collation.compare(sorted[i - 1], v) !== 0);
}

// ---------------------------------------------------------------- explain

/** The input stages of a plan: IXSCAN under FETCH, or COLLSCAN, with their counters. */
function scanStages(plan: PlanSummary, outcome: QueryOutcome | undefined, filter: Document): Document {
  const docsExamined = outcome?.docsExamined ?? 0;
  const keysExamined = outcome?.keysExamined ?? 0;
  if (plan.stage === 'EOF') return { stage: 'EOF', nReturned: 0 };
  if (plan.stage === 'COLLSCAN') {
    const scan: Document = { stage: 'COLLSCAN', direction: 'forward', docsExamined };
    if (Object.keys(filter).length > 0) scan.filter = filter;
    return scan;
  }
  const { exact, ...ixscan } = plan;
  const fetch: Document = { stage: 'FETCH', docsExamined, inputStage: { ...ixscan, keysExamined } };
  if (!exact) fetch.filter = filter;
  return fetch;
}

/** explain of a find or count: the winning plan as MongoDB draws it (stages nested inside out), with executionStats. */
const explain: CommandHandler = (cmd, ctx) => {
  const inner = docOption(cmd, 'explain');
  if (inner.aggregate !== undefined) return explainAggregate(inner, ctx);
  const started = performance.now();
  const deadline = Deadline.of(inner).min(Deadline.of(cmd));
  let name: string;
  let stages: Document;
  let nReturned: number;
  let outcome: QueryOutcome | undefined;
  if (typeof inner.find === 'string') {
    name = collectionName(inner, 'find');
    const spec = findSpec(inner);
    const coll = ctx.catalog.get(ctx.db, name);
    const run = runFind(coll, spec, deadline);
    outcome = run.outcome;
    nReturned = run.docs.length;
    stages = scanStages(outcome?.plan ?? EOF_PLAN, outcome, spec.filter);
    if (outcome?.sortedInMemory) stages = { stage: 'SORT', sortPattern: spec.sort, inputStage: stages };
    if (spec.skip > 0) stages = { stage: 'SKIP', skipAmount: spec.skip, inputStage: stages };
    if (spec.limit > 0) stages = { stage: 'LIMIT', limitAmount: spec.limit, inputStage: stages };
    if (Object.keys(spec.projection).length > 0) stages = { stage: 'PROJECTION_SIMPLE', transformBy: spec.projection, inputStage: stages };
  } else if (typeof inner.count === 'string') {
    name = collectionName(inner, 'count');
    const query = docOption(inner, 'query');
    const coll = ctx.catalog.get(ctx.db, name);
    const modifiers = queryModifiers(inner);
    if (!coll) checkModifiers(modifiers);
    const counted = coll?.countWithPlan(query, deadline, modifiers);
    outcome = counted;
    nReturned = 0;
    stages = { stage: 'COUNT', nCounted: counted?.total ?? 0, inputStage: scanStages(counted?.plan ?? EOF_PLAN, counted, query) };
  } else {
    throw new CommandError('NotImplemented', 'the embedded server explains only find and count');
  }
  stages.nReturned = nReturned;
  return {
    explainVersion: '1',
    queryPlanner: { namespace: `${ctx.db}.${name}`, indexFilterSet: false, winningPlan: stripCounters(stages), rejectedPlans: [] },
    executionStats: {
      executionSuccess: true,
      nReturned,
      executionTimeMillis: Math.round(performance.now() - started),
      totalKeysExamined: outcome?.keysExamined ?? 0,
      totalDocsExamined: outcome?.docsExamined ?? 0,
      executionStages: stages,
    },
    command: inner,
  };
};

/** The plan without execution counters, for queryPlanner.winningPlan. */
function stripCounters(stage: Document): Document {
  const { nReturned: _n, keysExamined: _k, docsExamined: _d, nCounted: _c, inputStage, ...rest } = stage;
  return inputStage ? { ...rest, inputStage: stripCounters(inputStage as Document) } : rest;
}

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
