/** The application logger (pino): JSON lines on stdout, level from `LOG_LEVEL`. */
import pino from 'pino';
import { config } from './config';

export const logger = pino({
  level: config.logLevel,
  base: undefined,
  redact: { paths: ['password', '*.password', 'req.headers.authorization'], censor: '[redacted]' },
});
