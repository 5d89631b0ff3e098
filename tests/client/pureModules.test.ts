/** Unit tests of the client's pure modules: links, problem messages, token masking. */
import { findLink, hasLink, linksOf } from '../../client/src/links';
import { maskHeader, maskJwts, maskSecretMembers, maskToken } from '../../client/src/mask';
import { describeField, problemMessages } from '../../client/src/problem';

describe('links', () => {
  const body = {
    links: [
      { rel: 'self', href: '/x', method: 'GET' },
      { rel: 'next', href: '/x?page=2', method: 'GET' },
      { rel: 'broken', href: 42, method: 'GET' },
      { rel: 'odd-method', href: '/y', method: 'FETCH' },
    ],
  };

  it('linksOf keeps only well-formed links', () => {
    expect(linksOf(body).map((l) => l.rel)).toEqual(['self', 'next']);
  });

  it('linksOf gives no links for bodies without a links array', () => {
    expect(linksOf(undefined)).toEqual([]);
    expect(linksOf('text')).toEqual([]);
    expect(linksOf({ links: 'nope' })).toEqual([]);
  });

  it('findLink and hasLink answer by rel', () => {
    const links = linksOf(body);
    expect(findLink(links, 'next')?.href).toBe('/x?page=2');
    expect(findLink(links, 'prev')).toBeUndefined();
    expect(hasLink(links, 'self')).toBe(true);
    expect(hasLink(links, 'last')).toBe(false);
  });
});

describe('problemMessages', () => {
  it('prefers detail, then message, then title, then the status line', () => {
    expect(problemMessages(401, 'Unauthorized', { detail: 'Invalid credentials', message: 'other', title: 'Unauthorized' }).summary).toBe('Invalid credentials');
    expect(problemMessages(400, 'Bad Request', { message: 'Invalid request' }).summary).toBe('Invalid request');
    expect(problemMessages(404, 'Not Found', { title: 'Not Found' }).summary).toBe('Not Found');
    expect(problemMessages(502, 'Bad Gateway', '<html>').summary).toBe('502 Bad Gateway');
  });

  it('lists field errors and skips malformed ones', () => {
    const { fields } = problemMessages(400, 'Bad Request', {
      detail: 'Validation failed',
      errors: [{ in: 'body', name: 'password', message: 'must be at least 8 characters' }, { name: 'x' }, null, 'y'],
    });
    expect(fields).toEqual([{ in: 'body', name: 'password', message: 'must be at least 8 characters' }]);
    expect(fields.map(describeField)).toEqual(['password: must be at least 8 characters']);
  });
});

describe('masking', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXBhcnQ';

  it('keeps only the first characters of a token', () => {
    expect(maskToken(jwt)).toBe('eyJhbG…(masked)');
    expect(maskToken('short')).toBe('••••••');
  });

  it('masks Authorization and X-Access-Token but no other header', () => {
    expect(maskHeader('Authorization', `Bearer ${jwt}`)).toBe('Bearer eyJhbG…(masked)');
    expect(maskHeader('x-access-token', jwt)).toBe('eyJhbG…(masked)');
    expect(maskHeader('ETag', '"abc"')).toBe('"abc"');
  });

  it('masks every JWT inside a body', () => {
    const text = JSON.stringify({ access_token: jwt, again: jwt });
    expect(maskJwts(text)).not.toContain(jwt);
    expect(maskJwts(text).match(/\(masked\)/g)).toHaveLength(2);
  });

  it('masks password and currentPassword members at any depth and leaves the rest as it was', () => {
    const body = {
      name: 'Ada',
      password: 'new secret 2',
      currentPassword: 'old secret 1',
      nested: { Password: 'deep secret 3', list: [{ currentpassword: 'deep secret 4', keep: 'visible' }] },
      passwordHint: 'not a password',
    };
    const masked = maskSecretMembers(body);
    const text = JSON.stringify(masked);
    for (const secret of ['new secret 2', 'old secret 1', 'deep secret 3', 'deep secret 4']) expect(text).not.toContain(secret);
    expect(masked).toEqual({
      name: 'Ada',
      password: '••••••(masked)',
      currentPassword: '••••••(masked)',
      nested: { Password: '••••••(masked)', list: [{ currentpassword: '••••••(masked)', keep: 'visible' }] },
      passwordHint: 'not a password',
    });
    expect(body.password).toBe('new secret 2'); // a copy: the request still sends the real value
  });

  it('masks a password member whatever its value, and passes non-objects through', () => {
    expect(maskSecretMembers({ password: { $gt: '' } })).toEqual({ password: '••••••(masked)' });
    expect(maskSecretMembers({ password: 12345678 })).toEqual({ password: '••••••(masked)' });
    expect(maskSecretMembers('password')).toBe('password');
    expect(maskSecretMembers(null)).toBeNull();
    expect(maskSecretMembers([1, 'two'])).toEqual([1, 'two']);
  });

  it('stops at a bounded depth and never shows what lies below', () => {
    let deep: unknown = { password: 'bottom secret' };
    for (let i = 0; i < 100; i += 1) deep = { child: deep };
    expect(JSON.stringify(maskSecretMembers(deep))).not.toContain('bottom secret');
    expect(JSON.stringify(maskSecretMembers(deep))).toContain('(too deep to show)');
  });
});
