/**
 * Rate-limit counters, shared by every API process through the database. One document per key
 * and fixed window: `_id` is `<key>@<window start in ms>`, counted with one atomic `$inc` upsert,
 * so concurrent requests on any process never lose a hit. A window's document is garbage once
 * `expiresAt` has passed; `sweepExpired` deletes those (no TTL index: the embedded server does
 * not expire documents, and an explicit delete behaves the same on MongoDB).
 */
import { Schema, model } from 'mongoose';
import { timed } from './commands';

/** One key's hits in one window. */
export interface RateLimitDoc {
  _id: string;
  key: string;
  hits: number;
  expiresAt: Date;
}

const rateLimitSchema = new Schema<RateLimitDoc>(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true, index: true },
    hits: { type: Number, required: true, default: 0 },
    expiresAt: { type: Date, required: true, index: true },
  },
  { versionKey: false, collection: 'ratelimits' },
);

export const RateLimit = model<RateLimitDoc>('RateLimit', rateLimitSchema);

/** A key's count in the window containing `now`, and when that window ends. */
export interface WindowCount {
  hits: number;
  resetAt: number;
}

function windowOf(key: string, windowMs: number, now: number): { id: string; resetAt: number } {
  const start = Math.floor(now / windowMs) * windowMs;
  return { id: `${key}@${start}`, resetAt: start + windowMs };
}

/** Counts one hit for `key` in the current window; returns the window's total including it. */
export async function hitWindow(key: string, windowMs: number, now: number = Date.now()): Promise<WindowCount> {
  const { id, resetAt } = windowOf(key, windowMs, now);
  const upsert = () =>
    timed('findAndModify', () =>
      RateLimit.findOneAndUpdate(
        { _id: id },
        { $inc: { hits: 1 }, $setOnInsert: { key, expiresAt: new Date(resetAt) } },
        { upsert: true, returnDocument: 'after' },
      ).lean(),
    );
  let doc;
  try {
    doc = await upsert();
  } catch (err) {
    // Two first hits racing to insert the same window: one wins, the other's retry finds it.
    if ((err as { code?: unknown }).code !== 11000) throw err;
    doc = await upsert();
  }
  if (!doc) throw new Error(`rate-limit window ${id} was not returned`);
  return { hits: doc.hits, resetAt };
}

/** The current window's count for `key`, or undefined when it has none. */
export async function readWindow(key: string, windowMs: number, now: number = Date.now()): Promise<WindowCount | undefined> {
  const { id, resetAt } = windowOf(key, windowMs, now);
  const doc = await timed('find', () => RateLimit.findOne({ _id: id }).lean());
  return doc ? { hits: doc.hits, resetAt } : undefined;
}

/** Takes one hit back from the current window (never below zero). */
export async function unhitWindow(key: string, windowMs: number, now: number = Date.now()): Promise<void> {
  const { id } = windowOf(key, windowMs, now);
  await timed('update', () => RateLimit.updateOne({ _id: id, hits: { $gt: 0 } }, { $inc: { hits: -1 } }));
}

/** Forgets every window of `key`. */
export async function clearKey(key: string): Promise<void> {
  await timed('delete', () => RateLimit.deleteMany({ key }));
}

/** Deletes the windows that ended before `now`; returns how many. */
export async function sweepExpired(now: number = Date.now()): Promise<number> {
  const result = await timed('delete', () => RateLimit.deleteMany({ expiresAt: { $lte: new Date(now) } }));
  return result.deletedCount;
}
