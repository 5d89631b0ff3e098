/**
 * Unit tests of client/src/claims.ts: decoding a bearer token's header and claims for the
 * walkthrough's statelessness step. The tokens are signed by jsonwebtoken, as the API signs them.
 */
import jwt from 'jsonwebtoken';
import { CLAIM_MEANINGS, claimDate, decodeJwt, timeUntil } from '../../client/src/claims';

describe('decodeJwt', () => {
  it('decodes the header and the claims of a signed token', () => {
    const token = jwt.sign({ name: 'Saurabh', tv: 0 }, 'a test secret that is long enough', { algorithm: 'HS256', subject: '1', expiresIn: 3600 });
    const decoded = decodeJwt(token);
    expect(decoded?.header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(decoded?.payload).toMatchObject({ name: 'Saurabh', tv: 0, sub: '1' });
    const { iat, exp } = decoded?.payload ?? {};
    expect(typeof iat).toBe('number');
    expect(exp).toBe((iat as number) + 3600);
  });

  it('decodes UTF-8 and base64url characters (- and _) in the payload', () => {
    // "ü" and "?>" make the base64 of the payload use the URL-safe alphabet.
    const token = jwt.sign({ name: 'Jürgen ?>?>' }, 'another secret', { algorithm: 'HS256', noTimestamp: true });
    expect(token.split('.')[1]).toMatch(/[-_]/);
    expect(decodeJwt(token)?.payload).toEqual({ name: 'Jürgen ?>?>' });
  });

  it('is undefined for anything that is not a compact JWS with JSON objects in it', () => {
    const header = Buffer.from('{"alg":"none"}').toString('base64url');
    const array = Buffer.from('[1,2]').toString('base64url');
    expect(decodeJwt('')).toBeUndefined();
    expect(decodeJwt('abc')).toBeUndefined();
    expect(decodeJwt('a.b')).toBeUndefined();
    expect(decodeJwt(`${header}.${array}.sig`)).toBeUndefined();
    expect(decodeJwt(`${header}.not*base64.sig`)).toBeUndefined();
    expect(decodeJwt(`${header}.${Buffer.from('not json').toString('base64url')}.sig`)).toBeUndefined();
    expect(decodeJwt(`${header}.${Buffer.from([0xff, 0xfe]).toString('base64url')}.sig`)).toBeUndefined();
  });
});

describe('claim dates', () => {
  it('turns a NumericDate (seconds) into a Date and refuses anything else', () => {
    expect(claimDate(1796660327)?.toISOString()).toBe('2026-12-07T16:18:47.000Z');
    expect(claimDate('1796660327')).toBeUndefined();
    expect(claimDate(Number.NaN)).toBeUndefined();
  });

  it('says how long until expiry, or since', () => {
    const now = new Date('2026-12-07T15:00:00Z');
    expect(timeUntil(new Date('2026-12-07T16:00:00Z'), now)).toBe('in 60 minutes');
    expect(timeUntil(new Date('2026-12-07T15:01:00Z'), now)).toBe('in 1 minute');
    expect(timeUntil(new Date('2026-12-07T19:00:00Z'), now)).toBe('in 4 hours');
    expect(timeUntil(new Date('2026-12-07T14:58:00Z'), now)).toBe('expired 2 minutes ago');
    expect(timeUntil(new Date('2026-12-07T15:00:10Z'), now)).toBe('within the minute');
  });

  it('explains the claims the API puts into its tokens', () => {
    for (const claim of ['sub', 'name', 'tv', 'iat', 'exp']) expect(CLAIM_MEANINGS[claim]).toEqual(expect.any(String));
  });
});
