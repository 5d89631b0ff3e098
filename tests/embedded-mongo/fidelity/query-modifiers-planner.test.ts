/**
 * The planner applies a query's modifiers (collation, let, hint) itself, so every command that
 * reads through Collection.match / query — find, count, distinct, aggregate, and the writes'
 * update/delete/findAndModify queries — gets them by passing `queryModifiers(...)` along.
 * Embedded-only: these are the server's internals.
 */
import { Collection } from '../../../src/embedded-mongo/collection';
import { NO_DEADLINE } from '../../../src/embedded-mongo/deadline';
import { CommandError } from '../../../src/embedded-mongo/errors';
import { queryModifiers } from '../../../src/embedded-mongo/query-options';
import { describeEmbedded } from '../helpers';

function collection(): Collection {
  const c = new Collection('db', 'words', { docsExamined: 0, indexedQueries: 0, collectionScans: 0 });
  ['ping', 'PING', 'pong', 'apple'].forEach((w, i) => c.put({ _id: i + 1, w, n: i + 1 }));
  c.indexes.set('w_1', c.buildIndex({ name: 'w_1', key: { w: 1 } }));
  return c;
}

const ids = (docs: Array<{ _id?: unknown }>): unknown[] => docs.map((d) => d._id);

describeEmbedded('Collection.match with query modifiers (what the write commands pass)', () => {
  test('a statement collation (update/delete q with collation) matches under it; none: binary', () => {
    const c = collection();
    const statement = { q: { w: 'Ping' }, collation: { locale: 'en', strength: 2 } };
    expect(ids(c.match(statement.q, 0, NO_DEADLINE, queryModifiers(statement)))).toEqual([1, 2]);
    expect(ids(c.match(statement.q, 1, NO_DEADLINE, queryModifiers(statement)))).toHaveLength(1);
    expect(ids(c.match({ w: 'Ping' }))).toEqual([]);
  });

  test("let from the command, hint from the statement", () => {
    const c = collection();
    const cmd = { update: 'words', let: { target: 'pong' } };
    const statement = { q: { $expr: { $eq: ['$w', '$$target'] } }, hint: 'w_1' };
    const outcome = c.query(statement.q, { ...queryModifiers(statement, cmd), deadline: NO_DEADLINE });
    expect(ids(outcome.docs)).toEqual([3]);
    expect(outcome.plan).toMatchObject({ stage: 'IXSCAN', indexName: 'w_1' });
  });

  test('a hint naming no index throws BadValue; a non-object collation TypeMismatch', () => {
    const c = collection();
    expect(() => c.match({}, 0, NO_DEADLINE, queryModifiers({ hint: 'nope' }))).toThrow(expect.objectContaining({ code: 2 }) as CommandError);
    expect(() => queryModifiers({ collation: 'en' })).toThrow(expect.objectContaining({ code: 14 }) as CommandError);
  });

  test('a sort under a collation (findAndModify sort) is in the collation order', () => {
    const c = collection();
    const outcome = c.query({}, { sort: { w: 1 }, limit: 1, deadline: NO_DEADLINE, ...queryModifiers({ collation: { locale: 'en' } }) });
    expect(ids(outcome.docs)).toEqual([4]);
    expect(ids(c.query({}, { sort: { w: 1 }, limit: 1, deadline: NO_DEADLINE }).docs)).toEqual([2]);
  });
});
