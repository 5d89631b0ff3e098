import { loadConfig, parseDurationSeconds } from '../../src/config';

const KEY = 'k'.repeat(40);

describe('loadConfig', () => {
  it('has safe defaults for development', () => {
    const config = loadConfig({});

    expect(config).toMatchObject({
      env: 'development',
      isProduction: false,
      port: 3000,
      db: { uri: '', dataDir: './data' },
      argon2: { timeCost: 2, memoryCost: 19456 },
      seedDemo: true,
      logLevel: 'info',
    });
    expect(config.jwt.expiresInSeconds).toBe(3600);
    expect(config.warnings).toEqual([expect.stringMatching(/TN_JWT_PRIVATE_KEY is not set/)]);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('is cheap and quiet under NODE_ENV=test', () => {
    const config = loadConfig({ NODE_ENV: 'test' });

    expect(config.argon2).toEqual({ timeCost: 1, memoryCost: 1024 });
    expect(config.logLevel).toBe('silent');
    expect(config.warnings).toEqual([]);
  });

  it.each(['abc', '70000', '-1', '1.5'])('refuses PORT=%p naming PORT', (port) => {
    expect(() => loadConfig({ PORT: port })).toThrow(/^Invalid configuration: PORT /);
  });

  it('refuses production without a JWT key, naming the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/TN_JWT_PRIVATE_KEY/);
  });

  it('refuses production with a key shorter than 32 characters', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', TN_JWT_PRIVATE_KEY: 'short' })).toThrow(/TN_JWT_PRIVATE_KEY.*32/);
  });

  it('replaces a short key outside production, with a warning', () => {
    const config = loadConfig({ TN_JWT_PRIVATE_KEY: 'short' });

    expect(config.warnings).toEqual([expect.stringMatching(/shorter than 32/)]);
    expect(config.jwt.key.symmetricKeySize).toBeGreaterThanOrEqual(32);
  });

  it('uses a long enough key as given', () => {
    const config = loadConfig({ TN_JWT_PRIVATE_KEY: KEY });

    expect(config.jwt.key.export().toString()).toBe(KEY);
    expect(config.warnings).toEqual([]);
  });

  it('refuses argon2 costs below the production minimum in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', TN_JWT_PRIVATE_KEY: KEY, TN_ARGON2_TIME_COST: '1' })).toThrow(/TN_ARGON2/);
  });

  it('in production never seeds and accepts strong settings', () => {
    const config = loadConfig({ NODE_ENV: 'production', TN_JWT_PRIVATE_KEY: KEY, TN_SEED_DEMO: 'true' });

    expect(config.seedDemo).toBe(false);
    expect(config.isProduction).toBe(true);
  });

  it('TN_SEED_DEMO=false turns demo seeding off in development', () => {
    expect(loadConfig({ TN_SEED_DEMO: 'false' }).seedDemo).toBe(false);
  });

  it.each([
    ['15m', 900],
    ['2h', 7200],
    ['1d', 86400],
    ['90', 90],
    ['30s', 30],
  ])('reads TN_JWT_EXPIRES_IN=%p as %i seconds', (value, seconds) => {
    expect(loadConfig({ TN_JWT_EXPIRES_IN: value }).jwt.expiresInSeconds).toBe(seconds);
  });

  it.each(['1 week', '-5', '1.5h', 'soon'])('refuses TN_JWT_EXPIRES_IN=%p naming it', (value) => {
    expect(() => loadConfig({ TN_JWT_EXPIRES_IN: value })).toThrow(/TN_JWT_EXPIRES_IN/);
  });

  it('refuses a MONGODB_URI with another scheme', () => {
    expect(() => loadConfig({ MONGODB_URI: 'http://db' })).toThrow(/MONGODB_URI/);
  });

  it('accepts a mongodb:// URI and a custom data dir', () => {
    expect(loadConfig({ MONGODB_URI: 'mongodb://db:27017', TN_DATA_DIR: '/tmp/x' }).db).toMatchObject({ uri: 'mongodb://db:27017', dataDir: '/tmp/x' });
  });
});

describe('parseDurationSeconds', () => {
  it('rounds milliseconds to at least one second', () => {
    expect(parseDurationSeconds('500ms')).toBe(1);
    expect(parseDurationSeconds('2500ms')).toBe(2);
  });

  it('throws on nonsense', () => {
    expect(() => parseDurationSeconds('x')).toThrow(/invalid duration/);
  });
});
