/**
 * The `$merge` stage as MongoDB 7.0 runs it (document_source_merge.cpp): the results are written
 * into a target collection one by one, each matched on the `on` fields (`_id` by default) and
 * then replaced, merged (`$set`), kept, refused, or updated with a pipeline; unmatched ones are
 * inserted, discarded, or refused. Every write goes through the ordinary write path (size and
 * depth limits, unique indexes, the validator unless bypassed, the journal). Like MongoDB's, a
 * `$merge` is not atomic: documents written before an error stay written.
 */
import type { Document } from 'bson';
import { Aggregator } from '../mingo-bson';
import type { Collection } from '../catalog';
import { parseCollation } from '../collation';
import { CommandError } from '../errors';
import { evaluateLet } from '../modifiers';
import { QUERY_OPTIONS } from '../mingo-options';
import { mingoVariableError, NO_MODIFIERS, type QueryModifiers } from '../query-options';
import { applyUpdate, upsertSeed, withId, type UpdateSpec } from '../update';
import { validatePipeline } from '../update-pipeline';
import { getPath, isPlainObject } from '../values';
import type { Deadline } from '../deadline';
import { checkTargetNamespace, type OutTarget } from './aggregate-output';
import type { CommandContext } from './context';
import { insertDoc, storeDoc } from './writes';

type WhenMatched = 'replace' | 'keepExisting' | 'merge' | 'fail' | Document[];
type WhenNotMatched = 'insert' | 'discard' | 'fail';

/** A checked `$merge`: where, matched on what, and what to do. */
export interface MergePlan {
  target: OutTarget;
  on: string[];
  /** Whether `on` was given (only then must a unique index support it). */
  explicitOn: boolean;
  whenMatched: WhenMatched;
  whenNotMatched: WhenNotMatched;
  /** The pipeline mode's `let` (default `{new: '$$ROOT'}`), evaluated per source document. */
  let?: Document;
  /** The aggregation's collation, which matching uses (and a supporting index must have). */
  collation?: Document;
}

const SPEC_FIELDS = new Set(['into', 'on', 'let', 'whenMatched', 'whenNotMatched', 'targetCollectionVersion']);
const WHEN_MATCHED = new Set(['replace', 'keepExisting', 'merge', 'fail']);
const WHEN_NOT_MATCHED = new Set(['insert', 'discard', 'fail']);
/** The whenMatched/whenNotMatched pairs MongoDB supports (its merge strategy descriptors). */
const SUPPORTED_MODES = new Set(['replace/insert', 'replace/fail', 'replace/discard', 'merge/insert', 'merge/fail', 'merge/discard', 'keepExisting/insert', 'fail/insert', 'pipeline/insert', 'pipeline/fail', 'pipeline/discard']);
/** Databases MongoDB keeps for itself (NamespaceString::isOnInternalDb). */
const INTERNAL_DBS = new Set(['admin', 'config', 'local']);

/** The BSON type name MongoDB's parse errors use. */
function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'string') return 'string';
  if (isPlainObject(v)) return 'object';
  return typeof v === 'number' ? 'double' : typeof v;
}

/**
 * Parses a `$merge` argument and checks it against the target as MongoDB does before running
 * the pipeline: the spec's fields and their types, the mode pair (51181), `let` (51199,
 * 51273), the namespace (31319, 31320), and for an explicit `on` a unique, non-partial index on
 * exactly those fields with the aggregation's collation (51183).
 */
export function prepareMerge(ctx: CommandContext, raw: unknown, collation: Document | undefined): MergePlan {
  if (typeof raw !== 'string' && !isPlainObject(raw)) throw new CommandError('TypeMismatch', `$merge requires a string or object argument, but found ${typeName(raw)}`);
  const spec: Document = typeof raw === 'string' ? { into: raw } : raw;
  const unknown = Object.keys(spec).find((k) => !SPEC_FIELDS.has(k));
  if (unknown !== undefined) throw new CommandError('Location40415', `BSON field '$merge.${unknown}' is an unknown field.`);
  if (spec.into === undefined) throw new CommandError('Location40414', "BSON field '$merge.into' is missing but a required field");
  const target = mergeTarget(spec.into, ctx.db);
  const on = spec.on === undefined ? ['_id'] : onFields(spec.on);
  const whenMatched = whenMatchedMode(spec.whenMatched);
  const whenNotMatched = whenNotMatchedMode(spec.whenNotMatched);
  const matchedName = Array.isArray(whenMatched) ? 'pipeline' : whenMatched;
  if (!SUPPORTED_MODES.has(`${matchedName}/${whenNotMatched}`)) {
    throw new CommandError('Location51181', `Combination of $merge modes 'whenMatched: ${matchedName}' and 'whenNotMatched: ${whenNotMatched}' is not supported`);
  }
  if (target.coll.startsWith('system.')) throw new CommandError('Location31319', `Cannot $merge to special collection: ${target.coll}`);
  if (INTERNAL_DBS.has(target.db)) throw new CommandError('Location31320', `Cannot $merge to internal database: ${target.db}`);
  const plan: MergePlan = { target, on, explicitOn: spec.on !== undefined, whenMatched, whenNotMatched, collation };
  plan.let = letFor(spec.let, whenMatched, whenNotMatched);
  if (plan.explicitOn && !hasSupportingIndex(ctx.catalog.get(target.db, target.coll), on, collation)) {
    throw new CommandError('Location51183', 'Cannot find index to verify that join fields will be unique');
  }
  return plan;
}

/** `into`: a collection name, or `{db, coll}`. */
function mergeTarget(into: unknown, db: string): OutTarget {
  if (typeof into === 'string') {
    if (into === '') throw new CommandError('Location5786800', "$merge 'into' field cannot be an empty string");
    return checkTargetNamespace({ db, coll: into }, '$merge');
  }
  if (!isPlainObject(into)) throw new CommandError('Location51178', `$merge 'into' field  must be either a string or an object, but found ${typeName(into)}`);
  for (const [k, v] of Object.entries(into)) {
    if (k !== 'db' && k !== 'coll') throw new CommandError('Location40415', `BSON field 'into.${k}' is an unknown field.`);
    if (typeof v !== 'string') throw new CommandError('TypeMismatch', `BSON field 'into.${k}' is the wrong type '${typeName(v)}', expected type 'string'`);
  }
  const coll = into.coll as string | undefined;
  if (coll === undefined || coll === '') throw new CommandError('Location5786801', "$merge 'into' field must specify a 'coll' that is not empty, null or undefined");
  return checkTargetNamespace({ db: (into.db as string | undefined) || db, coll }, '$merge');
}

/** `on`: a field name or a non-empty array of distinct ones. */
function onFields(on: unknown): string[] {
  if (typeof on !== 'string' && !Array.isArray(on)) throw new CommandError('Location51186', `$merge 'on' field  must be either a string or an array of strings, but found ${typeName(on)}`);
  const fields = typeof on === 'string' ? [on] : on;
  for (const f of fields) {
    if (typeof f !== 'string') throw new CommandError('Location51134', `$merge 'on' array elements must be strings, but found ${typeName(f)}`);
  }
  if (fields.length === 0) throw new CommandError('Location51187', "If explicitly specifying $merge 'on', must include at least one field");
  const seen = new Set<string>();
  for (const f of fields as string[]) {
    if (seen.has(f)) throw new CommandError('Location31465', `Found a duplicate field '${f}'`);
    seen.add(f);
  }
  return fields as string[];
}

function whenMatchedMode(v: unknown): WhenMatched {
  if (v === undefined) return 'merge';
  if (Array.isArray(v)) {
    validatePipeline(v);
    return v;
  }
  if (typeof v !== 'string') throw new CommandError('Location51191', `$merge 'whenMatched' field  must be either a string or an array, but found ${typeName(v)}`);
  // 'pipeline' is an enum value MongoDB refuses when spelled out: a pipeline must be given.
  if (!WHEN_MATCHED.has(v)) throw new CommandError('BadValue', `Enumeration value '${v}' for field 'whenMatched' is not a valid value.`);
  return v as WhenMatched;
}

function whenNotMatchedMode(v: unknown): WhenNotMatched {
  if (v === undefined) return 'insert';
  if (typeof v !== 'string') throw new CommandError('TypeMismatch', `BSON field '$merge.whenNotMatched' is the wrong type '${typeName(v)}', expected type 'string'`);
  if (!WHEN_NOT_MATCHED.has(v)) throw new CommandError('BadValue', `Enumeration value '${v}' for field '$merge.whenNotMatched' is not a valid value.`);
  return v as WhenNotMatched;
}

/** The pipeline mode's variables: `let` or `{new: '$$ROOT'}`; `new` is added for whenNotMatched 'insert'. */
function letFor(raw: unknown, whenMatched: WhenMatched, whenNotMatched: WhenNotMatched): Document | undefined {
  if (raw !== undefined && !isPlainObject(raw)) throw new CommandError('TypeMismatch', `BSON field '$merge.let' is the wrong type '${typeName(raw)}', expected type 'object'`);
  if (!Array.isArray(whenMatched)) {
    if (raw !== undefined) throw new CommandError('Location51199', `Cannot use 'let' variables with 'whenMatched: ${whenMatched}' mode`);
    return undefined;
  }
  const vars: Document = raw ?? { new: '$$ROOT' };
  if (vars.new !== undefined && vars.new !== '$$ROOT') throw new CommandError('Location51273', "'let' may not define a value for the reserved 'new' variable other than '$$ROOT'");
  // The names are checked as any `let`'s (MongoDB's validateNameForUserWrite).
  evaluateLet(Object.fromEntries(Object.keys(vars).map((k) => [k, null])));
  return vars.new === undefined && whenNotMatched === 'insert' ? { ...vars, new: '$$ROOT' } : vars;
}

/**
 * Whether the target has an index that makes `on` unique (supportsUniqueKey): unique (`_id_`
 * always is), not partial, on exactly the `on` fields with numeric directions, under the same
 * collation as the aggregation. A missing target only supports `on: '_id'`.
 */
function hasSupportingIndex(coll: Collection | undefined, on: string[], collation: Document | undefined): boolean {
  if (!coll) return on.length === 1 && on[0] === '_id';
  const wanted = collation === undefined ? undefined : parseCollation(collation)?.id;
  return coll.indexSpecs().some((spec) => {
    const fields = Object.keys(spec.key);
    if (!(spec.unique === true || spec.name === '_id_') || spec.partialFilterExpression !== undefined) return false;
    if (fields.length !== on.length || !fields.every((f) => on.includes(f) && typeof spec.key[f] === 'number')) return false;
    const own = spec.collation === undefined ? undefined : parseCollation(spec.collation)?.id;
    return own === wanted;
  });
}

/** `err` with MongoDB's context prefixed to its message (uassertStatusOKWithContext), code and extra fields kept. */
function withContext(err: unknown, context: string): unknown {
  if (!(err instanceof CommandError)) return err;
  return new CommandError(err.codeName, `${context} :: caused by :: ${err.message}`, err.extra);
}

/** The key a result document is matched on: its `on` fields, which may be neither nullish nor arrays (51185, 51132). */
function mergeKey(doc: Document, on: string[]): Document {
  const key: Document = {};
  for (const field of on) {
    const value = getPath(doc, field);
    if (Array.isArray(value)) throw new CommandError('Location51185', `$merge write error: 'on' field '${field}' is an array`);
    if (value === undefined || value === null) throw new CommandError('Location51132', `$merge write error: 'on' field '${field}' cannot be missing, null, undefined or an array`);
    key[field] = value;
  }
  return key;
}

/** The pipeline mode's variables for one source document (`$$new` is the document itself). */
function variablesFor(doc: Document, vars: Document): Document {
  try {
    return (new Aggregator([{ $replaceWith: vars }], QUERY_OPTIONS).run([doc])[0] as Document | undefined) ?? {};
  } catch (err) {
    throw mingoVariableError(err);
  }
}

/** The target collection, created (in the target database) on the first write that needs it. */
function targetCollection(ctx: CommandContext, target: OutTarget): Collection {
  const existing = ctx.catalog.get(target.db, target.coll);
  if (existing) return existing;
  ctx.apply({ op: 'createCollection', db: target.db, coll: target.coll });
  return ctx.catalog.get(target.db, target.coll) as Collection;
}

/** The update a matched document gets, as MongoDB builds it for each mode. */
function matchedUpdate(plan: MergePlan, doc: Document): UpdateSpec {
  if (plan.whenMatched === 'replace') return doc;
  if (plan.whenMatched === 'keepExisting') return { $setOnInsert: doc };
  if (Array.isArray(plan.whenMatched)) return plan.whenMatched;
  return { $set: doc };
}

/**
 * Writes the results of the pipeline as `plan` says. whenMatched 'fail' inserts (as MongoDB's
 * unordered insert batch: every document that can be is written, then the first error is
 * raised); the other modes update one document per result, in order, stopping at the first
 * error; with whenNotMatched 'fail' the results that matched are written, then 13113 is raised.
 */
export function writeMerge(ctx: CommandContext, plan: MergePlan, docs: Document[], deadline: Deadline): void {
  let firstError: unknown;
  let unmatched = 0;
  for (const raw of docs) {
    deadline.tick();
    // An _id is generated when the key includes it and the document has none.
    const doc = plan.on.includes('_id') ? withId(raw) : raw;
    const key = mergeKey(doc, plan.on);
    try {
      if (plan.whenMatched === 'fail') insertDoc(ctx, targetCollection(ctx, plan.target), withId(doc));
      else if (!mergeOne(ctx, plan, doc, key, deadline)) unmatched++;
    } catch (err) {
      const wrapped = explainFailure(err, plan);
      if (plan.whenMatched !== 'fail') throw wrapped;
      firstError ??= wrapped;
    }
  }
  if (firstError !== undefined) throw firstError;
  if (unmatched > 0 && plan.whenNotMatched === 'fail') {
    throw new CommandError('MergeStageNoMatchingDocument', '$merge could not find a matching document in the target collection for at least one document in the source collection');
  }
}

/** Updates (or upserts) the document matching `key`; false when none matched and none was inserted. */
function mergeOne(ctx: CommandContext, plan: MergePlan, doc: Document, key: Document, deadline: Deadline): boolean {
  const existing = ctx.catalog.get(plan.target.db, plan.target.coll);
  const [old] = existing?.match(key, 1, deadline, matchModifiers(plan, existing)) ?? [];
  if (old !== undefined) {
    if (plan.whenMatched === 'keepExisting') return true;
    const variables = plan.let ? variablesFor(doc, plan.let) : undefined;
    // No filter for the update itself: the match (under the aggregation's collation) is made.
    storeDoc(ctx, existing as Collection, applyUpdate(old, matchedUpdate(plan, doc), {}, false, undefined, variables), old);
    return true;
  }
  if (plan.whenNotMatched !== 'insert') return false;
  // The pipeline mode inserts the result itself; the others upsert from the key, as an update does.
  const inserted = Array.isArray(plan.whenMatched) ? doc : applyUpdate(upsertSeed(key), matchedUpdate(plan, doc), key, true);
  insertDoc(ctx, targetCollection(ctx, plan.target), withId(inserted), 'upsert');
  return true;
}

/**
 * The target is searched under the aggregation's collation, as MongoDB's $merge sends it with
 * every update: `simple` (not the target's default) when the aggregation has none.
 */
function matchModifiers(plan: MergePlan, target: Collection): QueryModifiers {
  if (plan.collation) return { collation: plan.collation };
  return target.collation ? { collation: { locale: 'simple' } } : NO_MODIFIERS;
}

/** MongoDB's context on the errors a `$merge` write meets (DocumentSourceMerge::spill). */
function explainFailure(err: unknown, plan: MergePlan): unknown {
  if (!(err instanceof CommandError)) return err;
  if (err.codeName === 'ImmutableField') return withContext(err, '$merge failed to update the matching document, did you attempt to modify the _id or the shard key?');
  if (err.codeName !== 'DuplicateKey') return err;
  const pattern = isPlainObject(err.extra.keyPattern) ? Object.keys(err.extra.keyPattern) : [];
  const onFieldsCollide = pattern.length === plan.on.length && plan.on.every((f) => pattern.includes(f));
  if (plan.whenMatched === 'fail' && onFieldsCollide) return withContext(err, "$merge with whenMatched: fail found an existing document with the same values for the 'on' fields");
  return withContext(err, '$merge failed due to a DuplicateKey error');
}
