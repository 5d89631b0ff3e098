/** The entry point `/`. */
import type { Request, Response } from 'express';
import { rootLinks } from '../controllers/hateoasController';

/** GET / — the welcome message and the links a client starts from. */
export function getRoot(_req: Request, res: Response): void {
  res.status(200).json({ message: 'Welcome to the Thunder Notes API.', links: rootLinks() });
}
