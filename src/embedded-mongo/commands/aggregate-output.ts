/**
 * The parts of `aggregate` around the pipeline itself, as MongoDB 7.0 does them: the `$out`
 * stage (the results replace a collection, atomically: everything is checked before anything is
 * written), and database-level aggregation (`aggregate: 1`), which must start with `$documents`.
 */
import type { Document } from 'bson';
import { Collection } from '../catalog';
import { checkValidation } from '../collection-options';
import { CommandError } from '../errors';
import { withId } from '../update';
import { listLocalSessions } from '../local-sessions';
import { isPlainObject } from '../values';
import type { CommandContext } from './context';
import { checkStorable, duplicateKeyError } from './writes';

/** Where a `$out` stage writes. */
export interface OutTarget {
  db: string;
  coll: string;
}

/** Stages that write their results somewhere, which must come last. */
const LAST_ONLY = new Set(['$out', '$merge']);

/**
 * Splits a trailing `$out` or `$merge` off a pipeline: the stages to run and where to write, checked as
 * MongoDB checks them (40601 when `$out` or `$merge` is not the last stage).
 */
export function splitOut(pipeline: Document[], db: string): { stages: Document[]; out?: OutTarget; merge?: unknown } {
  pipeline.forEach((stage, i) => {
    const op = isPlainObject(stage) ? Object.keys(stage)[0] : undefined;
    if (op !== undefined && LAST_ONLY.has(op) && i !== pipeline.length - 1) throw new CommandError('Location40601', `${op} can only be the final stage in the pipeline`);
  });
  const last = pipeline.at(-1);
  // A trailing $merge is handed back unparsed (aggregate-merge.ts checks it against its target).
  if (last?.$merge !== undefined) return { stages: pipeline.slice(0, -1), merge: last.$merge };
  if (!last || last.$out === undefined) return { stages: pipeline };
  return { stages: pipeline.slice(0, -1), out: outTarget(last.$out, db) };
}

/** `$out: 'coll'` or `$out: {db, coll}`, validated. */
function outTarget(spec: unknown, db: string): OutTarget {
  let target: OutTarget;
  if (typeof spec === 'string') target = { db, coll: spec };
  else if (isPlainObject(spec) && typeof spec.coll === 'string' && (spec.db === undefined || typeof spec.db === 'string')) {
    const unknown = Object.keys(spec).find((k) => k !== 'db' && k !== 'coll' && k !== 'timeseries');
    if (unknown) throw new CommandError('Location40415', `BSON field '$out.${unknown}' is an unknown field.`);
    if (spec.timeseries !== undefined) throw new CommandError('InvalidOptions', "$out option 'timeseries' is not supported by the embedded server");
    target = { db: (spec.db as string | undefined) ?? db, coll: spec.coll };
  } else {
    throw new CommandError('Location16990', `$out only supports a string or object argument, but found ${Array.isArray(spec) ? 'array' : typeof spec}`);
  }
  if (target.coll.startsWith('system.')) throw new CommandError('InvalidNamespace', `Invalid $out target namespace, ${target.db}.${target.coll}`);
  return checkTargetNamespace(target, '$out');
}

/**
 * Throws InvalidNamespace, worded as the stage's own message, unless `target` is a valid
 * namespace (NamespaceString::isValid): a collection name without `$` or NUL, a database name
 * without `/\\. "$` or NUL.
 */
export function checkTargetNamespace(target: OutTarget, stage: '$out' | '$merge'): OutTarget {
  const valid = target.coll !== '' && !target.coll.includes('$') && !target.coll.includes('\0') && target.db !== '' && !/[/\\. "$\0]/.test(target.db);
  if (valid) return target;
  const ns = `${target.db}.${target.coll}`;
  throw new CommandError('InvalidNamespace', stage === '$out' ? `Invalid $out target namespace, ${ns}` : `Invalid $merge target namespace: '${ns}'`);
}

/**
 * Replaces the target collection's documents with `docs` (each given an `_id` if it has none),
 * keeping its indexes and options, as `$out` does (not into a capped collection: 17152). Every document is checked first — size,
 * unique keys (among themselves: the old documents are gone by then), the validator — so a
 * failure leaves the target untouched.
 */
export function writeOut(ctx: CommandContext, target: OutTarget, docs: Document[]): void {
  const existing = ctx.catalog.get(target.db, target.coll);
  if (existing?.capped) throw new CommandError('Location17152', `namespace '${target.db}.${target.coll}' is capped so it can't be used for $out`);
  const scratch = new Collection(target.db, target.coll, { docsExamined: 0, indexedQueries: 0, collectionScans: 0 });
  for (const index of existing?.indexes.values() ?? []) scratch.indexes.set(index.spec.name, scratch.buildIndex(index.spec));
  const ready = docs.map((raw) => {
    const doc = withId(raw);
    checkStorable(doc, 'insert');
    if (scratch.byId(doc._id) !== undefined) throw duplicateKeyError(scratch, '_id_', { _id: 1 }, { _id: doc._id });
    const violation = scratch.uniqueViolation(doc);
    if (violation) throw duplicateKeyError(scratch, violation.spec.name, violation.spec.key, violation.keyValue);
    if (existing) checkValidation(existing, doc, undefined, ctx.bypassDocumentValidation);
    scratch.put(doc);
    return doc;
  });
  if (!existing) ctx.apply({ op: 'createCollection', db: target.db, coll: target.coll });
  for (const old of existing ? [...existing.documents()] : []) ctx.apply({ op: 'delete', db: target.db, coll: target.coll, id: old._id });
  for (const doc of ready) ctx.apply({ op: 'put', db: target.db, coll: target.coll, doc });
}

/** Stages a database-level aggregate may start with, and whether this server runs them. */
const COLLECTIONLESS_FIRST: Record<string, boolean> = { $documents: true, $currentOp: false, $listLocalSessions: true, $changeStream: false };

/**
 * Checks a database-level aggregate (`aggregate: 1`): its first stage must be one that needs no
 * collection (InvalidNamespace, 73, as MongoDB, otherwise); of those `$documents` and
 * `$listLocalSessions` run here, the others are refused by name.
 */
export function checkCollectionless(pipeline: Document[]): void {
  const first = pipeline[0];
  const op = first && isPlainObject(first) ? Object.keys(first)[0] : undefined;
  if (op === undefined || !Object.hasOwn(COLLECTIONLESS_FIRST, op)) {
    throw new CommandError('InvalidNamespace', `{aggregate: 1} is not valid for '${op ?? '$match'}'; a collection is required.`);
  }
  if (!COLLECTIONLESS_FIRST[op]) throw new CommandError('NotImplemented', `${op} is not supported by the embedded server`);
}

/**
 * The pipeline a database-level aggregate runs: a leading `$listLocalSessions` becomes the
 * `$documents` of the sessions it lists (local-sessions.ts); any other pipeline is unchanged.
 */
export function withLocalSessions(ctx: CommandContext, pipeline: Document[]): Document[] {
  const first = pipeline[0];
  if (!isPlainObject(first) || first.$listLocalSessions === undefined) return pipeline;
  return [{ $documents: { $literal: listLocalSessions(ctx.catalog, first.$listLocalSessions, ctx.user) } }, ...pipeline.slice(1)];
}
