/**
 * Notes. `seq` is the numeric form of `id`: it breaks ties when sorting, so "10" comes after "9"
 * and pages never overlap or skip.
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
    id: { type: String, required: true, unique: true },
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
// An Idempotency-Key (scoped by the owner) names at most one note; notes without one are not indexed.
noteSchema.index({ 'idem.key': 1 }, { unique: true, sparse: true });

export const Note = model<NoteDoc>('Note', noteSchema);
