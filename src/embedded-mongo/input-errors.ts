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
  [/^Use of undefined variable: (\S+)$/, (m) => undefinedVariable(m[1])],
  // Expression::parseExpression: InvalidPipelineOperator "Unrecognized expression '$foo'" (mingo
  // looks an unknown expression operator up among the accumulators last, hence its wording).
  [/^accumulator '(\$\S+)' is not registered\.$/, (m) => new CommandError('InvalidPipelineOperator', `Unrecognized expression '${m[1]}'`)],
  // Server-side JavaScript, which this server never runs: MongoDB's answers when its script
  // engine is disabled (security.javascriptEnabled: false). $where: JsFunction's 6108304 when the
  // filter is parsed; $function / $accumulator: ExpressionContext::getJsExecWithScope's 31264
  // when they are evaluated.
  [/^\$where (operator )?requires 'scriptEnabled'/, () => javascriptDisabled('$where')],
  [/^\$(function|accumulator) requires 'scriptEnabled'/, (m) => javascriptDisabled(`$${m[1]}`)],
];

/**
 * MongoDB's error for `$$name` naming no variable: 17276 "Use of undefined variable: name";
 * `$$CLUSTER_TIME`, which a standalone does not have, 51144 "Builtin variable '$$CLUSTER_TIME'
 * is not available" (Variables::getValue).
 */
export function undefinedVariable(name: string): CommandError {
  if (name === 'CLUSTER_TIME') return new CommandError('Location51144', "Builtin variable '$$CLUSTER_TIME' is not available");
  return new CommandError('Location17276', `Use of undefined variable: ${name}`);
}

/**
 * MongoDB's refusal of server-side JavaScript with the script engine disabled: `$where`
 * 6108304 "no globalScriptEngine in $where parsing", `$function` / `$accumulator` 31264.
 */
export function javascriptDisabled(operator: string): CommandError {
  if (operator === '$where') return new CommandError('Location6108304', 'no globalScriptEngine in $where parsing');
  return new CommandError('Location31264', 'Cannot run server-side javascript without the javascript engine enabled');
}

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
