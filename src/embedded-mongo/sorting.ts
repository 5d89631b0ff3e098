/**
 * Sorting documents in memory, when no index gives the order. When every sort key is a
 * top-level field, each document's keys are read once and compared in MongoDB's order
 * (bson-order.ts), checking the command's deadline as it goes; an array sorts by its smallest
 * element ascending and its largest descending, an empty array before null. Dotted paths and
 * `$meta` go to mingo, and then the deadline is checked before and after, since mingo's sort
 * cannot be interrupted.
 */
import type { Document } from 'bson';
import { Query } from './mingo-bson';
import { compareValues, Rank, TypeBound } from './bson-order';
import { NO_DEADLINE, type Deadline } from './deadline';
import type { Collation } from './collation';
import { QUERY_OPTIONS } from './mingo-options';

const EVERYTHING = new Query({}, QUERY_OPTIONS);

/** A sort specification's keys and directions; undefined when it holds anything but 1 / -1 (e.g. `$meta`). */
export function sortKeys(sort: Document): Array<{ field: string; dir: 1 | -1 }> | undefined {
  const keys: Array<{ field: string; dir: 1 | -1 }> = [];
  for (const [field, dir] of Object.entries(sort)) {
    if (dir !== 1 && dir !== -1) return undefined;
    keys.push({ field, dir });
  }
  return keys;
}

/** `docs` (not modified) sorted by `sort`, strings under `collation` when given; ties keep their input order. */
export function sortDocuments(docs: Document[], sort: Document, deadline: Deadline = NO_DEADLINE, collation?: Collation): Document[] {
  const keys = sortKeys(sort);
  if (keys && keys.length > 0 && keys.every((k) => !k.field.includes('.'))) return sortTopLevel(docs, keys, deadline, collation?.compare ?? compareValues);
  deadline.check();
  const query = collation ? new Query({}, { ...QUERY_OPTIONS, collation: collation.mingo }) : EVERYTHING;
  const out = query.find<Document>(docs).sort(sort).all();
  deadline.check();
  return out;
}

/** Just before null: where MongoDB sorts an empty array. */
const EMPTY_ARRAY = new TypeBound(Rank.Null, -1);

/** The value an array sorts by in one direction. */
function arraySortKey(values: unknown[], dir: 1 | -1, compare: (a: unknown, b: unknown) => number): unknown {
  if (values.length === 0) return EMPTY_ARRAY;
  let best: unknown = values[0];
  for (let i = 1; i < values.length; i++) if (compare(values[i], best) * dir < 0) best = values[i];
  return best;
}

/** The sort of top-level keys (see the module comment). */
function sortTopLevel(docs: Document[], keys: Array<{ field: string; dir: 1 | -1 }>, deadline: Deadline, compare: (a: unknown, b: unknown) => number): Document[] {
  const n = keys.length;
  // Keys read once: rows[i * n + k] is document i's value for key k.
  const rows: unknown[] = new Array(docs.length * n);
  let allNumbers = true;
  for (let i = 0; i < docs.length; i++) {
    deadline.tick();
    const doc = docs[i];
    for (let k = 0; k < n; k++) {
      let v: unknown = doc[keys[k].field];
      if (Array.isArray(v)) v = arraySortKey(v, keys[k].dir, compare);
      if (typeof v !== 'number' || Number.isNaN(v)) allNumbers = false;
      rows[i * n + k] = v;
    }
  }
  const order = Array.from({ length: docs.length }, (_, i) => i);
  const dirs = keys.map((k) => k.dir);
  order.sort(
    allNumbers
      ? (a, b) => {
          deadline.tick();
          for (let k = 0; k < n; k++) {
            const diff = (rows[a * n + k] as number) - (rows[b * n + k] as number);
            if (diff !== 0) return diff * dirs[k];
          }
          return a - b;
        }
      : (a, b) => {
          deadline.tick();
          for (let k = 0; k < n; k++) {
            const c = compare(rows[a * n + k], rows[b * n + k]);
            if (c !== 0) return c * dirs[k];
          }
          return a - b;
        },
  );
  return order.map((i) => docs[i]);
}
