/**
 * Development tokens survive restarts (issue 15): without TN_JWT_PRIVATE_KEY, development keeps a
 * generated key in its data directory (0600) and reuses it; production, test runs and the
 * in-memory database never write one.
 */
import fs from 'node:fs';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { DEV_JWT_KEY_FILE, loadConfig } from '../../src/config';
import { makeTempDir, removeDir } from '../helpers/tmp';

let dir: string;
beforeEach(() => {
  dir = makeTempDir('tn-devkey-');
});
afterEach(() => removeDir(dir));

const keep = { keepDevelopmentKey: true };
const keyFile = () => path.join(dir, 'data', DEV_JWT_KEY_FILE);
const development = () => loadConfig({ NODE_ENV: 'development', TN_DATA_DIR: path.join(dir, 'data') }, keep);

describe('the development JWT key', () => {
  it('is generated once into the data directory (created if missing), readable by its owner only', () => {
    const config = development();

    expect(fs.statSync(keyFile()).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(keyFile(), 'utf8').trim()).toBe(config.jwt.key.export().toString());
    expect(config.jwt.key.symmetricKeySize).toBeGreaterThanOrEqual(32);
    expect(config.warnings).toEqual([expect.stringMatching(/^TN_JWT_PRIVATE_KEY is not set; using the development key generated into .*dev-jwt-key, so tokens survive restarts$/)]);
    expect(fs.readdirSync(path.join(dir, 'data'))).toEqual([DEV_JWT_KEY_FILE]); // no temporary file left behind
  });

  it('is reused after a restart: a token signed before verifies after', () => {
    const before = development();
    const token = jwt.sign({ name: 'x' }, before.jwt.key, { algorithm: 'HS256', subject: '1', expiresIn: 60 });

    const after = development();

    expect(after.jwt.key.export().toString()).toBe(before.jwt.key.export().toString());
    expect(jwt.verify(token, after.jwt.key, { algorithms: ['HS256'] })).toMatchObject({ sub: '1' });
    expect(after.warnings).toEqual([expect.stringMatching(/using the development key kept in /)]);
  });

  it('is never written in production (which requires TN_JWT_PRIVATE_KEY), under NODE_ENV=test, or with TN_DATA_DIR=:memory:', () => {
    const dataDir = path.join(dir, 'data');
    expect(() => loadConfig({ NODE_ENV: 'production', TN_DATA_DIR: dataDir }, keep)).toThrow(/TN_JWT_PRIVATE_KEY must be set/);
    const inTests = loadConfig({ NODE_ENV: 'test', TN_DATA_DIR: dataDir }, keep);
    const cwd = process.cwd();
    process.chdir(dir); // a relative ':memory:' directory would appear here
    try {
      const inMemory = loadConfig({ NODE_ENV: 'development', TN_DATA_DIR: ':memory:' }, keep);
      expect(inMemory.warnings).toEqual([expect.stringMatching(/using a random key, so tokens end with the process/)]);
    } finally {
      process.chdir(cwd);
    }

    expect(inTests.jwt.key.symmetricKeySize).toBeGreaterThanOrEqual(32);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('is not used when TN_JWT_PRIVATE_KEY is set, nor by callers that do not ask for it', () => {
    const dataDir = path.join(dir, 'data');
    const configured = loadConfig({ NODE_ENV: 'development', TN_DATA_DIR: dataDir, TN_JWT_PRIVATE_KEY: 'k'.repeat(40) }, keep);
    loadConfig({ NODE_ENV: 'development', TN_DATA_DIR: dataDir });

    expect(configured.jwt.key.export().toString()).toBe('k'.repeat(40));
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('a key file without a usable key stops start-up with a line naming it', () => {
    fs.mkdirSync(path.join(dir, 'data'));
    fs.writeFileSync(keyFile(), 'short\n', { mode: 0o600 });

    expect(() => development()).toThrow(/^Invalid configuration: .*dev-jwt-key holds no usable key .*delete it/);
  });

  it('a data directory that cannot hold it is a configuration error naming TN_DATA_DIR', () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, '');

    expect(() => loadConfig({ NODE_ENV: 'development', TN_DATA_DIR: path.join(file, 'data') }, keep)).toThrow(/^Invalid configuration: TN_DATA_DIR cannot keep the development JWT key/);
  });
});
