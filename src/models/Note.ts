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
}

const noteSchema = new Schema<NoteDoc>(
  {
    id: { type: String, required: true, unique: true },
    seq: { type: Number, required: true },
    owner: { type: String, required: true },
    text: { type: String, required: true },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
  },
  { versionKey: false, collection: 'notes' },
);

// "This owner's notes sorted by createdAt or updatedAt, then id".
noteSchema.index({ owner: 1, createdAt: 1, seq: 1 });
noteSchema.index({ owner: 1, updatedAt: 1, seq: 1 });

export const Note = model<NoteDoc>('Note', noteSchema);
