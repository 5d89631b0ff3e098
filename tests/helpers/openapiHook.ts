/**
 * Every answer the API tests receive through supertest is checked against the OpenAPI document
 * (issue 14; openapiValidation.ts): a request whose answer is not documented fails where it is
 * awaited, naming the violation. Installed for every test file (jest `setupFilesAfterEach`) but
 * active only for the API's own test files (tests/api/, tests/app.test.ts, tests/durability/diskFull.test.ts): other suites use
 * supertest against bare Express apps (middleware unit tests, the benchmark's baselines).
 */
import path from 'node:path';
import { Test } from 'supertest';
import type * as Validation from './openapiValidation';

/**
 * The checker, loaded on first use: importing it loads the document and with it the app's modules,
 * which must not happen before a test file's `jest.mock` calls have replaced some of them.
 */
function violationsOf(...args: Parameters<typeof Validation.violationsOf>): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./openapiValidation') as typeof Validation).violationsOf(...args);
}

/** The API's test files outside tests/api/ (the whole app, and the app on a full disk). */
const API_FILES = [path.join('tests', 'app.test.ts'), path.join('tests', 'durability', 'diskFull.test.ts')];

/** The test files whose supertest answers come from the API. */
function checksThisFile(): boolean {
  const file = path.relative(path.resolve(__dirname, '..', '..'), expect.getState().testPath ?? '');
  return file.startsWith(`tests${path.sep}api${path.sep}`) || API_FILES.includes(file);
}

type Assert = (this: Test, resError: Error | null, res: ResponseLike | undefined, fn?: (err: Error | null, res: unknown) => void) => void;

interface ResponseLike {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string | undefined;
}

const patched = Test.prototype as unknown as { assert: Assert; __openapiChecked?: true; method: string; url: string };
if (!patched.__openapiChecked) {
  patched.__openapiChecked = true;
  const original = patched.assert;
  patched.assert = function (this: Test & { method: string; url: string }, resError, res, fn) {
    if (res && checksThisFile()) {
      const url = new URL(this.url);
      const violations = violationsOf({ method: this.method, path: url.pathname, status: res.status, headers: res.headers, body: res.body, text: res.text });
      if (violations.length > 0 && fn) {
        fn.call(this, new Error(`The answer is not what /openapi.json documents:\n  ${violations.join('\n  ')}`), res);
        return;
      }
    }
    original.call(this, resError, res, fn);
  };
}
