/**
 * Updates given as an aggregation pipeline (`updateOne(q, [{$set: ...}])`, MongoDB 4.2+): the
 * stages MongoDB 7.0 allows there, evaluated by mingo with the `let` variables (and an update
 * statement's `c` constants), and MongoDB's refusals for everything else. Operator updates never
 * come here, so they pay nothing for it.
 */
import type { Document } from 'bson';
import { ProcessingMode } from 'mingo';
import { Aggregator } from './mingo-bson';
import { MingoError } from 'mingo/util';
import { CommandError, immutableId } from './errors';
import { mongoErrorOf } from './input-errors';
import { expressionView, fieldRefs, restoreTypes } from './expression-numbers';
import { QUERY_OPTIONS } from './mingo-options';
import { withCommandNow } from './command-clock';
import { exceedsDepth, isPlainObject, keyOf, MAX_STORED_DEPTH } from './values';

/** The stages MongoDB 7.0 runs inside an update pipeline (isAllowedWithinUpdatePipeline). */
const UPDATE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

/** Stages MongoDB allows in an update but mingo does not evaluate: refused by name. */
const UNSUPPORTED_UPDATE_STAGES = new Set(['$fill']);

/** Other stages MongoDB knows: refused with 72 in an update; any other name is unknown (40324). */
const OTHER_STAGES = new Set([
  '$match', '$group', '$sort', '$limit', '$skip', '$lookup', '$unwind', '$count', '$facet', '$bucket', '$bucketAuto',
  '$sortByCount', '$out', '$merge', '$sample', '$geoNear', '$graphLookup', '$redact', '$collStats', '$indexStats',
  '$densify', '$setWindowFields', '$unionWith', '$documents', '$changeStream', '$currentOp', '$listSessions',
  '$listLocalSessions', '$planCacheStats', '$search', '$searchMeta', '$listSearchIndexes', '$vectorSearch',
]);

/**
 * Checks an update pipeline as MongoDB parses it: every element a one-field object naming a
 * stage, and only stages allowed within an update (else InvalidOptions, 72, "$group is not
 * allowed to be used within an update").
 */
export function validatePipeline(stages: unknown[]): asserts stages is Document[] {
  for (const stage of stages) {
    if (!isPlainObject(stage)) throw new CommandError('TypeMismatch', 'Each element of the \'pipeline\' array must be an object');
    const names = Object.keys(stage);
    if (names.length !== 1) throw new CommandError('Location40323', 'A pipeline stage specification object must contain exactly one field.');
    const name = names[0];
    if (UNSUPPORTED_UPDATE_STAGES.has(name)) throw new CommandError('NotImplemented', `${name} in an update pipeline is not supported by the embedded server`);
    if (UPDATE_STAGES.has(name)) continue;
    if (!OTHER_STAGES.has(name)) throw new CommandError('Location40324', `Unrecognized pipeline stage name: '${name}'`);
    throw new CommandError('InvalidOptions', `${name} is not allowed to be used within an update`);
  }
}

/**
 * The values of `let` variables (or of a statement's `c` constants): MongoDB evaluates each as an
 * expression, once, without a document (`{$literal: '$x'}` is the string `$x`, `$$NOW` a date);
 * mingo takes variables as finished values, so they are evaluated here first.
 */
export function evaluateVariables(vars: Document): Document {
  if (exceedsDepth(vars)) throw new CommandError('Overflow', `Document exceeds maximum nesting depth of ${MAX_STORED_DEPTH}`);
  const out = new Aggregator([{ $replaceWith: vars }], withCommandNow(QUERY_OPTIONS)).run([{}])[0] as Document | undefined;
  return out ?? {};
}

/**
 * The variables a pipeline sees: the command's evaluated `let` and the statement's `c`
 * (constants), which MongoDB 5.0+ both accepts; `c` wins on a clash, as the narrower scope.
 */
export function pipelineVariables(letValues: Document | undefined, constants: unknown): Document | undefined {
  if (!isPlainObject(constants)) return letValues;
  return { ...letValues, ...evaluateVariables(constants) };
}

/**
 * Runs the stages over `doc`. mingo's refusals are bad input, never an internal error: those
 * input-errors.ts knows (an undefined `$$variable` 17276…) get MongoDB's code, anything else
 * BadValue with mingo's message.
 */
function run(aggregator: Aggregator, doc: Document): Document | undefined {
  try {
    return aggregator.run([doc])[0] as Document | undefined;
  } catch (err) {
    if (!(err instanceof MingoError)) throw err;
    const known = mongoErrorOf(err);
    if (known) throw known;
    throw new CommandError('BadValue', err.message);
  }
}

/** What running `stages` needs, built once per statement: the fields they read, and the aggregator. */
interface CompiledPipeline {
  variables: Document | undefined;
  refs: ReturnType<typeof fieldRefs>;
  aggregator: Aggregator;
}

/**
 * Keyed by the statement's stages (decoded anew for every command, so an entry never outlives its
 * command and its `$$NOW`); rebuilt when the variables differ (another statement's `c`).
 */
const pipelines = new WeakMap<Document[], CompiledPipeline>();

function compiled(stages: Document[], variables: Document | undefined): CompiledPipeline {
  const known = pipelines.get(stages);
  if (known && known.variables === variables) return known;
  const options = withCommandNow({ ...QUERY_OPTIONS, processingMode: ProcessingMode.CLONE_INPUT, ...(variables ? { variables } : {}) });
  const entry = { variables, refs: fieldRefs(stages), aggregator: new Aggregator(stages, options) };
  pipelines.set(stages, entry);
  return entry;
}

/**
 * The new version of `doc` after the pipeline `stages`. `_id` may not change (ImmutableField, 66);
 * a pipeline that drops it keeps the old one, as MongoDB does. `doc` is not modified.
 */
export function applyPipeline(doc: Document, stages: Document[], variables: Document | undefined): Document {
  if (stages.length === 0) return doc;
  const { refs, aggregator } = compiled(stages, variables);
  // Computed on plain numbers; unchanged fields keep their stored BSON types (expression-numbers.ts).
  const view = expressionView(doc, refs);
  const out = restoreTypes(doc, view, run(aggregator, view));
  if (!isPlainObject(out)) throw new CommandError('BadValue', 'The update pipeline must produce a document');
  if (out._id === undefined) return doc._id === undefined ? out : { _id: doc._id, ...out };
  if (doc._id !== undefined && keyOf(out._id) !== keyOf(doc._id)) {
    throw immutableId();
  }
  // _id first, as MongoDB stores it.
  if (Object.keys(out)[0] === '_id') return out;
  const { _id, ...rest } = out;
  return { _id, ...rest };
}
