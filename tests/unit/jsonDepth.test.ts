import { exceedsJsonDepth, MAX_JSON_DEPTH, verifyJsonDepth } from '../../src/middlewares/jsonDepth';
import { AppError } from '../../src/utils/AppError';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('exceedsJsonDepth', () => {
  it.each([
    ['a scalar', '42', 0, false],
    ['an empty object at limit 1', '{}', 1, false],
    ['an empty object at limit 0', '{}', 0, true],
    ['siblings do not add up', '[[],[],{"a":[]}]', 3, false],
    ['mixed nesting', '{"a":[{"b":[1]}]}', 3, true],
    ['mixed nesting at its depth', '{"a":[{"b":[1]}]}', 4, false],
    ['brackets in a string', '{"a":"[[[[{{{{"}', 1, false],
    ['an escaped quote inside a string', '{"a":"\\"[[[["}', 1, false],
    ['an escaped backslash ending a string', '{"a":"\\\\","b":[[1]]}', 2, true],
    ['non-ASCII text around brackets', '{"ä€😀":["[ü"]}', 2, false],
  ])('%s', (_case, text, max, expected) => {
    expect(exceedsJsonDepth(bytes(text), max)).toBe(expected);
  });

  it('takes 7,300 levels without recursion and stops at the limit', () => {
    const deep = bytes(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);

    expect(exceedsJsonDepth(deep)).toBe(true);
    expect(exceedsJsonDepth(bytes(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`))).toBe(false);
  });
});

describe('verifyJsonDepth', () => {
  it('throws a 400 AppError naming the limit for a deep UTF-8 body', () => {
    const deep = bytes(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`);

    expect(() => verifyJsonDepth(undefined, undefined, deep, 'utf-8')).toThrow(new AppError(400, 'The request body is nested deeper than 32 levels.'));
  });

  it('decodes UTF-16 before counting', () => {
    const deep = Buffer.from(`${'['.repeat(40)}${']'.repeat(40)}`, 'utf16le');

    expect(() => verifyJsonDepth(undefined, undefined, deep, 'utf-16le')).toThrow(/nested deeper/);
    expect(() => verifyJsonDepth(undefined, undefined, Buffer.from('[[1]]', 'utf16le'), 'utf-16le')).not.toThrow();
  });

  it('refuses a charset it cannot decode with 415 rather than leave it unchecked', () => {
    let thrown: unknown;
    try {
      verifyJsonDepth(undefined, undefined, Buffer.from('{}'), 'utf-32');
    } catch (err) {
      thrown = err;
    }

    expect(thrown).toBeInstanceOf(AppError);
    expect((thrown as AppError).status).toBe(415);
  });
});
