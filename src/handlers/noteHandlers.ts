/** `/notes` and `/notes/{id}`: the caller's notes. */
import type { Request, Response } from 'express';
import { noteItemLinks, noteLinks, notesCollectionLinks, paths } from '../controllers/hateoasController';
import * as notes from '../controllers/notesController';
import { pageInfo, pageTargets, selfQuery, toListParams } from '../controllers/paginationController';
import { validated } from '../middlewares/validate';
import { noteNotFound, noteOf } from '../middlewares/validateNote';
import { authOf } from '../middlewares/verifyToken';
import * as noteSchemas from '../schemas/noteSchemas';
import { AppError } from '../utils/AppError';
import { sendRepresentation } from './respond';

function noteRepresentation(note: notes.NoteDTO) {
  return { ...note, links: noteLinks(note.id) };
}

/** GET /notes — one page of the caller's notes, filtered and sorted before paging. */
export async function listNotes(req: Request, res: Response): Promise<void> {
  const { query } = validated(res, noteSchemas.listNotes);
  const params = toListParams(query);
  const { notes: items, total } = await notes.listNotes(authOf(res).userId, params);
  const page = pageInfo(params, total);
  const targets = pageTargets(query, page);
  res.set('X-Total-Count', String(total));
  if (Object.keys(targets).length > 0) res.links(targets);
  sendRepresentation(
    req,
    res,
    {
      notes: items.map((note) => ({ ...note, links: noteItemLinks(note.id) })),
      page,
      links: notesCollectionLinks(selfQuery(query), targets),
    },
    { isPrivate: true },
  );
}

/** POST /notes — 201 with Location and the note as GET /notes/{id} shows it. */
export async function createNote(_req: Request, res: Response): Promise<void> {
  const { body } = validated(res, noteSchemas.createNote);
  const note = await notes.createNote(authOf(res).userId, body.text);
  res.status(201).location(paths.note(note.id)).json(noteRepresentation(note));
}

/** GET /notes/{id} — the note, cacheable. */
export function getNote(req: Request, res: Response): void {
  const note = noteOf(res);
  sendRepresentation(req, res, noteRepresentation(note), { isPrivate: true, lastModified: note.updatedAt });
}

/** PUT /notes/{id} — replace with a full representation whose id is the path's; 204. */
export async function replaceNote(_req: Request, res: Response): Promise<void> {
  const { body } = validated(res, noteSchemas.replaceNote);
  const note = noteOf(res);
  if (body.id !== note.id) {
    throw new AppError(400, `The body's id '${body.id}' does not match the note '${note.id}' in the path.`, {
      errors: [{ in: 'body', name: 'id', message: 'must equal the id in the path' }],
    });
  }
  if (!(await notes.replaceNote(authOf(res).userId, note.id, body.text))) throw noteNotFound(note.id);
  res.status(204).end();
}

/** PATCH /notes/{id} — change the text; 204. */
export async function editNote(_req: Request, res: Response): Promise<void> {
  const { body } = validated(res, noteSchemas.editNote);
  const note = noteOf(res);
  if (!(await notes.editNoteText(authOf(res).userId, note.id, body.text))) throw noteNotFound(note.id);
  res.status(204).end();
}

/** DELETE /notes/{id} — 204; a second delete finds nothing and is 404. */
export async function deleteNote(_req: Request, res: Response): Promise<void> {
  const note = noteOf(res);
  if (!(await notes.deleteNote(authOf(res).userId, note.id))) throw noteNotFound(note.id);
  res.status(204).end();
}
