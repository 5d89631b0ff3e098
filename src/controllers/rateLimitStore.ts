/**
 * An express-rate-limit store over the `RateLimit` model: fixed windows counted in the database,
 * so all API processes share one count per key. Two things keep it cheap under attack:
 * - once a key is over its limit, this process answers further hits for it from memory until the
 *   window ends, so a flood of refused requests costs no database writes (other processes still
 *   see the count in the database, which is at least the limit);
 * - ended windows are deleted at most once a minute per process, on the way through a hit.
 */
import type { ClientRateLimitInfo, IncrementResponse, Options, Store } from 'express-rate-limit';
import type { Logger } from '../logger';
import { clearKey, hitWindow, readWindow, sweepExpired, unhitWindow } from '../models/RateLimit';

const SWEEP_EVERY_MS = 60_000;
/** Bound on the keys remembered as over their limit; past it the oldest are forgotten (they then cost a write again). */
const MAX_BLOCKED_KEYS = 10_000;

/**
 * Database writes of every store still running. A successful login's hit is taken back after its
 * response has been sent, so a graceful shutdown must wait for these before closing the database.
 */
const inFlight = new Set<Promise<unknown>>();

function track<T>(write: Promise<T>): Promise<T> {
  inFlight.add(write);
  void write.then(
    () => inFlight.delete(write),
    () => inFlight.delete(write),
  );
  return write;
}

/**
 * Resolves once every rate-limit write has finished (successfully or not), including the
 * take-backs of responses that have just finished: express-rate-limit starts those a few
 * promise steps after the response's 'finish', so one turn of the event loop comes first.
 */
export async function settleRateLimitWrites(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
}

interface Blocked {
  hits: number;
  resetAt: number;
}

/** Counts hits per key in fixed windows of `windowMs`, stored in the database. */
export class DatabaseStore implements Store {
  readonly localKeys = false;
  private windowMs = 60_000;
  private limit = Infinity;
  private readonly blocked = new Map<string, Blocked>();
  private nextSweepAt = Date.now() + SWEEP_EVERY_MS;

  /**
   * @param prefix keeps limiters apart in the shared collection (`auth-client:`, …)
   * @param log where failures of the background sweep go
   */
  constructor(
    readonly prefix: string,
    private readonly log: Logger,
  ) {}

  /** Takes the window length and the limit from the limiter's options. */
  init(options: Options): void {
    this.windowMs = options.windowMs;
    if (typeof options.limit === 'number') this.limit = options.limit;
  }

  async increment(key: string): Promise<IncrementResponse> {
    const now = Date.now();
    const blocked = this.blocked.get(key);
    if (blocked && blocked.resetAt > now) {
      blocked.hits += 1;
      return { totalHits: blocked.hits, resetTime: new Date(blocked.resetAt) };
    }
    if (blocked) this.blocked.delete(key);
    this.maybeSweep(now);
    const { hits, resetAt } = await track(hitWindow(this.prefix + key, this.windowMs, now));
    if (hits > this.limit) this.remember(key, { hits, resetAt });
    return { totalHits: hits, resetTime: new Date(resetAt) };
  }

  async decrement(key: string): Promise<void> {
    const blocked = this.blocked.get(key);
    if (blocked && blocked.resetAt > Date.now()) {
      // This hit was answered from memory, so there is nothing to take back in the database.
      blocked.hits = Math.max(0, blocked.hits - 1);
      return;
    }
    await track(unhitWindow(this.prefix + key, this.windowMs));
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const count = await readWindow(this.prefix + key, this.windowMs);
    return count && { totalHits: count.hits, resetTime: new Date(count.resetAt) };
  }

  async resetKey(key: string): Promise<void> {
    this.blocked.delete(key);
    await track(clearKey(this.prefix + key));
  }

  private remember(key: string, entry: Blocked): void {
    if (this.blocked.size >= MAX_BLOCKED_KEYS) {
      const oldest = this.blocked.keys().next();
      if (!oldest.done) this.blocked.delete(oldest.value);
    }
    this.blocked.set(key, entry);
  }

  private maybeSweep(now: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + SWEEP_EVERY_MS;
    track(sweepExpired(now)).catch((err: unknown) => this.log.warn({ err }, 'rate limit: could not delete ended windows'));
  }
}
