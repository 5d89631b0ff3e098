/**
 * Every route of the API, one line each. The same table yields the 405 answers (with `Allow`)
 * for known paths, so no method list is written twice.
 */
import { Router } from 'express';
import * as rootHandlers from './handlers/rootHandlers';

export const router = Router();

router.route('/').get(rootHandlers.getRoot);
