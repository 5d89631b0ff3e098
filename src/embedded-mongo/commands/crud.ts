/** insert, update, delete, findAndModify. */
import { BSON, type Document } from 'bson';
import { SERIALIZE_OPTIONS } from '../bson-options';
import { Codes, CommandError } from '../errors';
import { Deadline } from '../deadline';
import { checkFilter } from '../input-errors';
import { compileProjection } from '../projection';
import { queryModifiers, type QueryModifiers } from '../query-options';
import { applySimpleUpdate, applyUpdate, checkIdField, upsertSeed, validateUpdate, withId, type UpdateSpec } from '../update';
import { evaluateVariables, pipelineVariables } from '../update-pipeline';
import { isPlainObject } from '../values';
import type { Collection } from '../catalog';
import { collectionName, docOption, type CommandHandler } from './context';
import { checkReceivable, checkStorable, deleteDoc, insertDoc, storeDoc, writeError } from './writes';

/** Reads a command's array of statements (from the body or a kind-1 sequence). */
function statements(cmd: Document, field: string): Document[] {
  const list: unknown = cmd[field];
  if (!Array.isArray(list) || !list.every(isPlainObject)) throw new CommandError('FailedToParse', `'${field}' must be an array of objects`);
  return list;
}

/**
 * Runs each statement, collecting writeErrors; stops at the first error when ordered. Running out
 * of time (maxTimeMS) fails the whole command instead, as in MongoDB; the statements before it
 * stay done.
 */
function eachStatement(cmd: Document, list: Document[], deadline: Deadline, run: (s: Document, i: number) => void): Document[] {
  const ordered = cmd.ordered !== false;
  const writeErrors: Document[] = [];
  for (let i = 0; i < list.length; i++) {
    try {
      deadline.tick();
      run(list[i], i);
    } catch (err) {
      if (err instanceof CommandError && err.code === Codes.MaxTimeMSExpired) throw err;
      writeErrors.push(writeError(i, err));
      if (ordered) break;
    }
  }
  return writeErrors;
}

const insert: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, 'insert');
  const docs = statements(cmd, 'documents');
  const deadline = Deadline.of(cmd);
  // Before anything is created: MongoDB refuses such a command as a whole.
  checkReceivable(docs, 'insert', name);
  const coll = ctx.ensureCollection(name);
  let n = 0;
  const writeErrors = eachStatement(cmd, docs, deadline, (doc) => {
    checkIdField(doc._id);
    insertDoc(ctx, coll, withId(doc));
    n++;
  });
  return writeErrors.length ? { n, writeErrors } : { n };
};

function sameDoc(a: Document, b: Document): boolean {
  return Buffer.from(BSON.serialize(a, SERIALIZE_OPTIONS)).equals(BSON.serialize(b, SERIALIZE_OPTIONS));
}

/**
 * The new version of a stored document after an update, checked for size and depth, and whether
 * it differs. Simple updates (`$set`/`$unset`/`$inc` of top-level fields) are applied directly;
 * the rest through mingo, then compared byte for byte.
 */
function updated(old: Document, u: UpdateSpec, filter: Document, arrayFilters: Document[] | undefined, variables?: Document): { doc: Document; changed: boolean } {
  const simple = arrayFilters || Array.isArray(u) ? undefined : applySimpleUpdate(old, u);
  const next = simple ? simple.doc : applyUpdate(old, u, filter, false, arrayFilters, variables);
  // Checked before the comparison, which serialises (recursively) what may be too deep.
  checkStorable(next, 'update');
  return { doc: next, changed: simple ? simple.changed : !sameDoc(old, next) };
}

/**
 * The server reports MongoDB 7.0, whose update statements have no `sort` (added in 8.0): like
 * 7.0, the whole command is refused while parsing (40415), before any statement runs.
 */
function refuseSort(list: Document[]): void {
  for (const s of list) {
    if (s.sort !== undefined) throw new CommandError('Location40415', "BSON field 'update.updates.sort' is an unknown field.");
  }
}

const update: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, 'update');
  const deadline = Deadline.of(cmd);
  let n = 0;
  let nModified = 0;
  const upserted: Document[] = [];
  const list = statements(cmd, 'updates');
  refuseSort(list);
  // `let` evaluated once per command, and only for pipeline updates (the filter reads the raw `let`).
  const letValues = isPlainObject(cmd.let) && list.some((s) => Array.isArray(s.u)) ? evaluateVariables(cmd.let) : undefined;
  const writeErrors = eachStatement(cmd, list, deadline, (s, index) => {
    const filter = docOption(s, 'q');
    validateUpdate(s.u);
    const u = s.u;
    const arrayFilters = Array.isArray(s.arrayFilters) ? (s.arrayFilters as Document[]) : undefined;
    const modifiers = queryModifiers(s, cmd);
    const variables = Array.isArray(u) ? pipelineVariables(letValues, s.c) : undefined;
    // All matches are found before the first write, so an update never meets its own results.
    const existing = ctx.catalog.get(ctx.db, name);
    if (!existing) checkFilter(filter);
    const matches = existing?.match(filter, s.multi ? 0 : 1, deadline, modifiers) ?? [];
    // Only an upsert creates a missing collection, as in MongoDB.
    const coll = matches.length > 0 || s.upsert ? ctx.ensureCollection(name) : undefined;
    for (const old of matches) {
      if (!coll) break;
      deadline.tick();
      const next = updated(old, u, filter, arrayFilters, variables);
      n++;
      if (!next.changed) continue;
      storeDoc(ctx, coll, next.doc, old, true);
      nModified++;
    }
    if (matches.length === 0 && coll) {
      const doc = withId(applyUpdate(upsertSeed(filter), u, filter, true, arrayFilters, variables));
      insertDoc(ctx, coll, doc, 'upsert');
      n++;
      upserted.push({ index, _id: doc._id });
    }
  });
  const reply: Document = { n, nModified };
  if (upserted.length) reply.upserted = upserted;
  if (writeErrors.length) reply.writeErrors = writeErrors;
  return reply;
};

const del: CommandHandler = (cmd, ctx) => {
  const coll = ctx.catalog.get(ctx.db, collectionName(cmd, 'delete'));
  const deadline = Deadline.of(cmd);
  let n = 0;
  const writeErrors = eachStatement(cmd, statements(cmd, 'deletes'), deadline, (s) => {
    if (s.limit !== 0 && s.limit !== 1 && s.limit !== undefined) throw new CommandError('FailedToParse', 'The limit field in delete objects must be 0 or 1');
    if (!coll) {
      checkFilter(docOption(s, 'q'));
      return;
    }
    const matches = coll.match(docOption(s, 'q'), s.limit === 1 ? 1 : 0, deadline, queryModifiers(s, cmd));
    for (const doc of matches) deleteDoc(ctx, coll, doc);
    n += matches.length;
  });
  return writeErrors.length ? { n, writeErrors } : { n };
};

/** The document findAndModify acts on: the first match in `sort` order. */
function target(coll: Collection | undefined, cmd: Document, filter: Document, deadline: Deadline, modifiers: QueryModifiers): Document | undefined {
  if (!coll) {
    checkFilter(filter);
    return undefined;
  }
  return coll.query(filter, { ...modifiers, sort: docOption(cmd, 'sort'), limit: 1, deadline }).docs[0];
}

/** findAndModify: one document, atomically found and changed; errors are top-level. */
const findAndModify: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, Object.keys(cmd)[0]);
  const filter = docOption(cmd, 'query');
  const deadline = Deadline.of(cmd);
  const projector = compileProjection(docOption(cmd, 'fields'), filter);
  const shape = (doc: Document | undefined): Document | null => (doc ? projector(doc) : null);
  const modifiers = queryModifiers(cmd);
  const old = target(ctx.catalog.get(ctx.db, name), cmd, filter, deadline, modifiers);

  if (cmd.remove) {
    if (cmd.update !== undefined) throw new CommandError('FailedToParse', 'Cannot specify both an update and remove=true');
    if (old) deleteDoc(ctx, ctx.ensureCollection(name), old);
    return { lastErrorObject: { n: old ? 1 : 0 }, value: shape(old) };
  }
  validateUpdate(cmd.update);
  const u = cmd.update;
  const arrayFilters = Array.isArray(cmd.arrayFilters) ? (cmd.arrayFilters as Document[]) : undefined;
  const variables = Array.isArray(u) && modifiers.variables ? evaluateVariables(modifiers.variables) : undefined;
  if (old) {
    const next = updated(old, u, filter, arrayFilters, variables);
    if (next.changed) storeDoc(ctx, ctx.ensureCollection(name), next.doc, old, true);
    return { lastErrorObject: { n: 1, updatedExisting: true }, value: shape(cmd.new ? next.doc : old) };
  }
  if (!cmd.upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null };
  const doc = withId(applyUpdate(upsertSeed(filter), u, filter, true, arrayFilters, variables));
  insertDoc(ctx, ctx.ensureCollection(name), doc, 'upsert');
  return { lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id }, value: cmd.new ? shape(doc) : null };
};

/** Write commands, keyed by lower-case name. */
export const crudCommands: Record<string, CommandHandler> = {
  insert,
  update,
  delete: del,
  findandmodify: findAndModify,
};
