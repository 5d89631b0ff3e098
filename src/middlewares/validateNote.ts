/**
 * The note named in the path. An id that is not decimal digits names no note: 404 at once,
 * without a database call. Whether the note exists and is the caller's is decided by the
 * handler's one owner-filtered query or write, with the same 404.
 */
import type { RequestHandler } from 'express';
import { noteNotFound } from '../controllers/notesController';
import { setContext } from '../requestContext';

/** Puts the path's note id into the request context, or answers 404 for one that cannot exist. */
export const validateNote: RequestHandler = (req, res, next) => {
  const id = String(req.params.id);
  if (!/^\d+$/.test(id)) throw noteNotFound(id);
  setContext(res, 'noteId', id);
  next();
};
