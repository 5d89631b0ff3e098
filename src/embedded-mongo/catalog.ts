/**
 * The in-memory catalog: databases → collections. All changes go through `applyMutation`,
 * both when replaying persistence at start-up and for live writes, so the two paths cannot
 * drift apart. Stored documents are never mutated in place: an update stores a new copy,
 * which also lets cursors keep the documents they were given.
 */
import { Collection, ID_INDEX, type QueryStats } from './collection';
import { SecondaryIndex } from './indexes';
import type { Mutation } from './storage/persistence';
import { deepCopy } from './values';

export { Collection, ID_INDEX, equalityValue, type Plan, type QueryStats } from './collection';

/** Databases → collections. */
export class Catalog {
  readonly dbs = new Map<string, Map<string, Collection>>();
  readonly stats: QueryStats = { docsExamined: 0, indexedQueries: 0, collectionScans: 0 };

  /** The collection, or undefined if it does not exist. */
  get(db: string, coll: string): Collection | undefined {
    return this.dbs.get(db)?.get(coll);
  }

  /** The collection, created (in memory only) if missing; callers record the mutation. */
  ensure(db: string, coll: string): Collection {
    let colls = this.dbs.get(db);
    if (!colls) this.dbs.set(db, (colls = new Map()));
    let c = colls.get(coll);
    if (!c) colls.set(coll, (c = new Collection(db, coll, this.stats)));
    return c;
  }

  /** The whole state as mutations, for a persistence snapshot. */
  *snapshot(): Generator<Mutation> {
    for (const [db, colls] of this.dbs) {
      for (const [coll, c] of colls) {
        yield { op: 'createCollection', db, coll };
        for (const index of c.indexes.values()) yield { op: 'createIndex', db, coll, index: index.spec };
        for (const doc of c.docs.values()) yield { op: 'put', db, coll, doc };
      }
    }
  }
}

/**
 * Applies one mutation to the catalog. State-setting and idempotent, as the persistence
 * contract requires: replaying a mutation twice leaves the same state.
 */
export function applyMutation(catalog: Catalog, m: Mutation): void {
  switch (m.op) {
    case 'createCollection':
      catalog.ensure(m.db, m.coll);
      return;
    case 'dropCollection':
      catalog.dbs.get(m.db)?.delete(m.coll);
      return;
    case 'dropDatabase':
      catalog.dbs.delete(m.db);
      return;
    case 'createIndex': {
      const c = catalog.ensure(m.db, m.coll);
      if (m.index.name === ID_INDEX.name) return;
      const index = new SecondaryIndex({ ...m.index, key: { ...m.index.key } });
      for (const [id, doc] of c.docs) index.add(doc, id);
      c.indexes.set(m.index.name, index);
      return;
    }
    case 'dropIndex':
      catalog.get(m.db, m.coll)?.indexes.delete(m.name);
      return;
    case 'put':
      // A private copy: the mutation object may still be read by the journal afterwards.
      catalog.ensure(m.db, m.coll).put(deepCopy(m.doc));
      return;
    case 'delete':
      catalog.get(m.db, m.coll)?.remove(m.id);
      return;
  }
}
