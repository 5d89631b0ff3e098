/** The entry point `/`. */
import type { Request, Response } from 'express';
import { rootLinks } from '../controllers/hateoasController';
import { sendRepresentation } from './respond';

/** GET / — the welcome message and the links a client starts from. */
export function getRoot(req: Request, res: Response): void {
  sendRepresentation(req, res, { message: 'Welcome to the Thunder Notes API.', links: rootLinks() }, { isPrivate: false });
}
