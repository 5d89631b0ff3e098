import argon2 from 'argon2';
import jwt from 'jsonwebtoken';
import { getDummyHash, issueToken, verifyAccessToken } from '../../src/controllers/authController';
import { config } from '../../src/config';

describe('authController', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('issues a token that verifyAccessToken reads back', () => {
    const token = issueToken('5', 'Eve');

    expect(verifyAccessToken(token)).toEqual({ userId: '5', name: 'Eve' });
  });

  it('reads a token without a name claim as an empty name', () => {
    const token = jwt.sign({}, config.jwt.key, { algorithm: 'HS256', subject: '5', expiresIn: 60 });

    expect(verifyAccessToken(token)).toEqual({ userId: '5', name: '' });
  });

  it('refuses a token with another algorithm', () => {
    const token = jwt.sign({ name: 'x' }, config.jwt.key, { algorithm: 'HS384', subject: '5' });

    expect(() => verifyAccessToken(token)).toThrow(/invalid algorithm/);
  });

  it('the dummy hash is an argon2id hash computed once', async () => {
    const first = await getDummyHash();

    expect(first).toMatch(/^\$argon2id\$/);
    expect(await getDummyHash()).toBe(first);
  });

  it('the dummy hash uses the configured cost', async () => {
    const hash = await getDummyHash();

    expect(hash).toMatch(new RegExp(`m=${config.argon2.memoryCost},.*t=${config.argon2.timeCost}\\$`));
  });

  it('retries the dummy hash after a failure instead of failing every later login', async () => {
    let isolated: typeof import('../../src/controllers/authController') | undefined;
    let hashSpy: jest.SpyInstance | undefined;
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports -- fresh module instances for this test. */
      const freshArgon2 = require('argon2') as typeof argon2;
      hashSpy = jest.spyOn(freshArgon2, 'hash').mockRejectedValueOnce(new Error('out of memory'));
      isolated = require('../../src/controllers/authController');
      /* eslint-enable @typescript-eslint/no-require-imports */
    });
    await new Promise((r) => setImmediate(r));

    await expect(isolated!.getDummyHash()).resolves.toMatch(/^\$argon2id\$/);
    expect(hashSpy).toHaveBeenCalledTimes(2);
  });
});
