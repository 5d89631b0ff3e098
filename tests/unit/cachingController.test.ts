import fresh from 'fresh';
import { cacheHeaders, etagOf, httpDate, isNotModified } from '../../src/controllers/cachingController';

describe('cachingController', () => {
  it('etagOf is a strong, quoted, deterministic hash of the exact bytes', () => {
    const a = etagOf('{"a":1}');

    expect(a).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(etagOf('{"a":1}')).toBe(a);
    expect(etagOf('{"a":2}')).not.toBe(a);
    expect(etagOf('{"a": 1}')).not.toBe(a);
  });

  it('httpDate is an IMF-fixdate', () => {
    expect(httpDate(1671926400000)).toBe('Sun, 25 Dec 2022 00:00:00 GMT');
  });

  it('cacheHeaders is private for per-user representations and adds Last-Modified when given', () => {
    expect(cacheHeaders('x', { isPrivate: true, lastModified: 0 })).toEqual({
      ETag: etagOf('x'),
      'Cache-Control': 'private, no-cache',
      'Last-Modified': 'Thu, 01 Jan 1970 00:00:00 GMT',
    });
    expect(cacheHeaders('x', { isPrivate: false })).toEqual({ ETag: etagOf('x'), 'Cache-Control': 'no-cache' });
  });

  it('its ETags work with the fresh package that req.fresh uses', () => {
    const etag = etagOf('body');

    expect(fresh({ 'if-none-match': `W/${etag}` }, { etag })).toBe(true);
    expect(fresh({ 'if-none-match': `"x", ${etag}` }, { etag })).toBe(true);
    expect(fresh({ 'if-none-match': '"x"' }, { etag })).toBe(false);
  });

  it('isNotModified compares validators only, ignoring a request Cache-Control', () => {
    const headers = cacheHeaders('body', { isPrivate: true, lastModified: 1_000_000 });

    expect(isNotModified({ ifNoneMatch: headers.ETag }, headers)).toBe(true);
    expect(isNotModified({ ifNoneMatch: '"other"', ifModifiedSince: headers['Last-Modified'] }, headers)).toBe(false);
    expect(isNotModified({ ifModifiedSince: headers['Last-Modified'] }, headers)).toBe(true);
    expect(isNotModified({ ifModifiedSince: new Date(0).toUTCString() }, headers)).toBe(false);
    expect(isNotModified({}, headers)).toBe(false);
  });
});
