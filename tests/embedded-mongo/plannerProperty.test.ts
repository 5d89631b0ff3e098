/**
 * The planner against a full scan: seeded random documents, indexes (compound, descending,
 * unique sparse, multikey) and queries (equality, $in, ranges, $regex, sorts in both directions,
 * skip, limit), each answered by the embedded server's Collection and by mingo over every
 * document. Documents change between rounds (updates, deletes, inserts), so index maintenance is
 * checked too. Run with another seed: PLANNER_SEED=123 npx jest plannerProperty.
 */
import { ObjectId, type Document } from 'bson';
import { Query } from 'mingo';
import { Catalog, applyMutation, type Collection } from '../../src/embedded-mongo/catalog';
import { compareValues } from '../../src/embedded-mongo/bson-order';
import { NO_DEADLINE } from '../../src/embedded-mongo/deadline';
import { compileFilter } from '../../src/embedded-mongo/filter';
import { compileProjection } from '../../src/embedded-mongo/projection';
import { applySimpleUpdate, applyUpdate } from '../../src/embedded-mongo/update';
import { seededRandom } from '../helpers/random';

const SEED = Number(process.env.PLANNER_SEED ?? 20261127);

const rnd = seededRandom(SEED);
const int = (n: number) => Math.floor(rnd() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
const WORDS = ['ann', 'bob', 'cy', 'Dee', 'eve', 'ann b', 'zed', 'éa', 'ab'];

let nextId = 1;
/** A document: `a` a number, `b` a number or a string, `s` a string or missing, `t` an array (multikey), `n` null or missing, `d` a date. */
function makeDoc(): Document {
  const doc: Document = { _id: rnd() < 0.5 ? nextId++ : new ObjectId(), a: int(8) + (rnd() < 0.2 ? 0.5 : 0) };
  doc.b = rnd() < 0.7 ? int(5) : pick(WORDS);
  if (rnd() < 0.8) doc.s = pick(WORDS);
  doc.t = Array.from({ length: int(3) }, () => pick(WORDS));
  if (rnd() < 0.3) doc.n = null;
  doc.d = new Date(Date.UTC(2026, 0, 1 + int(10)));
  doc.seq = nextId++;
  if (rnd() < 0.5) doc.u = `u${nextId}`;
  return doc;
}

function condition(field: string): unknown {
  const value = (): unknown => {
    switch (field) {
      case 'a':
        return int(9) + (rnd() < 0.1 ? 0.5 : 0);
      case 'b':
        return rnd() < 0.7 ? int(6) : pick(WORDS);
      case 'd':
        return new Date(Date.UTC(2026, 0, 1 + int(12)));
      case 'seq':
        return int(nextId);
      default:
        return pick(WORDS);
    }
  };
  switch (int(8)) {
    case 0:
    case 1:
      return value();
    case 2:
      return { $in: Array.from({ length: 1 + int(3) }, value) };
    case 3:
      return { [pick(['$gt', '$gte'])]: value() };
    case 4:
      return { [pick(['$lt', '$lte'])]: value() };
    case 5:
      return { [pick(['$gt', '$gte'])]: value(), [pick(['$lt', '$lte'])]: value() };
    case 6:
      return field === 'n' ? null : { $eq: value() };
    default:
      return field === 's' || field === 't' ? { $regex: pick(['^a', 'e', 'B']), $options: pick(['', 'i']) } : { $gte: value() };
  }
}

function makeFilter(): Document {
  const filter: Document = {};
  for (const f of ['a', 'b', 's', 't', 'n', 'd', 'seq', 'u']) if (rnd() < 0.3) filter[f] = condition(f);
  return filter;
}

function makeSort(): Document {
  const sort: Document = {};
  // Not `t`: mingo sorts arrays its own way (grouping equal arrays), sorting.ts as MongoDB does.
  const fields = ['a', 'b', 's', 'd', 'seq'];
  for (let i = int(3); i > 0; i--) sort[pick(fields)] = pick([1, -1]);
  return sort;
}

let catalog: Catalog;
let coll: Collection;

function mutate(m: Parameters<typeof applyMutation>[1]): void {
  applyMutation(catalog, m);
}

beforeAll(() => {
  catalog = new Catalog();
  mutate({ op: 'createCollection', db: 'p', coll: 'c' });
  for (const [name, key, extra] of [
    ['a_1', { a: 1 }, {}],
    ['a_1_b_-1', { a: 1, b: -1 }, {}],
    ['b_1_s_1_seq_1', { b: 1, s: 1, seq: 1 }, {}],
    ['s_-1_a_1', { s: -1, a: 1 }, {}],
    ['t_1', { t: 1 }, {}],
    ['d_1', { d: 1 }, {}],
    ['u_1', { u: 1 }, { unique: true, sparse: true }],
  ] as Array<[string, Record<string, 1 | -1>, Document]>) {
    mutate({ op: 'createIndex', db: 'p', coll: 'c', index: { name, key, ...extra } });
  }
  for (let i = 0; i < 400; i++) mutate({ op: 'put', db: 'p', coll: 'c', doc: makeDoc() });
  coll = catalog.get('p', 'c') as Collection;
});

const ids = (docs: Document[]) => docs.map((d) => String(d._id));
const keysOf = (docs: Document[], sort: Document) => docs.map((d) => Object.keys(sort).map((k) => d[k]));

/** Sort keys must come out in the same order; equal keys may come in any order. */
function expectSameKeys(context: string, actual: Document[], expected: Document[], sort: Document): void {
  const a = keysOf(actual, sort);
  const e = keysOf(expected, sort);
  // Arrays sort by one of their elements; compare what sorted them only when both are scalars.
  const same = a.length === e.length && a.every((row, i) => row.every((x, k) => Array.isArray(x) || Array.isArray(e[i][k]) || compareValues(x, e[i][k]) === 0));
  if (!same) expect([context, a]).toEqual([context, e]);
}

function checkQueries(rounds: number): void {
  for (let q = 0; q < rounds; q++) {
    const filter = makeFilter();
    const sort = makeSort();
    const skip = rnd() < 0.5 ? 0 : int(30);
    const limit = rnd() < 0.3 ? 0 : 1 + int(15);
    const everything = [...coll.documents()];
    const context = JSON.stringify({ filter, sort, skip, limit });
    const matching = new Query(filter).find<Document>(everything).all();

    // The count and the whole match set.
    expect([context, coll.count(filter)]).toEqual([context, matching.length]);
    expect([context, ids(coll.query(filter, { deadline: NO_DEADLINE }).docs).sort()]).toEqual([context, ids(matching).sort()]);

    // A page: the same sort keys in the same order; with _id last, exactly the same documents.
    const page = coll.query(filter, { sort, skip, limit, deadline: NO_DEADLINE }).docs;
    let cursor = new Query(filter).find<Document>(everything);
    if (Object.keys(sort).length > 0) cursor = cursor.sort(sort);
    cursor = cursor.skip(skip);
    if (limit > 0) cursor = cursor.limit(limit);
    const expected = cursor.all();
    if (Object.keys(sort).length > 0) expectSameKeys(context, page, expected, sort);
    else expect([context, page.length]).toEqual([context, expected.length]);
    const matched = new Set(ids(matching));
    expect([context, page.filter((doc) => !matched.has(String(doc._id))).length, new Set(ids(page)).size]).toEqual([context, 0, page.length]);

    const total = { ...sort, _id: 1 };
    {
      let exact = new Query(filter).find<Document>(everything).sort(total).skip(skip);
      if (limit > 0) exact = exact.limit(limit);
      expect([context, ids(coll.query(filter, { sort: total, skip, limit, deadline: NO_DEADLINE }).docs)]).toEqual([context, ids(exact.all())]);
    }

    // The direct matcher agrees with mingo on every document.
    const test = compileFilter(filter);
    const mingo = new Query(filter);
    const disagree = everything.filter((doc) => test(doc) !== mingo.test(doc));
    expect([context, disagree]).toEqual([context, []]);
  }
}

function churn(n: number): void {
  const docs = [...coll.documents()];
  for (let i = 0; i < n; i++) {
    const doc = pick(docs);
    switch (int(3)) {
      case 0:
        mutate({ op: 'put', db: 'p', coll: 'c', doc: { ...doc, a: int(8), s: pick(WORDS), t: [pick(WORDS)] } });
        break;
      case 1:
        mutate({ op: 'delete', db: 'p', coll: 'c', id: doc._id });
        break;
      default:
        mutate({ op: 'put', db: 'p', coll: 'c', doc: makeDoc() });
    }
  }
}

describe(`planner results equal a full scan (seed ${SEED})`, () => {
  test('on the initial documents', () => checkQueries(400));

  test('after updates, deletes and inserts', () => {
    for (let round = 0; round < 4; round++) {
      churn(150);
      checkQueries(100);
    }
  });

  test('after the slot array is compacted (more holes than documents)', () => {
    for (let i = 0; i < 2500; i++) mutate({ op: 'put', db: 'p', coll: 'c', doc: makeDoc() });
    const all = [...coll.documents()];
    for (const doc of all.slice(0, all.length - 300)) mutate({ op: 'delete', db: 'p', coll: 'c', id: doc._id });
    // The next delete compacts; queries must see the same documents through every index.
    mutate({ op: 'delete', db: 'p', coll: 'c', id: all[all.length - 1]._id });
    expect(coll.size).toBe(299);
    expect(coll.slots.length).toBeLessThan(1000);
    checkQueries(150);
  });
});

describe('direct paths agree with mingo', () => {
  test('simple projections', () => {
    const specs: Document[] = [{ a: 1 }, { _id: 0, a: 1, s: 1 }, { a: 0 }, { _id: 0 }, { _id: 1 }, { t: 0, _id: 0 }, { s: true, d: 1 }];
    const everything = new Query({});
    for (const doc of [...coll.documents()].slice(0, 50)) {
      for (const spec of specs) expect(compileProjection(spec)(doc)).toEqual(everything.find<Document>([doc], spec).all()[0]);
    }
  });

  test('simple updates, and whether they changed anything', () => {
    for (const doc of [...coll.documents()].slice(0, 100)) {
      const u: Document = {};
      if (rnd() < 0.6) u.$set = { a: pick([doc.a, int(8)]), x: pick([1, 'x']) };
      if (rnd() < 0.4) u.$inc = { seq: pick([0, 1, -2.5]) };
      if (rnd() < 0.3) u.$unset = { [pick(['s', 'n', 'missing'])]: '' };
      if (Object.keys(u).length === 0) u.$set = { a: doc.a };
      const direct = applySimpleUpdate(doc, u);
      const viaMingo = applyUpdate(doc, u, {}, false);
      expect(direct?.doc).toEqual(viaMingo);
      expect(direct?.changed).toBe(JSON.stringify(doc) !== JSON.stringify(viaMingo));
    }
  });
});
