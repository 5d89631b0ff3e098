import { pageInfo, pageTargets, selfQuery, skipOf, sortSpec, toListParams } from '../../src/controllers/paginationController';

describe('toListParams', () => {
  it('fills in the defaults: updatedAt, asc, 10 per page, page 1, no filter', () => {
    expect(toListParams({})).toEqual({ sort: 'updatedAt', order: 'asc', limit: 10, page: 1 });
  });

  it('keeps what the caller gave and drops an empty q', () => {
    expect(toListParams({ q: 'x', sort: 'createdAt', order: 'desc', limit: 3, page: 4 })).toEqual({
      q: 'x',
      sort: 'createdAt',
      order: 'desc',
      limit: 3,
      page: 4,
    });
    expect(toListParams({ q: '' })).not.toHaveProperty('q');
  });
});

describe('sortSpec and skipOf', () => {
  it('sorts by the chosen field, then by the numeric id in the same direction', () => {
    expect(sortSpec(toListParams({ sort: 'createdAt' }))).toEqual({ createdAt: 1, seq: 1 });
    expect(sortSpec(toListParams({ order: 'desc' }))).toEqual({ updatedAt: -1, seq: -1 });
  });

  it('skips the notes of the earlier pages', () => {
    expect(skipOf(toListParams({}))).toBe(0);
    expect(skipOf(toListParams({ limit: 5, page: 3 }))).toBe(10);
  });
});

describe('pageInfo', () => {
  it.each([
    [0, 10, 1],
    [1, 10, 1],
    [10, 10, 1],
    [11, 10, 2],
    [23, 5, 5],
  ])('%i items at %i per page make %i pages', (total, limit, pages) => {
    expect(pageInfo(toListParams({ limit }), total)).toEqual({ number: 1, limit, totalItems: total, totalPages: pages });
  });
});

describe('pageTargets', () => {
  it('on the only page has no targets', () => {
    expect(pageTargets({}, pageInfo(toListParams({}), 3))).toEqual({});
  });

  it('on the first of several pages has next and last only', () => {
    expect(pageTargets({ limit: 2 }, pageInfo(toListParams({ limit: 2 }), 5))).toEqual({
      next: '/notes?limit=2&page=2',
      last: '/notes?limit=2&page=3',
    });
  });

  it('in the middle has all four, keeping q, sort, order and limit', () => {
    const query = { q: 'a b', sort: 'createdAt' as const, order: 'desc' as const, limit: 2, page: 2 };

    expect(pageTargets(query, pageInfo(toListParams(query), 5))).toEqual({
      first: '/notes?q=a%20b&sort=createdAt&order=desc&limit=2&page=1',
      prev: '/notes?q=a%20b&sort=createdAt&order=desc&limit=2&page=1',
      next: '/notes?q=a%20b&sort=createdAt&order=desc&limit=2&page=3',
      last: '/notes?q=a%20b&sort=createdAt&order=desc&limit=2&page=3',
    });
  });

  it('past the last page points prev at the last real page', () => {
    const query = { page: 9 };

    expect(pageTargets(query, pageInfo(toListParams(query), 15))).toEqual({ first: '/notes?page=1', prev: '/notes?page=2' });
  });
});

describe('selfQuery', () => {
  it('repeats the caller’s parameters and page only when given', () => {
    expect(selfQuery({})).toEqual({});
    expect(selfQuery({ q: '', limit: 3 })).toEqual({ limit: 3 });
    expect(selfQuery({ sort: 'updatedAt', page: 2 })).toEqual({ sort: 'updatedAt', page: 2 });
  });
});
