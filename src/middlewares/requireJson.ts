/** 415 for a request body that is not `application/json`; PATCH answers say what they accept. */
import type { RequestHandler } from 'express';
import { AppError } from '../utils/AppError';

/** Media types a PATCH body may have, for `Accept-Patch`. */
export const ACCEPT_PATCH = 'application/json';

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
  const isPatch = req.method === 'PATCH';
  next(
    new AppError(415, `The request body must be ${isPatch ? ACCEPT_PATCH : 'application/json'}.`, {
      headers: isPatch ? { 'Accept-Patch': ACCEPT_PATCH } : undefined,
    }),
  );
};
