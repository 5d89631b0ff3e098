/**
 * Every route of the API, one line each. The same table yields the 405 answers (with `Allow`)
 * for known paths, so no method list is written twice. Cheap checks come first: the body's
 * media type (`requireJson`) before the token's user is read, the path's note id before the
 * body is parsed against its schema; the handler then makes one controller call.
 */
import { Router } from 'express';
import * as authHandlers from './handlers/authHandlers';
import * as noteHandlers from './handlers/noteHandlers';
import * as rootHandlers from './handlers/rootHandlers';
import * as userHandlers from './handlers/userHandlers';
import { mountMethodNotAllowed } from './middlewares/methodNotAllowed';
import { requireJson } from './middlewares/requireJson';
import { validate } from './middlewares/validate';
import { validateNote } from './middlewares/validateNote';
import { verifyToken } from './middlewares/verifyToken';
import * as authSchemas from './schemas/authSchemas';
import * as noteSchemas from './schemas/noteSchemas';
import * as userSchemas from './schemas/userSchemas';

export const router = Router();

router.route('/').get(rootHandlers.getRoot);

router.route('/auth').post(requireJson, validate(authSchemas.login), authHandlers.authenticate);

router.route('/users').post(requireJson, validate(userSchemas.register), userHandlers.register);
router.route('/users/:id').get(verifyToken, userHandlers.getProfile);

router
  .route('/notes')
  .get(verifyToken, validate(noteSchemas.listNotes), noteHandlers.listNotes)
  .post(requireJson, verifyToken, validate(noteSchemas.createNote), noteHandlers.createNote);

router
  .route('/notes/:id')
  .get(verifyToken, validateNote, noteHandlers.getNote)
  .put(requireJson, verifyToken, validateNote, validate(noteSchemas.replaceNote), noteHandlers.replaceNote)
  .patch(requireJson, verifyToken, validateNote, validate(noteSchemas.editNote), noteHandlers.editNote)
  .delete(verifyToken, validateNote, noteHandlers.deleteNote);

mountMethodNotAllowed(router);
