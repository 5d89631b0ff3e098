/** The configuration of the abuse limits, logging and operations endpoints. */
import { isCidr, loadConfig } from '../../src/config';
import { addressList, isListed } from '../../src/middlewares/metricsAccess';

describe('loadConfig: limits, logs and operations', () => {
  it('has the documented defaults in development', () => {
    const config = loadConfig({});

    expect(config.rateLimits).toEqual({
      authPerClient: 100,
      authFailuresPerAccount: 10,
      authWindowMs: 15 * 60_000,
      registerPerClient: 20,
      registerWindowMs: 3_600_000,
      refusalDelayMs: 1000,
    });
    expect(config.hashPool).toEqual({ concurrency: 2, queue: 32 });
    expect(config.trustProxy).toEqual(['loopback']);
    expect(config.metrics).toEqual({ allow: ['127.0.0.0/8', '::1'], token: '', dbCommands: true });
    expect(config.logFormat).toBe('pretty');
    expect(config.accessLog).toBe(true);
  });

  it('writes JSON outside development, and lifts the rate limits under NODE_ENV=test only', () => {
    const test = loadConfig({ NODE_ENV: 'test' });
    const production = loadConfig({ NODE_ENV: 'production', TN_JWT_PRIVATE_KEY: 'k'.repeat(40) });

    expect(test.logFormat).toBe('json');
    expect(production.logFormat).toBe('json');
    expect(test.rateLimits.authFailuresPerAccount).toBe(1_000_000);
    expect(production.rateLimits.authFailuresPerAccount).toBe(10);
    expect(test.rateLimits.refusalDelayMs).toBe(0);
    expect(production.rateLimits.refusalDelayMs).toBe(1000);
  });

  it('takes every limit from the environment', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      TN_RATE_LIMIT_AUTH_PER_CLIENT: '7',
      TN_RATE_LIMIT_AUTH_FAILURES_PER_ACCOUNT: '3',
      TN_RATE_LIMIT_AUTH_WINDOW: '5m',
      TN_RATE_LIMIT_REGISTER_PER_CLIENT: '2',
      TN_RATE_LIMIT_REGISTER_WINDOW: '1d',
      TN_RATE_LIMIT_REFUSAL_DELAY_MS: '250',
      TN_HASH_CONCURRENCY: '1',
      TN_HASH_QUEUE: '0',
      TN_TRUST_PROXY: '2',
      TN_METRICS_ALLOW: '10.0.0.0/8, 192.0.2.7',
      TN_METRICS_TOKEN: 't'.repeat(32),
      TN_LOG_FORMAT: 'pretty',
      TN_ACCESS_LOG: 'false',
      TN_METRICS_DB_COMMANDS: 'false',
    });

    expect(config.rateLimits).toEqual({ authPerClient: 7, authFailuresPerAccount: 3, authWindowMs: 300_000, registerPerClient: 2, registerWindowMs: 86_400_000, refusalDelayMs: 250 });
    expect(config.hashPool).toEqual({ concurrency: 1, queue: 0 });
    expect(config.trustProxy).toBe(2);
    expect(config.metrics).toEqual({ allow: ['10.0.0.0/8', '192.0.2.7'], token: 't'.repeat(32), dbCommands: false });
    expect(config.logFormat).toBe('pretty');
    expect(config.accessLog).toBe(false);
  });

  it.each([
    ['true', true],
    ['false', false],
    ['loopback, 10.0.0.0/8', ['loopback', '10.0.0.0/8']],
  ])('reads TN_TRUST_PROXY=%p', (value, expected) => {
    expect(loadConfig({ TN_TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it.each([
    ['TN_RATE_LIMIT_AUTH_PER_CLIENT', '0'],
    ['TN_RATE_LIMIT_AUTH_FAILURES_PER_ACCOUNT', 'ten'],
    ['TN_RATE_LIMIT_AUTH_WINDOW', 'soon'],
    ['TN_RATE_LIMIT_REGISTER_WINDOW', '-1h'],
    ['TN_RATE_LIMIT_REFUSAL_DELAY_MS', '60000'],
    ['TN_HASH_CONCURRENCY', '0'],
    ['TN_HASH_QUEUE', '-1'],
    ['TN_TRUST_PROXY', 'everyone'],
    ['TN_METRICS_ALLOW', '10.0.0.0/33'],
    ['TN_METRICS_ALLOW', 'localhost'],
    ['TN_METRICS_TOKEN', 'short'],
    ['TN_LOG_FORMAT', 'xml'],
    ['TN_METRICS_DB_COMMANDS', 'yes'],
  ])('refuses %s=%p with one line naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });

  it.each([
    ['127.0.0.1', true],
    ['10.0.0.0/8', true],
    ['::1/128', true],
    ['fe80::/10', true],
    ['10.0.0.0/33', false],
    ['::/129', false],
    ['10.0.0.0/8/1', false],
    ['10.0.0.0/x', false],
    ['example.com', false],
  ])('isCidr(%p) is %p', (value, expected) => {
    expect(isCidr(value)).toBe(expected);
  });
});

describe('metrics address list', () => {
  const list = addressList(['127.0.0.0/8', '::1', '10.1.2.3']);

  it.each([
    ['127.0.0.1', true],
    ['127.9.9.9', true],
    ['::ffff:127.0.0.1', true],
    ['::1', true],
    ['10.1.2.3', true],
    ['10.1.2.4', false],
    ['203.0.113.9', false],
    ['::2', false],
    ['not an address', false],
    [undefined, false],
  ])('isListed(%p) is %p', (address, expected) => {
    expect(isListed(list, address)).toBe(expected);
  });
});
