/** The logger's redaction: passwords, tokens and credentials never reach a line, at any depth pino knows. */
import { captureLog } from '../helpers/logCapture';
import { logOf, logger } from '../../src/logger';
import { fakeReq } from './fakeHttp';

describe('createLogger', () => {
  it('redacts passwords, tokens and authorization headers', () => {
    const log = captureLog('info');

    log.logger.info(
      {
        password: 'p1-secret',
        body: { password: 'p2-secret', token: 't1-secret', access_token: 't2-secret' },
        req: { headers: { authorization: 'Bearer t3-secret', cookie: 'sid=c1-secret' } },
      },
      'something happened',
    );

    expect(log.raw).toHaveLength(1);
    expect(log.raw[0]).not.toMatch(/secret/);
    expect(log.lines()[0]).toMatchObject({ password: '[redacted]', body: { password: '[redacted]', token: '[redacted]' } });
  });

  it('logOf falls back to the process logger outside a request', () => {
    expect(logOf(fakeReq())).toBe(logger);
  });
});
