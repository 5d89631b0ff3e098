/** insert, update, delete, findAndModify. */
import { BSON, type Document } from 'bson';
import { SERIALIZE_OPTIONS } from '../bson-options';
import { CommandError } from '../errors';
import { applyUpdate, upsertSeed, validateUpdate, withId } from '../update';
import { isPlainObject } from '../values';
import { collectionName, docOption, type CommandContext, type CommandHandler } from './context';
import { checkReceivable, checkStorable, deleteDoc, insertDoc, storeDoc, writeError } from './writes';
import { project, sortDocs } from './reads';

/** Reads a command's array of statements (from the body or a kind-1 sequence). */
function statements(cmd: Document, field: string): Document[] {
  const list: unknown = cmd[field];
  if (!Array.isArray(list) || !list.every(isPlainObject)) throw new CommandError('FailedToParse', `'${field}' must be an array of objects`);
  return list;
}

/** Runs each statement, collecting writeErrors; stops at the first error when ordered. */
function eachStatement(cmd: Document, list: Document[], run: (s: Document, i: number) => void): Document[] {
  const ordered = cmd.ordered !== false;
  const writeErrors: Document[] = [];
  for (let i = 0; i < list.length; i++) {
    try {
      run(list[i], i);
    } catch (err) {
      writeErrors.push(writeError(i, err));
      if (ordered) break;
    }
  }
  return writeErrors;
}

const insert: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, 'insert');
  const docs = statements(cmd, 'documents');
  // Before anything is created: MongoDB refuses such a command as a whole.
  checkReceivable(docs, 'insert', name);
  const coll = ctx.ensureCollection(name);
  let n = 0;
  const writeErrors = eachStatement(cmd, docs, (doc) => {
    insertDoc(ctx, coll, withId(doc));
    n++;
  });
  return writeErrors.length ? { n, writeErrors } : { n };
};

function sameDoc(a: Document, b: Document): boolean {
  return Buffer.from(BSON.serialize(a, SERIALIZE_OPTIONS)).equals(BSON.serialize(b, SERIALIZE_OPTIONS));
}

/** Stored documents matching `filter`; none when the collection does not exist yet. */
function matchIn(ctx: CommandContext, name: string, filter: Document): Document[] {
  return ctx.catalog.get(ctx.db, name)?.match(filter) ?? [];
}

const update: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, 'update');
  let n = 0;
  let nModified = 0;
  const upserted: Document[] = [];
  const writeErrors = eachStatement(cmd, statements(cmd, 'updates'), (s, index) => {
    const filter = docOption(s, 'q');
    validateUpdate(s.u);
    const u = s.u;
    const arrayFilters = Array.isArray(s.arrayFilters) ? (s.arrayFilters as Document[]) : undefined;
    let matches = matchIn(ctx, name, filter);
    if (!s.multi) matches = matches.slice(0, 1);
    // Only an upsert creates a missing collection, as in MongoDB.
    const coll = matches.length > 0 || s.upsert ? ctx.ensureCollection(name) : undefined;
    for (const old of matches) {
      if (!coll) break;
      const next = applyUpdate(old, u, filter, false, arrayFilters);
      n++;
      // Checked before the comparison, which serialises (recursively) what may be too deep.
      checkStorable(next, 'update');
      if (sameDoc(old, next)) continue;
      storeDoc(ctx, coll, next);
      nModified++;
    }
    if (matches.length === 0 && coll) {
      const doc = withId(applyUpdate(upsertSeed(filter), u, filter, true, arrayFilters));
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
  let n = 0;
  const writeErrors = eachStatement(cmd, statements(cmd, 'deletes'), (s) => {
    if (!coll) return;
    let matches = coll.match(docOption(s, 'q'));
    if (s.limit === 1) matches = matches.slice(0, 1);
    else if (s.limit !== 0 && s.limit !== undefined) throw new CommandError('FailedToParse', 'The limit field in delete objects must be 0 or 1');
    for (const doc of matches) deleteDoc(ctx, coll, doc);
    n += matches.length;
  });
  return writeErrors.length ? { n, writeErrors } : { n };
};

/** findAndModify: one document, atomically found and changed; errors are top-level. */
const findAndModify: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, Object.keys(cmd)[0]);
  const filter = docOption(cmd, 'query');
  const sort = docOption(cmd, 'sort');
  const fields = docOption(cmd, 'fields');
  let candidates = matchIn(ctx, name, filter);
  if (Object.keys(sort).length > 0) candidates = sortDocs(candidates, sort);
  const old = candidates[0];
  const shape = (doc: Document | undefined): Document | null => (doc ? project([doc], fields)[0] : null);

  if (cmd.remove) {
    if (cmd.update !== undefined) throw new CommandError('FailedToParse', 'Cannot specify both an update and remove=true');
    if (old) deleteDoc(ctx, ctx.ensureCollection(name), old);
    return { lastErrorObject: { n: old ? 1 : 0 }, value: shape(old) };
  }
  validateUpdate(cmd.update);
  const u = cmd.update;
  const arrayFilters = Array.isArray(cmd.arrayFilters) ? (cmd.arrayFilters as Document[]) : undefined;
  if (old) {
    const next = applyUpdate(old, u, filter, false, arrayFilters);
    checkStorable(next, 'update');
    if (!sameDoc(old, next)) storeDoc(ctx, ctx.ensureCollection(name), next);
    return { lastErrorObject: { n: 1, updatedExisting: true }, value: shape(cmd.new ? next : old) };
  }
  if (!cmd.upsert) return { lastErrorObject: { n: 0, updatedExisting: false }, value: null };
  const doc = withId(applyUpdate(upsertSeed(filter), u, filter, true, arrayFilters));
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
