/** Named sequences for string ids: one document per sequence, advanced with one atomic `$inc`. */
import { Schema, model } from 'mongoose';
import { timed } from './commands';

/** A named sequence; `_id` is the sequence's name (`users`, `notes`). */
export interface CounterDoc {
  _id: string;
  seq: number;
}

const counterSchema = new Schema<CounterDoc>(
  {
    _id: { type: String, required: true },
    seq: { type: Number, required: true, default: 0 },
  },
  { versionKey: false, collection: 'counters' },
);

export const Counter = model<CounterDoc>('Counter', counterSchema);

/** Allocates the next number of a sequence, atomically; never returns the same number twice. */
export async function nextSeq(name: string): Promise<number> {
  // The driver's own findOneAndUpdate: one findAndModify, without mongoose's query layer.
  const counter = await timed('findAndModify', () =>
    Counter.collection.findOneAndUpdate({ _id: name } as object, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' }),
  );
  if (!counter) throw new Error(`counter ${name} was not returned`);
  return Number(counter.seq);
}

/** Moves a sequence forward to at least `value`, so ids below it are never allocated again. */
export async function advanceSeq(name: string, value: number): Promise<void> {
  await timed('update', () => Counter.updateOne({ _id: name }, { $max: { seq: value } }, { upsert: true }));
}
