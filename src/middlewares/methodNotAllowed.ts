/**
 * OPTIONS and 405 for known paths, derived from the route table itself: after every route is
 * declared, each path gets an OPTIONS answer (204 with `Allow`, and `Accept-Patch` where PATCH
 * exists; also the CORS preflight, whose Access-Control-* headers the CORS middleware has set)
 * and a catch-all that answers 405 with the same `Allow`. On an unknown path nothing matches
 * and it is a 404 like any other method.
 */
import type { RequestHandler, Router } from 'express';
import { allowedMethodLinks } from '../controllers/hateoasController';
import { HTTP_METHODS } from '../types/hypermedia';
import { AppError } from '../utils/AppError';
import { preferFormat } from './negotiate';

/** The `Allow` value for a set of declared methods: HEAD comes with GET (Express serves it), OPTIONS with every path. */
export function allowHeader(methods: Iterable<string>): string {
  const set = new Set([...methods].map((m) => m.toUpperCase()));
  if (set.has('GET')) set.add('HEAD');
  set.add('OPTIONS');
  const order = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
  return [...set].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(', ');
}

/**
 * A handler answering 405 with the given `Allow`, linking (Link header) to the path once per
 * allowed method, rel `self` with the method as the link's title. HEAD and OPTIONS are left out:
 * every client knows them, and a link's method is one of HTTP_METHODS.
 */
export function methodNotAllowed(allow: string): RequestHandler {
  const methods = HTTP_METHODS.filter((m) => allow.split(', ').includes(m));
  return (req, _res, next) => {
    next(new AppError(405, `${req.method} is not allowed here. Allowed: ${allow}.`, { headers: { Allow: allow }, extraLinks: allowedMethodLinks(req.path, methods) }));
  };
}

/**
 * Answers OPTIONS with 204, `Allow` and (where PATCH exists) `Accept-Patch`. For a CORS
 * preflight the CORS middleware (app.ts, `preflightContinue`) has set the Access-Control-*
 * headers already; it leaves the answer to the route table, so only paths that exist answer.
 */
export function optionsAnswer(allow: string, acceptPatch?: string): RequestHandler {
  return (_req, res) => {
    res.setHeader('Allow', allow);
    if (acceptPatch !== undefined) res.setHeader('Accept-Patch', acceptPatch);
    // No Content-Length: RFC 9110 §8.6 forbids it on a 204 (Node adds none by itself).
    res.status(204).end();
  };
}

/**
 * Adds, for every path declared on the router so far, the OPTIONS answer and a 405 catch-all
 * for the methods it does not declare. `acceptPatch` gives the `Accept-Patch` of paths with
 * PATCH. Call it after the last route.
 */
export function mountMethodNotAllowed(router: Router, acceptPatch: Record<string, string> = {}): void {
  const methodsByPath = new Map<string, Set<string>>();
  for (const layer of router.stack) {
    if (!layer.route) continue;
    const methods = methodsByPath.get(layer.route.path) ?? new Set<string>();
    for (const routeLayer of layer.route.stack) if (routeLayer.method) methods.add(routeLayer.method);
    methodsByPath.set(layer.route.path, methods);
  }
  for (const [path, methods] of methodsByPath) {
    const allow = allowHeader(methods);
    router.options(path, optionsAnswer(allow, methods.has('patch') ? acceptPatch[path] : undefined));
    router.all(path, preferFormat, methodNotAllowed(allow));
  }
}
