/** TN_USER_CACHE_MS and TN_USER_CACHE_SIZE: how long and how many users the token check trusts. */
import { loadConfig } from '../../src/config';

describe('the user cache settings', () => {
  it('trust a user for one second, 10,000 users at most, by default', () => {
    expect(loadConfig({}).userCache).toEqual({ ttlMs: 1000, maxEntries: 10_000 });
  });

  it('read both variables; 0 ms asks the database on every request', () => {
    expect(loadConfig({ TN_USER_CACHE_MS: '0', TN_USER_CACHE_SIZE: '50' }).userCache).toEqual({ ttlMs: 0, maxEntries: 50 });
  });

  it.each([
    ['TN_USER_CACHE_MS', '1001'],
    ['TN_USER_CACHE_MS', '-1'],
    ['TN_USER_CACHE_MS', '0.5'],
    ['TN_USER_CACHE_SIZE', '1000001'],
    ['TN_USER_CACHE_SIZE', 'many'],
  ])('refuse %s=%p, naming it (a deleted user must be refused within a second)', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });
});
