/** `/notes` and `/notes/{id}`: the caller's notes. Each handler makes one controller call. */
import type { Request, Response } from 'express';
import { paths, profileLink } from '../controllers/hateoasController';
import * as notes from '../controllers/notesController';
import { PAGE_RELS } from '../controllers/paginationController';
import type { Operation } from 'fast-json-patch';
import { representationEtag } from '../controllers/conditionalWrites';
import { fingerprintOf } from '../controllers/idempotency';
import { formatOf } from '../middlewares/negotiate';
import { acceptPatch, bodyTypeOf, NOTE_PATCH_TYPES } from '../middlewares/requireJson';
import { callerOf, idempotencyKeyOf, inputOf, noteIdOf, preconditionsOf } from '../requestContext';
import * as noteSchemas from '../schemas/noteSchemas';
import { AppError } from '../utils/AppError';
import { addLinks, sendRepresentation, sendWritten, setLinkHeader } from './respond';

/** `Accept-Patch` of a note: the three PATCH formats. */
const NOTE_ACCEPT_PATCH = acceptPatch(NOTE_PATCH_TYPES);

/** GET /notes — one page of the caller's notes, filtered and sorted before paging; `fields` trims each note (respond.ts). */
export async function listNotes(req: Request, res: Response): Promise<void> {
  const { query } = inputOf(res, noteSchemas.listNotes);
  const list = await notes.listNotes(callerOf(res).id, query);
  res.setHeader('X-Total-Count', String(list.page.totalItems));
  setLinkHeader(res, list.links, PAGE_RELS);
  // The profile link (issue 13) only where the body is HAL: today's JSON answer promises no Link header but the page moves.
  if (formatOf(res) !== 'json') addLinks(res, [profileLink(callerOf(res).id)]);
  sendRepresentation(req, res, list, { isPrivate: true, fields: query.fields });
}

/**
 * POST /notes — 201 with Location and the note as GET /notes/{id} shows it (`Prefer:
 * return=minimal`: no body). With an Idempotency-Key, a retry gets the same note back, marked
 * `Idempotent-Replayed: true`.
 */
export async function createNote(req: Request, res: Response): Promise<void> {
  const { body } = inputOf(res, noteSchemas.createNote);
  const owner = callerOf(res).id;
  const key = idempotencyKeyOf(res);
  let note: notes.NoteView;
  if (key === undefined) note = await notes.createNote(owner, body.text);
  else {
    const result = await notes.createNoteOnce(owner, body.text, { key, fingerprint: fingerprintOf(req.method, paths.notes(), body) });
    note = result.note;
    if (result.replayed) res.setHeader('Idempotent-Replayed', 'true');
  }
  sendWritten(req, res, true, { representation: note, etag: representationEtag(note), location: paths.note(note.id) });
}

/** GET /notes/{id} — the note, cacheable (`fields` trims it: respond.ts); `Accept-Patch` names the PATCH formats it takes. */
export async function getNote(req: Request, res: Response): Promise<void> {
  const { query } = inputOf(res, noteSchemas.getNote);
  const note = await notes.getNote(callerOf(res).id, noteIdOf(res));
  res.setHeader('Accept-Patch', NOTE_ACCEPT_PATCH);
  addLinks(res, [profileLink(callerOf(res).id)]); // issue 13: no dead ends (Link header; HAL `_links`)
  sendRepresentation(req, res, note, { isPrivate: true, lastModified: note.updatedAt, fields: query.fields });
}

function sendWrittenNote(req: Request, res: Response, result: notes.WrittenNote): void {
  sendWritten(req, res, false, { representation: result.note, etag: result.etag, location: paths.note(result.note.id) });
}

/** PUT /notes/{id} — replace with a full representation whose id is the path's; 204 (200 with `Prefer: return=representation`). */
export async function replaceNote(req: Request, res: Response): Promise<void> {
  const { body } = inputOf(res, noteSchemas.replaceNote);
  const id = noteIdOf(res);
  if (body.id !== id) {
    throw new AppError(400, `The body's id '${body.id}' does not match the note '${id}' in the path.`, {
      errors: [{ in: 'body', name: 'id', message: 'must equal the id in the path' }],
    });
  }
  sendWrittenNote(req, res, await notes.replaceNote(callerOf(res).id, id, body.text, preconditionsOf(res)));
}

/** The PATCH document of this request, by its media type (validated by `validateByBodyType`). */
function notePatchOf(req: Request, res: Response): notes.NotePatch {
  switch (bodyTypeOf(req, NOTE_PATCH_TYPES)) {
    case 'application/merge-patch+json':
      return { format: 'merge-patch', patch: inputOf(res, noteSchemas.mergePatchNote).body };
    case 'application/json-patch+json':
      return { format: 'json-patch', operations: inputOf(res, noteSchemas.jsonPatchNote).body as Operation[] };
    default:
      return { format: 'json', text: inputOf(res, noteSchemas.editNote).body.text };
  }
}

/** PATCH /notes/{id} — change the text (`{text}`, a merge patch or a JSON Patch); 204 (200 with `Prefer: return=representation`). */
export async function editNote(req: Request, res: Response): Promise<void> {
  sendWrittenNote(req, res, await notes.patchNote(callerOf(res).id, noteIdOf(res), notePatchOf(req, res), preconditionsOf(res)));
}

/** DELETE /notes/{id} — 204; a second delete finds nothing and is 404. */
export async function deleteNote(_req: Request, res: Response): Promise<void> {
  await notes.deleteNote(callerOf(res).id, noteIdOf(res), preconditionsOf(res));
  res.status(204).end();
}
