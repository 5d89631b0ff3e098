/** `/rels` and `/rels/{rel}`: the documentation pages of the API's own link relations (static HTML, no token). */
import type { Request, Response } from 'express';
import { relIndexPage, relPage } from '../controllers/relsController';
import { AppError } from '../utils/AppError';
import { sendPublicBody } from './respond';

/** Sends a page with a strong ETag (304 when the client's copy is current), like every cacheable answer of the API. */
function sendHtml(req: Request, res: Response, html: string): void {
  sendPublicBody(req, res, html, 'text/html; charset=utf-8');
}

/** GET /rels — the index of the documented rels. */
export function listRels(req: Request, res: Response): void {
  sendHtml(req, res, relIndexPage());
}

/** GET /rels/{rel} — one rel's page; 404 for a rel the API does not have. */
export function getRel(req: Request, res: Response): void {
  const html = relPage(String(req.params.rel));
  if (html === undefined) throw new AppError(404, 'The API has no link relation by that name; GET /rels lists them.');
  sendHtml(req, res, html);
}
