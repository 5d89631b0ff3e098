/**
 * What a request carries from the middlewares to its handler: the caller (from
 * `verifyToken`), the note the path names (from `validateNote`) and the validated input (from
 * `validate`). Kept in `res.locals`, typed here once; written and read only through this module.
 */
import type { Response } from 'express';
import type { z } from 'zod';
import type { Preconditions } from './controllers/conditionalWrites';
import type { UserDTO } from './controllers/usersController';

/** The schemas of one endpoint, by request part. */
export interface RequestSchemas {
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
}

/** The parsed values of the parts an endpoint's schemas name. */
export type Validated<S extends RequestSchemas> = { [K in keyof S]: S[K] extends z.ZodType ? z.output<S[K]> : never };

/** Everything a request can carry, and the middleware that puts each part there. */
export interface RequestContext {
  /** The authenticated caller, as stored (never the password hash). */
  caller: UserDTO;
  /** The id of the note the path names: decimal digits, not yet known to exist. */
  noteId: string;
  /** The parsed values of the request parts the endpoint's schemas name. */
  input: Record<string, unknown>;
  /** The write's If-Match / If-Unmodified-Since (from `preconditions`). */
  preconditions: Preconditions;
  /** The POST's Idempotency-Key, when it sent one (from `idempotencyKey`). */
  idempotencyKey: string;
}

const SET_BY: Record<keyof RequestContext, string> = {
  caller: 'verifyToken',
  noteId: 'validateNote',
  input: 'validate()',
  preconditions: 'preconditions()',
  idempotencyKey: 'idempotencyKey',
};

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own augmentation point.
  namespace Express {
    interface Locals {
      context?: Partial<RequestContext>;
    }
  }
}

/** Records one part of the request's context. */
export function setContext<K extends keyof RequestContext>(res: Response, key: K, value: RequestContext[K]): void {
  res.locals.context ??= {};
  res.locals.context[key] = value;
}

/** One part of the request's context; a route that lacks the middleware setting it is a programming error. */
export function contextOf<K extends keyof RequestContext>(res: Response, key: K): RequestContext[K] {
  const value = res.locals.context?.[key];
  if (value === undefined) throw new Error(`${SET_BY[key]} did not run before this handler`);
  return value as RequestContext[K];
}

/** The authenticated caller. */
export function callerOf(res: Response): UserDTO {
  return contextOf(res, 'caller');
}

/** The id of the note the path names. */
export function noteIdOf(res: Response): string {
  return contextOf(res, 'noteId');
}

/** The values `validate(schemas)` parsed for this request, typed by the same schemas. */
export function inputOf<S extends RequestSchemas>(res: Response, _schemas: S): Validated<S> {
  // validate(schemas) stored exactly the outputs of these schemas.
  return contextOf(res, 'input') as Validated<S>;
}

/** The write's preconditions (empty when it sent none). */
export function preconditionsOf(res: Response): Preconditions {
  return contextOf(res, 'preconditions');
}

/** The POST's Idempotency-Key, or undefined when it sent none. */
export function idempotencyKeyOf(res: Response): string | undefined {
  return res.locals.context?.idempotencyKey;
}
