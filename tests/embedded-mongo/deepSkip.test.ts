/**
 * Paging deep into one owner's 100,000 notes costs the same as the first page: the planner jumps
 * to the position instead of walking the skipped keys (MongoDB itself walks them), and counts
 * come from positions. Checked on the collection itself, where the counters are exact.
 */
import type { Document } from 'bson';
import { Catalog, applyMutation, type Collection } from '../../src/embedded-mongo/catalog';
import { NO_DEADLINE } from '../../src/embedded-mongo/deadline';

const N = 100_000;
const T0 = 1_700_000_000_000;
let coll: Collection;

beforeAll(() => {
  const catalog = new Catalog();
  const put = (doc: Document) => applyMutation(catalog, { op: 'put', db: 'app', coll: 'notes', doc });
  applyMutation(catalog, { op: 'createCollection', db: 'app', coll: 'notes' });
  applyMutation(catalog, { op: 'createIndex', db: 'app', coll: 'notes', index: { name: 'id_1', key: { id: 1 }, unique: true } });
  applyMutation(catalog, { op: 'createIndex', db: 'app', coll: 'notes', index: { name: 'owner_1_createdAt_1_seq_1', key: { owner: 1, createdAt: 1, seq: 1 } } });
  applyMutation(catalog, { op: 'createIndex', db: 'app', coll: 'notes', index: { name: 'owner_1_updatedAt_1_seq_1', key: { owner: 1, updatedAt: 1, seq: 1 } } });
  for (let seq = 1; seq <= N; seq++) {
    // Every tenth note belongs to someone else, interleaved as in the app.
    const owner = seq % 10 === 0 ? `u${seq % 70}` : 'big';
    put({ _id: seq, id: String(seq), seq, owner, text: `note ${seq}`, createdAt: T0 + seq, updatedAt: T0 + Math.floor(seq / 3) });
  }
  coll = catalog.get('app', 'notes') as Collection;
});

const bigCount = N - N / 10;

describe('deep pages', () => {
  test.each([0, 10, 45_000, bigCount - 10, bigCount - 3])('skip %d with limit 10 examines at most 10 keys and 10 documents', (skip) => {
    const outcome = coll.query({ owner: 'big' }, { sort: { updatedAt: -1, seq: -1 }, skip, limit: 10, deadline: NO_DEADLINE });
    const returned = Math.min(10, bigCount - skip);
    expect(outcome.docs).toHaveLength(returned);
    expect(outcome).toMatchObject({ keysExamined: returned, docsExamined: returned, sortedInMemory: false });
    // Descending by updatedAt then seq: the big owner's seqs from the top, skipping every tenth.
    const seqs = outcome.docs.map((d) => d.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(seqs.every((s) => s % 10 !== 0)).toBe(true);
  });

  test('the first and a deep page hold the right notes', () => {
    const all = Array.from({ length: N }, (_, i) => i + 1).filter((s) => s % 10 !== 0);
    const first = coll.query({ owner: 'big' }, { sort: { createdAt: 1, seq: 1 }, skip: 0, limit: 5, deadline: NO_DEADLINE });
    const deep = coll.query({ owner: 'big' }, { sort: { createdAt: 1, seq: 1 }, skip: 70_000, limit: 5, deadline: NO_DEADLINE });
    expect(first.docs.map((d) => d.seq)).toEqual(all.slice(0, 5));
    expect(deep.docs.map((d) => d.seq)).toEqual(all.slice(70_000, 70_005));
  });

  test('a range with a deep skip, and counts, read no skipped document', () => {
    const filter = { owner: 'big', createdAt: { $gt: T0 + 50_000 } };
    const outcome = coll.query(filter, { sort: { createdAt: 1, seq: 1 }, skip: 20_000, limit: 3, deadline: NO_DEADLINE });
    expect(outcome.keysExamined).toBe(3);
    const expected = Array.from({ length: N }, (_, i) => i + 1).filter((s) => s % 10 !== 0 && s > 50_000).slice(20_000, 20_003);
    expect(outcome.docs.map((d) => d.seq)).toEqual(expected);
    const count = coll.countWithPlan(filter);
    expect(count).toMatchObject({ total: 45_000, docsExamined: 0, keysExamined: 0 });
    expect(coll.countWithPlan({ owner: 'big' })).toMatchObject({ total: bigCount, docsExamined: 0 });
  });
});
