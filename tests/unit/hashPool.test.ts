/** WorkPool: bounded concurrency, FIFO hand-over, a bounded queue that refuses with BusyError. */
import { WorkPool } from '../../src/controllers/hashPool';
import { BusyError } from '../../src/utils/BusyError';

/** A task that runs until released, recording how many run at once. */
function gate() {
  let running = 0;
  let peak = 0;
  const releases: Array<() => void> = [];
  const order: number[] = [];
  const task = (n: number) => async () => {
    running += 1;
    peak = Math.max(peak, running);
    order.push(n);
    await new Promise<void>((resolve) => releases.push(resolve));
    running -= 1;
    return n;
  };
  const releaseAll = async () => {
    while (releases.length > 0 || running > 0) {
      releases.splice(0).forEach((r) => r());
      await new Promise((r) => setImmediate(r));
    }
  };
  return { task, releaseAll, peak: () => peak, order };
}

describe('WorkPool', () => {
  it('runs at most `concurrency` tasks at once and the rest in arrival order', async () => {
    const pool = new WorkPool(2, 10);
    const g = gate();

    const results = Array.from({ length: 6 }, (_, i) => pool.run(g.task(i)));
    await new Promise((r) => setImmediate(r));
    expect(pool.stats()).toMatchObject({ active: 2, queued: 4 });
    await g.releaseAll();

    expect(await Promise.all(results)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(g.peak()).toBe(2);
    expect(g.order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(pool.stats()).toMatchObject({ active: 0, queued: 0, peakActive: 2, rejected: 0 });
  });

  it('refuses with BusyError (Retry-After 1 s) once the queue is full, without running the task', async () => {
    const pool = new WorkPool(1, 1);
    const g = gate();
    const first = pool.run(g.task(1));
    const second = pool.run(g.task(2));
    const third = jest.fn(async () => 3);

    const refused = pool.run(third);

    await expect(refused).rejects.toBeInstanceOf(BusyError);
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 1 });
    expect(third).not.toHaveBeenCalled();
    expect(pool.stats().rejected).toBe(1);
    await g.releaseAll();
    expect(await Promise.all([first, second])).toEqual([1, 2]);
  });

  it('frees the slot when a task fails', async () => {
    const pool = new WorkPool(1, 0);

    await expect(pool.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');

    expect(pool.stats()).toMatchObject({ active: 0, queued: 0 });
    expect(await pool.run(async () => 'next')).toBe('next');
  });
});
