/**
 * The one error middleware, mounted last. Every error becomes an RFC 9457 problem+json body
 * with `message` repeating `detail` (clients of the tutorial read `message`) and `links`.
 * 5xx bodies never carry the original message, stack or driver text.
 */
import http from 'node:http';
import type { ErrorRequestHandler, Response } from 'express';
import mongoose from 'mongoose';
import { errorLinks, noteNotFoundLinks } from '../controllers/hateoasController';
import { toJsonBody } from '../utils/jsonBody';
import { AppError, type FieldError } from '../utils/AppError';
import { BusyError } from '../utils/BusyError';
import { DomainError } from '../utils/DomainError';
import { problemLinks } from '../handlers/hal';
import { addLinks, extraLinksOf } from '../handlers/respond';
import { auditProblem } from './audit';
import { formatOf } from './negotiate';
import { capFieldErrors } from './validate';

/** The JSON body of a problem response. */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  message: string;
  errors?: FieldError[];
  links: ReturnType<typeof errorLinks>;
}

/** Errors from body-parser carry a `type` naming the failure. */
const bodyParserStatus: Record<string, number> = {
  'entity.parse.failed': 400,
  'entity.too.large': 413,
  'entity.verify.failed': 400,
  'request.aborted': 400,
  'request.size.invalid': 400,
  'stream.encoding.set': 500,
  'encoding.unsupported': 415,
  'charset.unsupported': 415,
  'parameters.too.many': 413,
};

/** The HTTP form of a domain failure: 404 (with a way back), 409, 412 with the current ETag, 422 naming the members, 403. */
function fromDomainError(err: DomainError): AppError {
  switch (err.kind) {
    case 'not-found':
      return new AppError(404, err.message, { links: err.details.resource === 'note' ? noteNotFoundLinks() : undefined });
    case 'precondition-failed':
      return new AppError(412, err.message, { headers: err.details.etag ? { ETag: err.details.etag } : undefined });
    case 'unprocessable':
      return new AppError(422, err.message, { errors: err.details.errors && capFieldErrors(err.details.errors.map((e) => ({ in: 'body', ...e }))) });
    case 'forbidden':
      return new AppError(403, err.message);
    case 'invalid':
      // A request value that passed its schema but not a check only the domain can make (a cursor's signature).
      return new AppError(400, err.message, { errors: err.details.errors && capFieldErrors(err.details.errors.map((e) => ({ in: 'query', ...e }))) });
    case 'conflict': {
      const field = err.details.field;
      return new AppError(409, err.message, { errors: field ? [{ in: 'body', name: field, message: 'is already taken' }] : undefined });
    }
  }
}

/**
 * A duplicate-key error (code 11000) of the database: a unique value taken, typically by a
 * concurrent request that won the race. The field comes from the driver's `keyValue`.
 */
function duplicateKeyError(err: { keyValue?: unknown }): DomainError {
  const fields = err.keyValue && typeof err.keyValue === 'object' ? Object.keys(err.keyValue) : [];
  const field = fields.length === 1 ? fields[0] : undefined;
  return new DomainError('conflict', `A resource with this ${field ?? 'unique value'} already exists.`, { field });
}

// --- Storage unavailable -------------------------------------------------------------------
/** MongoDB's OutOfDiskSpace: the embedded server's journal could not be written (disk full). */
const OUT_OF_DISK_SPACE = 14031;
/** WriteConcernFailed: the embedded server sends it, marked `errInfo.rolledBack`, for other journal failures. */
const WRITE_CONCERN_FAILED = 64;
/** Seconds a client should wait: the embedded server retries its journal every 0.1 to 5 s. */
const STORAGE_RETRY_AFTER_SECONDS = 5;

/**
 * A write the database could not make durable (disk full, I/O error). Nothing of it was kept,
 * and it may succeed once the disk recovers, which the server notices by itself: 503 with
 * Retry-After, not 500.
 */
function storageUnavailable(err: unknown): AppError | undefined {
  if (!(err instanceof mongoose.mongo.MongoServerError)) return undefined;
  const rolledBack = (err.errInfo as { rolledBack?: unknown } | undefined)?.rolledBack === true;
  if (err.code !== OUT_OF_DISK_SPACE && !(err.code === WRITE_CONCERN_FAILED && rolledBack)) return undefined;
  return new AppError(503, 'The database cannot store changes right now; nothing was changed. Try again later.', {
    headers: { 'Retry-After': String(STORAGE_RETRY_AFTER_SECONDS) },
  });
}
// ---------------------------------------------------------------------------------------------

/** Converts anything thrown into an AppError with a safe, client-facing detail. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof DomainError) return fromDomainError(err);
  if (err instanceof BusyError) {
    return new AppError(503, err.message, { headers: { 'Retry-After': String(err.retryAfterSeconds) } });
  }
  if (err instanceof mongoose.Error.ValidationError) {
    const errors: FieldError[] = Object.values(err.errors).map((e) => ({ in: 'body', name: e.path, message: e.message }));
    return new AppError(400, 'The request body is not valid.', { errors });
  }
  if (err instanceof mongoose.Error.CastError) {
    return new AppError(400, `Invalid value for '${err.path}'.`, { errors: [{ in: 'body', name: err.path, message: 'has the wrong type' }] });
  }
  const e = err as { code?: unknown; keyValue?: unknown; type?: unknown; status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown };
  if (e && e.code === 11000) return fromDomainError(duplicateKeyError(e));
  const storage = storageUnavailable(err);
  if (storage) return storage;
  if (e && typeof e.type === 'string' && e.type in bodyParserStatus) {
    const status = bodyParserStatus[e.type];
    const detail =
      status === 400 && e.type === 'entity.parse.failed'
        ? 'The request body is not valid JSON.'
        : status === 413
          ? 'The request body is larger than 100 kB.'
          : status === 415
            ? 'The request body has an unsupported encoding or charset.'
            : (http.STATUS_CODES[status] ?? 'Error');
    return new AppError(status, detail);
  }
  const status = Number(e?.status ?? e?.statusCode);
  if (Number.isInteger(status) && status >= 400 && status < 500) {
    const detail = e.expose === true && typeof e.message === 'string' ? e.message : (http.STATUS_CODES[status] ?? 'Client error');
    return new AppError(status, detail);
  }
  return new AppError(500, 'The server could not complete the request.');
}

/** The problem+json body for an AppError; also written by the HTTP server for errors no request reaches Express with. */
export function problemBody(error: AppError): ProblemBody {
  return {
    type: 'about:blank',
    title: error.title ?? http.STATUS_CODES[error.status] ?? 'Error',
    status: error.status,
    detail: error.message,
    message: error.message,
    ...(error.errors && error.errors.length > 0 ? { errors: error.errors } : {}),
    links: error.links ?? errorLinks(),
  };
}

/** Writes a problem+json response for an AppError; its links in HAL style when HAL was negotiated (issue 13). */
export function sendProblem(res: Response, error: AppError): void {
  if (error.headers) res.set(error.headers);
  const body: Record<string, unknown> = { ...problemBody(error) };
  if (formatOf(res) !== 'json') {
    delete body.links;
    body._links = problemLinks(error.links ?? errorLinks(), extraLinksOf(res));
  }
  res.status(error.status).type('application/problem+json').send(toJsonBody(body));
}

/** Express error middleware: the last one in the chain. */
export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  const appError = toAppError(err);
  auditProblem(req, appError, err); // every 5xx and every refused token, with the request id
  // Issue 13, part D: links beyond the frozen JSON body (a 401's auth/register, a 405's allowed methods) go into the Link header and HAL `_links`.
  if (appError.extraLinks) addLinks(res, appError.extraLinks);
  sendProblem(res, appError);
};
