/**
 * 405 for known paths, derived from the route table itself: after every route is declared,
 * each path gets a catch-all that answers with `Allow` listing the methods declared for it.
 * OPTIONS on a known path is the CORS preflight (204); on an unknown path nothing matches and
 * it is a 404 like any other method.
 */
import type { RequestHandler, Router } from 'express';
import { AppError } from '../utils/AppError';

/** The `Allow` value for a set of declared methods: HEAD comes with GET (Express serves it). */
export function allowHeader(methods: Iterable<string>): string {
  const set = new Set([...methods].map((m) => m.toUpperCase()));
  if (set.has('GET')) set.add('HEAD');
  const order = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
  return [...set].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(', ');
}

/** A handler answering 405 with the given `Allow`. */
export function methodNotAllowed(allow: string): RequestHandler {
  return (req, _res, next) => {
    next(new AppError(405, `${req.method} is not allowed here. Allowed: ${allow}.`, { headers: { Allow: allow } }));
  };
}

/**
 * Ends a CORS preflight with 204. The CORS middleware (app.ts, `preflightContinue`) has set the
 * Access-Control-* headers already; it leaves the answer to the route table, so that only paths
 * that exist answer a preflight.
 */
export const corsPreflight: RequestHandler = (_req, res) => {
  res.status(204).set('Content-Length', '0').end();
};

/**
 * Adds, for every path declared on the router so far, the CORS preflight (OPTIONS) and a 405
 * catch-all for the methods it does not declare. Call it after the last route.
 */
export function mountMethodNotAllowed(router: Router): void {
  const methodsByPath = new Map<string, Set<string>>();
  for (const layer of router.stack) {
    if (!layer.route) continue;
    const methods = methodsByPath.get(layer.route.path) ?? new Set<string>();
    for (const routeLayer of layer.route.stack) if (routeLayer.method) methods.add(routeLayer.method);
    methodsByPath.set(layer.route.path, methods);
  }
  for (const [path, methods] of methodsByPath) {
    router.options(path, corsPreflight);
    router.all(path, methodNotAllowed(allowHeader(methods)));
  }
}
