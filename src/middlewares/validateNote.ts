/**
 * Loads the note named in the path for its owner, into `res.locals.note`. A note that does not
 * exist, belongs to someone else, or has an id that is not decimal digits is the same 404.
 */
import type { RequestHandler, Response } from 'express';
import { noteNotFoundLinks } from '../controllers/hateoasController';
import { findOwnedNote, type NoteDTO } from '../controllers/notesController';
import { AppError } from '../utils/AppError';
import { authOf } from './verifyToken';

/** The 404 for a note the caller cannot see. */
export function noteNotFound(id: string): AppError {
  return new AppError(404, `Note with ID '${id}' does not exist.`, { links: noteNotFoundLinks() });
}

/** Requires the path's note to exist and belong to the caller. */
export const validateNote: RequestHandler = async (req, res, next) => {
  const id = String(req.params.id);
  const note = /^\d+$/.test(id) ? await findOwnedNote(authOf(res).userId, id) : null;
  if (!note) throw noteNotFound(id);
  res.locals.note = note;
  next();
};

/** The note `validateNote` loaded. */
export function noteOf(res: Response): NoteDTO {
  if (!res.locals.note) throw new Error('validateNote did not run before this handler');
  return res.locals.note;
}
