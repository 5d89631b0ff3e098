/**
 * The order-statistic structure under the indexes, against a plain sorted array: random inserts
 * and removals with small chunks (so chunks split and merge all the time), rank (`bound`) and
 * select (`at`), walking with cursors both ways.
 */
import { SortedList } from '../../src/embedded-mongo/sorted-list';
import { seededRandom } from '../helpers/random';


const cmp = (a: number, b: number) => a - b;
/** Reference: first index with reference[i] >= x (or > x). */
const refBound = (ref: number[], x: number, after: boolean) => {
  const i = ref.findIndex((v) => (after ? v > x : v >= x));
  return i < 0 ? ref.length : i;
};

describe('SortedList', () => {
  test.each([2, 4, 16])('random inserts and removals with chunks of %d keep order, rank and select exact', (load) => {
    const rnd = seededRandom(load);
    const list = new SortedList<number>(cmp, load);
    const ref: number[] = [];
    for (let step = 0; step < 3000; step++) {
      const x = Math.floor(rnd() * 500);
      if (rnd() < 0.6 && !ref.includes(x)) {
        list.insert(x);
        ref.splice(refBound(ref, x, false), 0, x);
      } else {
        const had = ref.includes(x);
        expect(list.remove(x)).toBe(had);
        if (had) ref.splice(ref.indexOf(x), 1);
      }
      if (step % 50 === 0) {
        expect([...list]).toEqual(ref);
        expect(list.size).toBe(ref.length);
        for (let i = 0; i < ref.length; i += 7) expect(list.at(i)).toBe(ref[i]);
        for (let probe = -1; probe <= 501; probe += 13) {
          expect(list.bound((e) => e - probe, false)).toBe(refBound(ref, probe, false));
          expect(list.bound((e) => e - probe, true)).toBe(refBound(ref, probe, true));
        }
      }
    }
  });

  test('cursors walk forwards and backwards across chunks', () => {
    const list = SortedList.fromSorted(Array.from({ length: 100 }, (_, i) => i * 2), cmp, 4);
    const forward: number[] = [];
    for (let cur = list.cursorAt(37), e = list.entryAt(cur); e !== undefined; list.step(cur, 1), e = list.entryAt(cur)) forward.push(e);
    expect(forward).toEqual(Array.from({ length: 63 }, (_, i) => (37 + i) * 2));
    const backward: number[] = [];
    for (let cur = list.cursorAt(9), e = list.entryAt(cur); e !== undefined; list.step(cur, -1), e = list.entryAt(cur)) backward.push(e);
    expect(backward).toEqual([18, 16, 14, 12, 10, 8, 6, 4, 2, 0]);
    expect(list.entryAt(list.cursorAt(100))).toBeUndefined();
  });

  test('an insert returns a neighbour, for sharing equal values', () => {
    const list = new SortedList<number>(cmp, 4);
    expect(list.insert(5)).toBeUndefined();
    expect(list.insert(3)).toBe(5);
    expect(list.insert(9)).toBe(5);
    expect(list.insert(4)).toBe(3);
  });
});
