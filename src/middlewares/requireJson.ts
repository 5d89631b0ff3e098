/**
 * 415 for a request body of a media type the endpoint does not take: JSON everywhere, and on
 * PATCH the patch formats of that resource, which the 415 lists in `Accept-Patch` (RFC 5789 §3.1).
 */
import type { RequestHandler } from 'express';
import { AppError } from '../utils/AppError';

/** What PATCH of a note takes: the tutorial's `{text}`, a merge patch (RFC 7396), a JSON Patch (RFC 6902). */
export const NOTE_PATCH_TYPES = ['application/json', 'application/merge-patch+json', 'application/json-patch+json'] as const;
/** What PATCH of the profile takes (its members are flat, so a JSON Patch would add nothing). */
export const PROFILE_PATCH_TYPES = ['application/json', 'application/merge-patch+json'] as const;

/** The `Accept-Patch` value for these media types. */
export function acceptPatch(types: readonly string[]): string {
  return types.join(', ');
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return typeof length === 'string' && length !== '' && Number(length) > 0;
}

/** Lets requests without a body or with a JSON body through; refuses every other body with 415. */
export const requireJson: RequestHandler = (req, _res, next) => {
  if (!hasBody(req.headers) || req.is('application/json')) {
    next();
    return;
  }
  next(new AppError(415, 'The request body must be application/json.'));
};

/** For PATCH: lets requests without a body or with one of `types` through; 415 with `Accept-Patch` otherwise. */
export function requirePatchBody(types: readonly string[]): RequestHandler {
  const accepted = [...types];
  const header = acceptPatch(types);
  return (req, _res, next) => {
    if (!hasBody(req.headers) || req.is(accepted)) {
      next();
      return;
    }
    next(new AppError(415, `A PATCH body here must be one of: ${header}.`, { headers: { 'Accept-Patch': header } }));
  };
}

/** Which of `types` the request's body is (the first when it has none: a PATCH without a body is read as JSON). */
export function bodyTypeOf(req: Parameters<RequestHandler>[0], types: readonly string[]): string {
  const found = req.is([...types]);
  return typeof found === 'string' ? found : types[0];
}
