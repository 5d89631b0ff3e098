/** A logger whose lines the test can read: the app's real pino logger, writing into memory. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger';

/** One parsed log line. */
export type LogLine = Record<string, unknown> & { level: number; msg?: string; reqId?: string; event?: string };

/** A logger at `level` and the lines it has written so far (raw and parsed). */
export interface CapturedLog {
  logger: Logger;
  raw: string[];
  lines(): LogLine[];
  clear(): void;
}

/** Captures every line of a fresh logger built like the process one (same redaction). */
export function captureLog(level = 'info'): CapturedLog {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString('utf8').split('\n')) if (text !== '') raw.push(text);
      callback();
    },
  });
  return {
    logger: createLogger({ level, destination: stream }),
    raw,
    lines: () => raw.map((text) => JSON.parse(text) as LogLine),
    clear: () => {
      raw.length = 0;
    },
  };
}
