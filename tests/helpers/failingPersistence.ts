/**
 * A persistence whose commits fail on demand, like a disk that refuses writes: the embedded
 * server then answers write commands with an error, which the API must turn into a 5xx (and
 * the readiness check into a failed write probe). Everything else is kept in memory.
 */
import type { Mutation, Persistence } from '../../src/embedded-mongo';

/** Commits succeed until `failing` is set, then reject with an EIO-like error. */
export class FailingPersistence implements Persistence {
  failing = false;
  async load(): Promise<void> {}
  async commit(_mutations: Mutation[]): Promise<void> {
    if (this.failing) throw Object.assign(new Error('EIO: i/o error, write (test)'), { code: 'EIO' });
  }
  setSnapshotSource(): void {}
  async close(): Promise<void> {}
}
