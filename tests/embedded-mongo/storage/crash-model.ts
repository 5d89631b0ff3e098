/** What crash-child.ts writes, computable from (round, worker, i) so the parent can check contents. */
import { Long, ObjectId } from 'bson';

/** Concurrent writers in the child. */
export const WORKERS = 8;

/** The document the child inserts as write `i` of worker `w` in `round`. */
export function crashDoc(round: number, w: number, i: number): { _id: string } & Record<string, unknown> {
  const hex = (round * 1_000_000 + w * 10_000 + i).toString(16).padStart(24, '0');
  return {
    _id: `d-${round}-${w}-${i}`,
    round,
    w,
    i,
    at: new Date(Date.UTC(2026, 0, 1) + i * 1000),
    oid: ObjectId.createFromHexString(hex),
    big: Long.fromString('9007199254740993'),
    ratio: i / 7,
    body: 'x'.repeat((i * 37) % 700),
    nested: { tags: [`w${w}`, `r${round}`], deep: { i, even: i % 2 === 0, none: null } },
  };
}
