/** Collections and indexes: create, drop, list. */
import type { Document } from 'bson';
import { Query } from '../mingo-bson';
import { ID_INDEX, type Collection } from '../catalog';
import { CommandError } from '../errors';
import { QUERY_OPTIONS } from '../mingo-options';
import type { IndexSpec } from '../storage/persistence';
import { formatValue, isPlainObject } from '../values';
import { collectionName, docOption, type CommandHandler } from './context';

const create: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, 'create');
  if (ctx.catalog.get(ctx.db, name)) {
    throw new CommandError('NamespaceExists', `Collection ${ctx.db}.${name} already exists.`);
  }
  ctx.ensureCollection(name);
  return {};
};

const drop: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, 'drop');
  const coll = ctx.catalog.get(ctx.db, name);
  // MongoDB 7 answers ok for a missing collection, but the driver and mongoose also accept
  // code 26, which is what earlier servers (and these notes) use.
  if (!coll) throw new CommandError('NamespaceNotFound', 'ns not found');
  const nIndexesWas = coll.indexes.size + 1;
  ctx.apply({ op: 'dropCollection', db: ctx.db, coll: name });
  return { nIndexesWas, ns: `${ctx.db}.${name}` };
};

const dropDatabase: CommandHandler = (_cmd, ctx) => {
  if (ctx.catalog.dbs.has(ctx.db)) ctx.apply({ op: 'dropDatabase', db: ctx.db });
  return { dropped: ctx.db };
};

const listCollections: CommandHandler = (cmd, ctx) => {
  const colls = ctx.catalog.dbs.get(ctx.db) ?? new Map();
  let infos: Document[] = [...colls.keys()].map((name: string) => ({
    name,
    type: 'collection',
    options: {},
    info: { readOnly: false },
    idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
  }));
  const filter = docOption(cmd, 'filter');
  if (Object.keys(filter).length > 0) {
    const query = new Query(filter, QUERY_OPTIONS);
    infos = infos.filter((i) => query.test(i));
  }
  if (cmd.nameOnly) infos = infos.map((i) => ({ name: i.name, type: i.type }));
  return { cursor: ctx.cursors.first(`${ctx.db}.$cmd.listCollections`, infos, Infinity) };
};

function indexInfo(spec: IndexSpec): Document {
  const out: Document = { v: 2, key: spec.key, name: spec.name };
  if (spec.unique) out.unique = true;
  if (spec.sparse) out.sparse = true;
  return out;
}

const listIndexes: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, 'listIndexes');
  const coll = ctx.catalog.get(ctx.db, name);
  if (!coll) throw new CommandError('NamespaceNotFound', `ns does not exist: ${ctx.db}.${name}`);
  return { cursor: ctx.cursors.first(`${ctx.db}.${name}`, coll.indexSpecs().map(indexInfo), Infinity) };
};

/** Validates one entry of createIndexes' `indexes` into an IndexSpec. */
function parseIndex(raw: unknown): IndexSpec {
  if (!isPlainObject(raw) || !isPlainObject(raw.key) || Object.keys(raw.key).length === 0) {
    throw new CommandError('FailedToParse', 'index specification must have a non-empty key document');
  }
  const key: Record<string, 1 | -1> = {};
  for (const [field, dir] of Object.entries(raw.key)) {
    if (dir !== 1 && dir !== -1) {
      throw new CommandError('CannotCreateIndex', `index type ${formatValue(dir)} on '${field}' is not supported by the embedded server (only 1 / -1)`);
    }
    key[field] = dir;
  }
  const name = typeof raw.name === 'string' ? raw.name : Object.entries(key).map(([f, d]) => `${f}_${d}`).join('_');
  const spec: IndexSpec = { name, key };
  if (raw.unique === true) spec.unique = true;
  if (raw.sparse === true) spec.sparse = true;
  return spec;
}

function sameSpec(a: IndexSpec, b: IndexSpec): boolean {
  return JSON.stringify(a.key) === JSON.stringify(b.key) && !!a.unique === !!b.unique && !!a.sparse === !!b.sparse;
}

const createIndexes: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, 'createIndexes');
  if (!Array.isArray(cmd.indexes) || cmd.indexes.length === 0) {
    throw new CommandError('BadValue', "Must specify at least one index to create");
  }
  const specs = cmd.indexes.map(parseIndex);
  const createdCollectionAutomatically = !ctx.catalog.get(ctx.db, name);
  const coll = ctx.ensureCollection(name);
  const numIndexesBefore = coll.indexes.size + 1;
  for (const spec of specs) {
    const existing = spec.name === ID_INDEX.name ? ID_INDEX : coll.indexes.get(spec.name)?.spec;
    if (existing) {
      if (sameSpec(existing, spec)) continue;
      throw new CommandError('IndexKeySpecsConflict', `An existing index has the same name as the requested index. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(existing)}`);
    }
    const sameKey = [...coll.indexes.values()].find((i) => JSON.stringify(i.spec.key) === JSON.stringify(spec.key));
    if (sameKey) {
      if (sameSpec(sameKey.spec, spec)) continue;
      throw new CommandError('IndexOptionsConflict', `An equivalent index already exists with a different name and options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(sameKey.spec)}`);
    }
    if (spec.unique) checkExistingUnique(spec, coll, `${ctx.db}.${name}`);
    ctx.apply({ op: 'createIndex', db: ctx.db, coll: name, index: spec });
  }
  const numIndexesAfter = coll.indexes.size + 1;
  const reply: Document = { numIndexesBefore, numIndexesAfter, createdCollectionAutomatically };
  if (numIndexesAfter === numIndexesBefore) reply.note = 'all indexes already exist';
  return reply;
};

/** Building a unique index over data that already has duplicates fails, as in MongoDB. */
function checkExistingUnique(spec: IndexSpec, coll: Collection, ns: string): void {
  const keyValue = coll.duplicateKey(spec);
  if (keyValue) {
    throw new CommandError('DuplicateKey', `Index build failed: E11000 duplicate key error collection: ${ns} index: ${spec.name} dup key: ${formatValue(keyValue)}`, { keyPattern: spec.key, keyValue });
  }
}

const dropIndexes: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, 'dropIndexes');
  const coll = ctx.catalog.get(ctx.db, name);
  if (!coll) throw new CommandError('NamespaceNotFound', `ns not found ${ctx.db}.${name}`);
  const nIndexesWas = coll.indexes.size + 1;
  const which: unknown = cmd.index;
  let names: string[];
  if (which === '*') names = [...coll.indexes.keys()];
  else if (typeof which === 'string') names = [which];
  else if (Array.isArray(which)) names = which.map(String);
  else if (isPlainObject(which)) {
    const found = [...coll.indexes.values()].find((i) => JSON.stringify(i.spec.key) === JSON.stringify(which));
    if (!found) throw new CommandError('IndexNotFound', `can't find index with key: ${formatValue(which)}`);
    names = [found.spec.name];
  } else throw new CommandError('BadValue', "'index' must be a string, an array of names or a key pattern");
  for (const n of names) {
    if (n === ID_INDEX.name) throw new CommandError('InvalidOptions', 'cannot drop _id index');
    if (!coll.indexes.has(n)) throw new CommandError('IndexNotFound', `index not found with name [${n}]`);
  }
  for (const n of names) ctx.apply({ op: 'dropIndex', db: ctx.db, coll: name, name: n });
  return { nIndexesWas };
};

/** Collection and index commands, keyed by lower-case name. */
export const ddlCommands: Record<string, CommandHandler> = {
  create,
  drop,
  dropdatabase: dropDatabase,
  listcollections: listCollections,
  listindexes: listIndexes,
  createindexes: createIndexes,
  dropindexes: dropIndexes,
};
