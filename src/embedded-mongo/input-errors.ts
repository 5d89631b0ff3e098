/**
 * MongoDB's answers to malformed input, in one place: the codes and messages MongoDB 7.0 gives
 * for unknown operators, stages and variables (mingo reports them with its own wording, which
 * would otherwise reach the client as code 1 InternalError), and the checks that must happen
 * before any document is looked at, so an empty or missing collection refuses a bad filter or
 * update just as a full one does.
 */
import type { Document } from 'bson';
import { CommandError } from './errors';
import { compileFilter } from './filter';
import { isPlainObject } from './values';

/** mingo's messages for rejected input, and MongoDB's code and message for each. */
const MINGO_MESSAGES: Array<[RegExp, (m: RegExpMatchArray) => CommandError]> = [
  // MatchExpressionParser: BadValue "unknown operator: $foo".
  [/^unknown query operator (\$\S+)$/, (m) => new CommandError('BadValue', `unknown operator: ${m[1]}`)],
  [/^unknown top level operator: (\$\S+)$/, (m) => new CommandError('BadValue', `unknown top level operator: ${m[1]}`)],
  // Pipeline::parse: 40324 "Unrecognized pipeline stage name: '$foo'".
  [/^unregistered pipeline operator (\$\S+?)\.?$/, (m) => new CommandError('Location40324', `Unrecognized pipeline stage name: '${m[1]}'`)],
  // Variables: 17276 "Use of undefined variable: foo".
  [/^Use of undefined variable: (\S+)$/, (m) => new CommandError('Location17276', `Use of undefined variable: ${m[1]}`)],
  // Expression::parseExpression: InvalidPipelineOperator "Unrecognized expression '$foo'" (mingo
  // looks an unknown expression operator up among the accumulators last, hence its wording).
  [/^accumulator '(\$\S+)' is not registered\.$/, (m) => new CommandError('InvalidPipelineOperator', `Unrecognized expression '${m[1]}'`)],
];

/** MongoDB's error for an error mingo threw about the input, or undefined when it is not one of those. */
export function mongoErrorOf(err: unknown): CommandError | undefined {
  if (!(err instanceof Error) || err.constructor.name !== 'MingoError') return undefined;
  for (const [re, make] of MINGO_MESSAGES) {
    const m = re.exec(err.message);
    if (m) return make(m);
  }
  return undefined;
}

/**
 * Refuses a filter MongoDB would not parse (unknown operators), without a collection to run it
 * on: commands on a missing collection call this, since the planner only compiles a filter
 * when it has documents to test. Compiling is what the planner does anyway, so this costs
 * nothing on the paths that have documents.
 */
export function checkFilter(filter: Document): void {
  if (Object.keys(filter).length > 0) compileFilter(filter);
}

/** MongoDB 7.0's update operators. */
const UPDATE_OPERATORS = new Set(['$currentDate', '$inc', '$min', '$max', '$mul', '$rename', '$set', '$setOnInsert', '$unset', '$addToSet', '$pop', '$pull', '$push', '$pullAll', '$bit']);

/**
 * Refuses an operator update naming an operator MongoDB does not have, with its FailedToParse
 * (9) "Unknown modifier: $foo. Expected a valid update modifier or pipeline-style update
 * specified as an array" — before any document is matched.
 */
export function checkUpdateOperators(u: Document): void {
  for (const op of Object.keys(u)) {
    if (op.startsWith('$') && !UPDATE_OPERATORS.has(op)) {
      throw new CommandError('FailedToParse', `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
    }
  }
}

/**
 * The first field name anywhere inside `value` (sub-documents and arrays, walked without
 * recursion) that `wanted` accepts, if any.
 */
export function findFieldName(value: unknown, wanted: (name: string) => boolean): string | undefined {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...(v as unknown[]));
    else if (isPlainObject(v)) {
      for (const [k, inner] of Object.entries(v)) {
        if (wanted(k)) return k;
        stack.push(inner);
      }
    }
  }
  return undefined;
}

/**
 * Refuses an `_id` that is a document with a `$`-prefixed field (at any depth), as MongoDB's
 * storage validation does: "_id fields may not contain '$'-prefixed fields: $a is not valid for
 * storage." — BadValue (2) for an insert, DollarPrefixedFieldName (52) for an update or upsert.
 * Only a sub-document `_id` is looked at, so ordinary ids cost one type check.
 */
export function checkIdField(id: unknown, inserting: boolean): void {
  if (!isPlainObject(id)) return;
  const bad = findFieldName(id, (k) => k.startsWith('$'));
  if (bad === undefined) return;
  throw new CommandError(inserting ? 'BadValue' : 'DollarPrefixedFieldName', `_id fields may not contain '$'-prefixed fields: ${bad} is not valid for storage.`);
}

/** MongoDB 7.0's `$group` accumulators. */
const ACCUMULATORS = new Set(['$accumulator', '$addToSet', '$avg', '$bottom', '$bottomN', '$count', '$first', '$firstN', '$last', '$lastN', '$max', '$maxN', '$median', '$mergeObjects', '$min', '$minN', '$percentile', '$push', '$stdDevPop', '$stdDevSamp', '$sum', '$top', '$topN']);

/**
 * Refuses a `$group` (at the top of a pipeline or inside a `$facet`) naming an accumulator
 * MongoDB does not have, with its 15952 "unknown group operator '$foo'" — before anything runs
 * (mingo would report it as an unknown expression, and only once documents reach the stage).
 */
export function checkGroupAccumulators(pipeline: unknown[]): void {
  for (const stage of pipeline) {
    if (!isPlainObject(stage)) continue;
    if (isPlainObject(stage.$facet)) for (const sub of Object.values(stage.$facet)) if (Array.isArray(sub)) checkGroupAccumulators(sub);
    if (!isPlainObject(stage.$group)) continue;
    for (const [field, spec] of Object.entries(stage.$group)) {
      if (field === '_id' || !isPlainObject(spec)) continue;
      const op = Object.keys(spec)[0];
      if (op !== undefined && !ACCUMULATORS.has(op)) throw new CommandError('Location15952', `unknown group operator '${op}'`);
    }
  }
}
