/**
 * The in-memory catalog: databases → collections. All changes go through `applyMutation`,
 * both when replaying persistence at start-up and for live writes, so the two paths cannot
 * drift apart. Stored documents are never mutated in place: an update stores a new object,
 * which also lets cursors keep the documents they were given. A `put` hands its document to the
 * catalog: whoever built it (a command, the journal's replay) must not change it afterwards.
 */
import type { Document } from 'bson';
import { Collection, ID_INDEX, type QueryStats } from './collection';
import type { Mutation } from './storage/persistence';
import { Uncommitted, type Undo } from './uncommitted';

export { Collection, ID_INDEX, equalityValue, type QueryStats } from './collection';

/** A runtime parameter: its value, and how a new one is checked and put into effect. */
export interface ServerParameter {
  get(): unknown;
  /** Puts `value` into effect, or throws MongoDB's error for a bad value. */
  set(value: unknown): void;
}

/** Databases → collections. */
export class Catalog {
  readonly dbs = new Map<string, Map<string, Collection>>();
  readonly stats: QueryStats = { docsExamined: 0, indexedQueries: 0, collectionScans: 0 };
  /** Changes applied here that are not durable yet (used only with a persistence that can fail). */
  readonly uncommitted = new Uncommitted();
  /** Runtime parameters `setParameter` may change (by name), registered by what honours them. */
  readonly parameters = new Map<string, ServerParameter>();

  /** The collection, or undefined if it does not exist. */
  get(db: string, coll: string): Collection | undefined {
    return this.dbs.get(db)?.get(coll);
  }

  /** The collection, created (in memory only) if missing; callers record the mutation. */
  ensure(db: string, coll: string, collation?: Document): Collection {
    let colls = this.dbs.get(db);
    if (!colls) this.dbs.set(db, (colls = new Map()));
    let c = colls.get(coll);
    // Slots are renumbered only while no rollback may still need the old numbers.
    if (!c) colls.set(coll, (c = new Collection(db, coll, this.stats, () => !this.uncommitted.pending, collation)));
    return c;
  }

  /** The whole state as mutations, for a persistence snapshot. */
  *snapshot(): Generator<Mutation> {
    for (const [db, colls] of this.dbs) {
      for (const [coll, c] of colls) {
        const create: Mutation = { op: 'createCollection', db, coll };
        if (c.collation !== undefined) create.collation = c.collation;
        if (c.options) create.options = c.options;
        yield create;
        for (const index of c.indexes.values()) yield { op: 'createIndex', db, coll, index: index.spec };
        for (const doc of c.documents()) yield { op: 'put', db, coll, doc };
      }
    }
  }
}

/**
 * Applies one mutation to the catalog. State-setting and idempotent, as the persistence
 * contract requires: replaying a mutation twice leaves the same state.
 */
export function applyMutation(catalog: Catalog, m: Mutation): void {
  applyAndUndo(catalog, m, false);
}

/**
 * Applies one mutation and returns how to take it back exactly (uncommitted.ts): the previous
 * document or its absence, the dropped collection, database or index object itself, at its old
 * place in natural and listing order. Undos are run newest first, so each finds the catalog as
 * its mutation left it.
 */
export function applyWithUndo(catalog: Catalog, m: Mutation): Undo {
  return applyAndUndo(catalog, m, true) ?? noop;
}

const noop: Undo = () => undefined;

function applyAndUndo(catalog: Catalog, m: Mutation, wantUndo: boolean): Undo | undefined {
  switch (m.op) {
    case 'createCollection': {
      const undo = wantUndo ? undoCreation(catalog, m.db, m.coll) : undefined;
      const c = catalog.ensure(m.db, m.coll, m.collation);
      // With options it also sets them (create, collMod); state-setting, so replay is idempotent.
      if (!m.options) return undo;
      const before = c.options;
      c.options = m.options;
      return wantUndo
        ? () => {
            c.options = before;
            undo?.();
          }
        : undefined;
    }
    case 'dropCollection': {
      const colls = catalog.dbs.get(m.db);
      const c = colls?.get(m.coll);
      if (!colls || !c) return undefined;
      const at = wantUndo ? indexOfKey(colls, m.coll) : 0;
      colls.delete(m.coll);
      if (!wantUndo) return undefined;
      return () => {
        if (!catalog.dbs.has(m.db)) catalog.dbs.set(m.db, colls);
        insertAt(catalog.dbs.get(m.db) ?? colls, m.coll, c, at);
      };
    }
    case 'dropDatabase': {
      const colls = catalog.dbs.get(m.db);
      if (!colls) return undefined;
      const at = wantUndo ? indexOfKey(catalog.dbs, m.db) : 0;
      catalog.dbs.delete(m.db);
      return wantUndo ? () => void insertAt(catalog.dbs, m.db, colls, at) : undefined;
    }
    case 'createIndex': {
      const created = wantUndo ? undoCreation(catalog, m.db, m.coll) : undefined;
      const c = catalog.ensure(m.db, m.coll);
      if (m.index.name === ID_INDEX.name) return created;
      const previous = c.indexes.get(m.index.name);
      const index = c.buildIndex({ ...m.index, key: { ...m.index.key } });
      // Replacing an index of the same name keeps its place in listIndexes, as set() does.
      c.indexes.set(m.index.name, index);
      if (!wantUndo) return undefined;
      return () => {
        if (previous) c.indexes.set(m.index.name, previous);
        else c.indexes.delete(m.index.name);
        created?.();
      };
    }
    case 'dropIndex': {
      const c = catalog.get(m.db, m.coll);
      const previous = c?.indexes.get(m.name);
      if (!c || !previous) return undefined;
      const at = wantUndo ? indexOfKey(c.indexes, m.name) : 0;
      c.indexes.delete(m.name);
      return wantUndo ? () => void insertAt(c.indexes, m.name, previous, at) : undefined;
    }
    case 'put': {
      const created = wantUndo ? undoCreation(catalog, m.db, m.coll) : undefined;
      const c = catalog.ensure(m.db, m.coll);
      const previous = wantUndo ? c.byId(m.doc._id) : undefined;
      // No copy: the document is the catalog's from now on (the journal only reads it).
      c.put(m.doc);
      if (!wantUndo) return undefined;
      return () => {
        // Stored documents are never changed in place, so `previous` is exactly what was there.
        if (previous) c.put(previous);
        else c.remove(m.doc._id);
        created?.();
      };
    }
    case 'delete': {
      const c = catalog.get(m.db, m.coll);
      const removed = c?.remove(m.id);
      if (!c || !removed || !wantUndo) return undefined;
      return () => {
        c.restore(removed);
        return c;
      };
    }
  }
}

/** If `db.coll` does not exist yet, how to remove it (and its database, if that is new too) again. */
function undoCreation(catalog: Catalog, db: string, coll: string): Undo | undefined {
  if (catalog.get(db, coll)) return undefined;
  const newDb = !catalog.dbs.has(db);
  return () => {
    const colls = catalog.dbs.get(db);
    colls?.delete(coll);
    if (newDb && colls?.size === 0) catalog.dbs.delete(db);
  };
}

/** Position of `key` in the map's iteration order (the order listings show). */
function indexOfKey<K, V>(map: Map<K, V>, key: K): number {
  let i = 0;
  for (const k of map.keys()) {
    if (k === key) return i;
    i++;
  }
  return i;
}

/** Puts `key` back at position `at` of the map's iteration order. */
function insertAt<K, V>(map: Map<K, V>, key: K, value: V, at: number): void {
  if (at >= map.size) {
    map.set(key, value);
    return;
  }
  const entries = [...map];
  entries.splice(at, 0, [key, value]);
  map.clear();
  for (const [k, v] of entries) map.set(k, v);
}
