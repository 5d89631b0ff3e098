/** Collections and indexes: create, drop, list. */
import type { Document } from 'bson';
import { Query } from '../mingo-bson';
import { ID_INDEX, type Collection } from '../catalog';
import { parseCollation, wrongType } from '../collation';
import { collModOptions, createOptions } from '../collection-options';
import { CommandError } from '../errors';
import { QUERY_OPTIONS } from '../mingo-options';
import type { IndexSpec, Mutation } from '../storage/persistence';
import { indexInfo, parseIndexSpec, sameIndexOptions, samePartialFilter } from '../index-options';
import { formatValue, isPlainObject } from '../values';
import { collectionName, docOption, type CommandHandler } from './context';

const create: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, 'create');
  const options = createOptions(cmd);
  if (ctx.catalog.get(ctx.db, name)) {
    throw new CommandError('NamespaceExists', `Collection ${ctx.db}.${name} already exists.`);
  }
  // A default collation, used by every query and index that names none (simple: none at all).
  if (cmd.collation !== undefined && !isPlainObject(cmd.collation)) throw wrongType('create.collation', cmd.collation, 'object');
  const collation = cmd.collation === undefined ? undefined : parseCollation(cmd.collation);
  const m: Mutation = { op: 'createCollection', db: ctx.db, coll: name };
  if (collation) m.collation = collation.spec;
  if (options) m.options = options;
  ctx.apply(m);
  return {};
};

/** collMod: changes a collection's validation options (collection-options.ts); anything else is refused by name. */
const collMod: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, 'collMod');
  const coll = ctx.catalog.get(ctx.db, name);
  const options = collModOptions(cmd, coll?.options);
  if (!coll) throw new CommandError('NamespaceNotFound', `ns does not exist: ${ctx.db}.${name}`);
  ctx.apply({ op: 'createCollection', db: ctx.db, coll: name, options });
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
  let infos: Document[] = [...colls.entries()].map(([name, c]: [string, Collection]) => ({
    name,
    type: 'collection',
    options: c.collation === undefined ? { ...c.options } : { ...c.options, collation: c.collation },
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

const listIndexes: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, 'listIndexes');
  const coll = ctx.catalog.get(ctx.db, name);
  if (!coll) throw new CommandError('NamespaceNotFound', `ns does not exist: ${ctx.db}.${name}`);
  return { cursor: ctx.cursors.first(`${ctx.db}.${name}`, coll.indexSpecs().map(indexInfo), Infinity) };
};

const createIndexes: CommandHandler = (cmd, ctx) => {
  const name = collectionName(cmd, 'createIndexes');
  if (!Array.isArray(cmd.indexes) || cmd.indexes.length === 0) {
    throw new CommandError('BadValue', "Must specify at least one index to create");
  }
  const defaultCollation = ctx.catalog.get(ctx.db, name)?.collation;
  const specs = cmd.indexes.map((raw) => parseIndexSpec(raw, defaultCollation));
  const createdCollectionAutomatically = !ctx.catalog.get(ctx.db, name);
  const coll = ctx.ensureCollection(name);
  const numIndexesBefore = coll.indexes.size + 1;
  for (const spec of specs) {
    // IndexCatalogImpl::prepareSpecForCreate refuses a TTL index on a capped collection.
    if (coll.capped && spec.expireAfterSeconds !== undefined) throw new CommandError('CannotCreateIndex', 'Cannot create TTL index on a capped collection');
    const existing = spec.name === ID_INDEX.name ? coll.indexSpecs()[0] : coll.indexes.get(spec.name)?.spec;
    if (existing) {
      if (sameIndexOptions(existing, spec)) continue;
      // Same name and key, other options: IndexOptionsConflict (85); another key: IndexKeySpecsConflict (86).
      if (JSON.stringify(existing.key) === JSON.stringify(spec.key)) {
        throw new CommandError('IndexOptionsConflict', `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${formatValue(indexInfo(spec))}, existing index: ${formatValue(indexInfo(existing))}`);
      }
      throw new CommandError('IndexKeySpecsConflict', `An existing index has the same name as the requested index. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(existing)}`);
    }
    const sameKey = [...coll.indexes.values()].find((i) => JSON.stringify(i.spec.key) === JSON.stringify(spec.key) && samePartialFilter(i.spec, spec));
    if (sameKey) {
      if (sameIndexOptions(sameKey.spec, spec)) continue;
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
    const found = [...coll.indexes.values()].filter((i) => JSON.stringify(i.spec.key) === JSON.stringify(which));
    if (found.length === 0) throw new CommandError('IndexNotFound', `can't find index with key: ${formatValue(which)}`);
    // Partial indexes may share a key pattern: MongoDB then wants a name.
    if (found.length > 1) {
      throw new CommandError('AmbiguousIndexKeyPattern', `${found.length} indexes found for key: ${formatValue(which)}, identify by name instead. Conflicting indexes: ${found.map((i) => formatValue(indexInfo(i.spec))).join(', ')}`);
    }
    names = [found[0].spec.name];
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
  collmod: collMod,
  drop,
  dropdatabase: dropDatabase,
  listcollections: listCollections,
  listindexes: listIndexes,
  createindexes: createIndexes,
  dropindexes: dropIndexes,
};
