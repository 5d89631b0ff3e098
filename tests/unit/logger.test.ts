/** The logger's redaction: passwords, tokens and credentials never reach a line, at any depth pino knows. */
import { captureLog } from '../helpers/logCapture';
import { attachLogger, logOf, logger } from '../../src/logger';
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

  it('logOf makes a request its child logger on first use, carrying the request id, and reuses it', () => {
    const log = captureLog('info');
    const req = fakeReq();
    req.id = 'req-7';
    attachLogger(req, log.logger);

    const first = logOf(req);
    first.warn({ event: 'x' }, 'something');

    expect(logOf(req)).toBe(first);
    expect(log.lines()).toEqual([expect.objectContaining({ level: 40, reqId: 'req-7', event: 'x', msg: 'something' })]);
  });
});
