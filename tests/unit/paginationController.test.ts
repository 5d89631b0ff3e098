import { paginate } from '../../src/controllers/paginationController';
import { sortSpec } from '../../src/controllers/notesController';
import * as noteSchemas from '../../src/schemas/noteSchemas';

/** A list query as the schema makes it from the raw query string values. */
const listQuery = (raw: Record<string, string> = {}) => noteSchemas.listNotes.query.parse(raw);

/** The page moves of a paginate() result as `rel href` lines. */
const moves = (raw: Record<string, string>, total: number) => paginate(listQuery(raw), total).links.map((l) => `${l.rel} ${l.href}`);

describe('the list query schema', () => {
  it('fills in the defaults: updatedAt, asc, 10 per page, page 1, no filter, nothing given', () => {
    expect(listQuery()).toEqual({ q: undefined, sort: 'updatedAt', order: 'asc', limit: 10, page: 1, given: [] });
  });

  it('keeps what the caller gave, in link order, and reads an empty q as no filter', () => {
    expect(listQuery({ page: '4', q: 'x', limit: '3', order: 'desc', sort: 'createdAt' })).toEqual({
      q: 'x',
      sort: 'createdAt',
      order: 'desc',
      limit: 3,
      page: 4,
      given: ['q', 'sort', 'order', 'limit', 'page'],
    });
    expect(listQuery({ q: '' })).toMatchObject({ q: undefined, given: [] });
  });
});

describe('sortSpec', () => {
  it('sorts by the chosen field, then by the numeric id in the same direction', () => {
    expect(sortSpec(listQuery({ sort: 'createdAt' }))).toEqual({ createdAt: 1, seq: 1 });
    expect(sortSpec(listQuery({ order: 'desc' }))).toEqual({ updatedAt: -1, seq: -1 });
  });
});

describe('paginate: the page block', () => {
  it.each([
    [0, 10, 1],
    [1, 10, 1],
    [10, 10, 1],
    [11, 10, 2],
    [23, 5, 5],
  ])('%i items at %i per page make %i pages', (total, limit, pages) => {
    expect(paginate(listQuery({ limit: String(limit) }), total).page).toEqual({ number: 1, limit, totalItems: total, totalPages: pages });
  });
});

describe('paginate: the page moves', () => {
  it('on the only page has none', () => {
    expect(moves({}, 3)).toEqual([]);
  });

  it('on the first of several pages has next and last only', () => {
    expect(moves({ limit: '2' }, 5)).toEqual(['next /notes?limit=2&page=2', 'last /notes?limit=2&page=3']);
  });

  it('in the middle has all four, keeping q, sort, order and limit', () => {
    expect(moves({ q: 'a b', sort: 'createdAt', order: 'desc', limit: '2', page: '2' }, 5)).toEqual([
      'first /notes?q=a%20b&sort=createdAt&order=desc&limit=2&page=1',
      'prev /notes?q=a%20b&sort=createdAt&order=desc&limit=2&page=1',
      'next /notes?q=a%20b&sort=createdAt&order=desc&limit=2&page=3',
      'last /notes?q=a%20b&sort=createdAt&order=desc&limit=2&page=3',
    ]);
  });

  it('past the last page points prev at the last real page', () => {
    expect(moves({ page: '9' }, 15)).toEqual(['first /notes?page=1', 'prev /notes?page=2']);
  });

  it('are GET links', () => {
    expect(paginate(listQuery({ limit: '2' }), 5).links.every((l) => l.method === 'GET')).toBe(true);
  });
});
