/**
 * Notes. `seq` is the numeric form of `id`: it breaks ties when sorting, so "10" comes after "9"
 * and pages never overlap or skip.
 *
 * Every index starts with `owner`, the shard key (docs/scaling.md): a sharded cluster enforces a
 * unique index only when the shard key prefixes it, and every query carries the owner
 * (tests/api/shardKey.test.ts), so each is answered by one shard from one of these indexes. Ids
 * are unique across owners because the allocator (models/Counter.ts) never issues one twice;
 * the `{owner, id}` index makes that a database guarantee within each owner. Databases created
 * before had `id_1` and `idem.key_1` instead: legacyIndexes.ts drops them once these exist.
 */
import { Schema, model } from 'mongoose';

export interface NoteDoc {
  id: string;
  seq: number;
  owner: string;
  text: string;
  createdAt: number;
  updatedAt: number;
  /** The Idempotency-Key the note was created with, if any (controllers/idempotency.ts). */
  idem?: { key: string; hash: string; at: number };
}

const noteSchema = new Schema<NoteDoc>(
  {
    id: { type: String, required: true },
    seq: { type: Number, required: true },
    owner: { type: String, required: true },
    text: { type: String, required: true },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
    idem: { key: String, hash: String, at: Number },
  },
  { versionKey: false, collection: 'notes' },
);

// "This owner's notes sorted by createdAt or updatedAt, then id".
noteSchema.index({ owner: 1, createdAt: 1, seq: 1 });
noteSchema.index({ owner: 1, updatedAt: 1, seq: 1 });
// One note per owner and id; read by both (notesController's getNote and writes).
noteSchema.index({ owner: 1, id: 1 }, { unique: true });
// An Idempotency-Key (scoped by the owner) names at most one note; notes without one are not
// indexed. Partial, not sparse: a sparse compound index holds every document that has any of
// its fields, and every note has an owner, so sparse would index (and make unique) the
// missing key too.
noteSchema.index({ owner: 1, 'idem.key': 1 }, { unique: true, partialFilterExpression: { 'idem.key': { $exists: true } } });

export const Note = model<NoteDoc>('Note', noteSchema);
