/**
 * Percent-escapes in the path that do not decode to UTF-8 (`/notes/%FF`) are taken literally.
 * Express decodes path parameters while it matches routes and answers such a path 400 before
 * any route's middleware runs, so `/notes/%FF` was refused before authentication. Escaping the
 * `%` signs instead lets the path reach its route like any other: 401 without a token, then 404
 * because `%FF` names no note, exactly as `/notes/abc` does.
 */
import type { RequestHandler } from 'express';

/** Whether every percent-escape of a path decodes (to valid UTF-8). */
function decodes(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/** Rewrites a path whose escapes do not decode so that its `%` signs are literal; leaves every other URL alone. */
export const literalBadEscapes: RequestHandler = (req, _res, next) => {
  const queryAt = req.url.indexOf('?');
  const path = queryAt === -1 ? req.url : req.url.slice(0, queryAt);
  if (path.includes('%') && !decodes(path)) {
    req.url = path.replaceAll('%', '%25') + (queryAt === -1 ? '' : req.url.slice(queryAt));
  }
  next();
};
