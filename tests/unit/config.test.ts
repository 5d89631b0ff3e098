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

describe('loadConfig: the embedded database listener', () => {
  const PASSWORD = 'p'.repeat(16);

  it('listens on a private socket by default, with 1,000 connections and a 10-minute idle timeout', () => {
    expect(loadConfig({}).db.embedded).toEqual({
      listen: 'socket',
      host: '127.0.0.1',
      port: 27017,
      credentials: undefined,
      maxConnections: 1000,
      idleTimeoutMs: 600_000,
    });
  });

  it('TCP needs TN_DB_PASSWORD, naming it', () => {
    expect(() => loadConfig({ TN_DB_LISTEN: 'tcp' })).toThrow(/^Invalid configuration: TN_DB_PASSWORD is required when TN_DB_LISTEN=tcp$/);
  });

  it('TCP with a password gives the server its user and password', () => {
    const config = loadConfig({ TN_DB_LISTEN: 'tcp', TN_DB_PORT: '27999', TN_DB_USER: 'svc', TN_DB_PASSWORD: PASSWORD });

    expect(config.db.embedded).toMatchObject({ listen: 'tcp', port: 27999, credentials: { user: 'svc', password: PASSWORD } });
    expect(config.warnings).toEqual([expect.stringMatching(/TN_JWT_PRIVATE_KEY/)]);
  });

  it('refuses a TCP password under 16 characters in production, and warns elsewhere', () => {
    const production = { NODE_ENV: 'production', TN_JWT_PRIVATE_KEY: KEY, TN_DB_LISTEN: 'tcp', TN_DB_PASSWORD: 'short' };

    expect(() => loadConfig(production)).toThrow(/TN_DB_PASSWORD must be at least 16 characters in production/);
    expect(loadConfig({ ...production, TN_DB_PASSWORD: PASSWORD }).db.embedded.listen).toBe('tcp');
    expect(loadConfig({ NODE_ENV: 'test', TN_DB_LISTEN: 'tcp', TN_DB_PASSWORD: 'short' }).warnings).toEqual([
      expect.stringMatching(/TN_DB_PASSWORD is shorter than 16/),
    ]);
  });

  it('needs no database password when MONGODB_URI is set', () => {
    expect(loadConfig({ MONGODB_URI: 'mongodb://db:27017', TN_DB_LISTEN: 'tcp' }).db.uri).toBe('mongodb://db:27017');
  });

  it.each([
    ['TN_DB_LISTEN', 'udp'],
    ['TN_DB_PORT', '70000'],
    ['TN_DB_USER', 'a,b'],
    ['TN_DB_PASSWORD', 'pässwörd-long-enough'],
    ['TN_DB_MAX_CONNECTIONS', '0'],
    ['TN_DB_IDLE_TIMEOUT', '30s'],
    ['TN_DB_IDLE_TIMEOUT', 'soon'],
  ])('refuses %s=%p naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });

  it('reads TN_DB_MAX_CONNECTIONS and TN_DB_IDLE_TIMEOUT', () => {
    expect(loadConfig({ TN_DB_MAX_CONNECTIONS: '50', TN_DB_IDLE_TIMEOUT: '2m' }).db.embedded).toMatchObject({ maxConnections: 50, idleTimeoutMs: 120_000 });
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

describe('loadConfig: HTTP server limits and shutdown', () => {
  it('has bounded defaults', () => {
    const config = loadConfig({});

    expect(config.http).toEqual({ headersTimeoutMs: 20_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000, maxConnections: 1_000 });
    expect(config.shutdownTimeoutMs).toBe(10_000);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      TN_HTTP_HEADERS_TIMEOUT_MS: '500',
      TN_HTTP_REQUEST_TIMEOUT_MS: '900',
      TN_HTTP_KEEP_ALIVE_TIMEOUT_MS: '300',
      TN_HTTP_MAX_CONNECTIONS: '50',
      TN_SHUTDOWN_TIMEOUT_MS: '0',
    });

    expect(config.http).toEqual({ headersTimeoutMs: 500, requestTimeoutMs: 900, keepAliveTimeoutMs: 300, maxConnections: 50 });
    expect(config.shutdownTimeoutMs).toBe(0);
  });

  it.each([
    ['TN_HTTP_HEADERS_TIMEOUT_MS', '0'],
    ['TN_HTTP_REQUEST_TIMEOUT_MS', 'soon'],
    ['TN_HTTP_KEEP_ALIVE_TIMEOUT_MS', '-1'],
    ['TN_HTTP_MAX_CONNECTIONS', '0'],
    ['TN_HTTP_MAX_CONNECTIONS', '1.5'],
    ['TN_SHUTDOWN_TIMEOUT_MS', '-1'],
  ])('refuses %s=%p naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`^Invalid configuration: ${name} `));
  });

  it('refuses a headers timeout longer than the request timeout, naming both', () => {
    expect(() => loadConfig({ TN_HTTP_HEADERS_TIMEOUT_MS: '5000', TN_HTTP_REQUEST_TIMEOUT_MS: '4000' })).toThrow(
      /TN_HTTP_HEADERS_TIMEOUT_MS must not exceed TN_HTTP_REQUEST_TIMEOUT_MS/,
    );
  });
});
