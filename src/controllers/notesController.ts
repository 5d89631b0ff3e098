/** Notes persistence: create, find, list (filtered, sorted, paged in the database), replace, edit, delete. */
import { nextSeq } from '../models/Counter';
import { Note, type NoteDoc } from '../models/Note';
import { skipOf, sortSpec, type ListParams } from './paginationController';

/** A note as the API shows it (without links). */
export interface NoteDTO {
  id: string;
  text: string;
  createdAt: number;
  updatedAt: number;
}

const NOTE_FIELDS = { _id: 0, id: 1, text: 1, createdAt: 1, updatedAt: 1 } as const;

function toDTO(doc: Pick<NoteDoc, 'id' | 'text' | 'createdAt' | 'updatedAt'>): NoteDTO {
  return { id: doc.id, text: doc.text, createdAt: doc.createdAt, updatedAt: doc.updatedAt };
}

/** Escapes regular-expression metacharacters so a search term matches literally. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** Creates a note for `owner` with a fresh id. */
export async function createNote(owner: string, text: string, now: number = Date.now()): Promise<NoteDTO> {
  const seq = await nextSeq('notes');
  const note = await Note.create({ id: String(seq), seq, owner, text, createdAt: now, updatedAt: now });
  return toDTO(note);
}

/** The note with this id if it belongs to `owner`; otherwise null (a stranger's note does not exist for them). */
export async function findOwnedNote(owner: string, id: string): Promise<NoteDTO | null> {
  const note = await Note.findOne({ id, owner }, NOTE_FIELDS).lean();
  return note ? toDTO(note) : null;
}

/** One page of `owner`'s notes: filter, then sort (ties by id), then skip/limit, all in the database. */
export async function listNotes(owner: string, params: ListParams): Promise<{ notes: NoteDTO[]; total: number }> {
  const filter: Record<string, unknown> = { owner };
  if (params.q !== undefined) filter.text = { $regex: escapeRegex(params.q), $options: 'i' };
  const total = await Note.countDocuments(filter);
  const skip = skipOf(params);
  if (skip >= total) return { notes: [], total };
  const notes = await Note.find(filter, NOTE_FIELDS).sort(sortSpec(params)).skip(skip).limit(params.limit).lean();
  return { notes: notes.map(toDTO), total };
}

/** Replaces the text of `owner`'s note, keeping createdAt and moving updatedAt; false when it is gone. */
export async function replaceNote(owner: string, id: string, text: string, now: number = Date.now()): Promise<boolean> {
  const result = await Note.updateOne({ id, owner }, { $set: { text, updatedAt: now } });
  return result.matchedCount > 0;
}

/** Changes only the text of `owner`'s note; false when it is gone. */
export async function editNoteText(owner: string, id: string, text: string, now: number = Date.now()): Promise<boolean> {
  return replaceNote(owner, id, text, now);
}

/** Deletes `owner`'s note; false when there was none. */
export async function deleteNote(owner: string, id: string): Promise<boolean> {
  const result = await Note.deleteOne({ id, owner });
  return result.deletedCount > 0;
}
