/** `/notes` and `/notes/{id}`: the caller's notes. Each handler makes one controller call. */
import type { Request, Response } from 'express';
import { paths } from '../controllers/hateoasController';
import * as notes from '../controllers/notesController';
import { PAGE_RELS } from '../controllers/paginationController';
import { callerOf, inputOf, noteIdOf } from '../requestContext';
import * as noteSchemas from '../schemas/noteSchemas';
import { AppError } from '../utils/AppError';
import { sendJson, sendRepresentation, setLinkHeader } from './respond';

/** GET /notes — one page of the caller's notes, filtered and sorted before paging. */
export async function listNotes(req: Request, res: Response): Promise<void> {
  const { query } = inputOf(res, noteSchemas.listNotes);
  const list = await notes.listNotes(callerOf(res).id, query);
  res.setHeader('X-Total-Count', String(list.page.totalItems));
  setLinkHeader(res, list.links, PAGE_RELS);
  sendRepresentation(req, res, list, { isPrivate: true });
}

/** POST /notes — 201 with Location and the note as GET /notes/{id} shows it. */
export async function createNote(req: Request, res: Response): Promise<void> {
  const { body } = inputOf(res, noteSchemas.createNote);
  const note = await notes.createNote(callerOf(res).id, body.text);
  sendJson(req, res, 201, note, { Location: paths.note(note.id) });
}

/** GET /notes/{id} — the note, cacheable. */
export async function getNote(req: Request, res: Response): Promise<void> {
  const note = await notes.getNote(callerOf(res).id, noteIdOf(res));
  sendRepresentation(req, res, note, { isPrivate: true, lastModified: note.updatedAt });
}

/** PUT /notes/{id} — replace with a full representation whose id is the path's; 204. */
export async function replaceNote(_req: Request, res: Response): Promise<void> {
  const { body } = inputOf(res, noteSchemas.replaceNote);
  const id = noteIdOf(res);
  if (body.id !== id) {
    throw new AppError(400, `The body's id '${body.id}' does not match the note '${id}' in the path.`, {
      errors: [{ in: 'body', name: 'id', message: 'must equal the id in the path' }],
    });
  }
  await notes.replaceNote(callerOf(res).id, id, body.text);
  res.status(204).end();
}

/** PATCH /notes/{id} — change the text; 204. */
export async function editNote(_req: Request, res: Response): Promise<void> {
  const { body } = inputOf(res, noteSchemas.editNote);
  await notes.editNoteText(callerOf(res).id, noteIdOf(res), body.text);
  res.status(204).end();
}

/** DELETE /notes/{id} — 204; a second delete finds nothing and is 404. */
export async function deleteNote(_req: Request, res: Response): Promise<void> {
  await notes.deleteNote(callerOf(res).id, noteIdOf(res));
  res.status(204).end();
}
