/** TN_ID_BLOCK: how many ids each API process reserves with one counter write (issue 17). */
import { loadConfig } from '../../src/config';

describe('the id block setting', () => {
  it('is 100 by default', () => {
    expect(loadConfig({}).ids).toEqual({ block: 100 });
  });

  it.each([
    ['1', 1],
    ['7', 7],
    ['1000000', 1_000_000],
  ])('reads TN_ID_BLOCK=%p', (value, block) => {
    expect(loadConfig({ TN_ID_BLOCK: value }).ids.block).toBe(block);
  });

  it.each(['0', '-5', '2.5', '1000001', 'many'])('refuses TN_ID_BLOCK=%p at start-up, naming it', (value) => {
    expect(() => loadConfig({ TN_ID_BLOCK: value })).toThrow(/^Invalid configuration: TN_ID_BLOCK /);
  });
});
