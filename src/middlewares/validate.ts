/**
 * Request validation: parses params, query and body with the endpoint's zod schemas, collects
 * every problem into one 400, and hands the parsed values on. Keys that could reach a query
 * as operators or touch prototypes (`$…`, `__proto__`, `constructor`, `prototype`) are refused
 * anywhere in a body. The 400 lists at most MAX_FIELD_ERRORS fields and then says how many
 * more there were, so an error body stays small whatever the request holds.
 */
import type { RequestHandler } from 'express';
import { setContext, type RequestSchemas } from '../requestContext';
import { toFieldErrors } from '../schemas/common';
import { AppError, type FieldError } from '../utils/AppError';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** How many field errors a 400 lists; one more entry says how many were left out. */
export const MAX_FIELD_ERRORS = 20;
/** Longest field name echoed in an error; longer ones are cut, so a huge key is not sent back. */
export const MAX_NAME_LENGTH = 100;

/** A key's place in a body: the key and the place of the object holding it. */
interface KeyPath {
  key: string;
  parent: KeyPath | null;
}

function joinPath(path: KeyPath): string {
  const keys: string[] = [];
  for (let at: KeyPath | null = path; at !== null; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.');
}

/**
 * Paths of keys that must never be interpreted: operators and prototype names, at any depth, in
 * document order. Walks with an explicit stack rather than recursion, so no nesting can exhaust
 * the call stack, and shares each path's prefix, so the walk is linear in the body's size (bodies
 * are also limited to 32 levels before they are parsed).
 */
export function unsafeKeys(value: unknown): string[] {
  const found: string[] = [];
  const stack: { value: unknown; path: KeyPath }[] = [];
  const pushChildren = (object: unknown, parent: KeyPath | null) => {
    if (typeof object !== 'object' || object === null) return;
    const keys = Object.keys(object);
    // In reverse, so the first key is taken next: the order of a recursive walk.
    for (let i = keys.length - 1; i >= 0; i--) {
      stack.push({ value: (object as Record<string, unknown>)[keys[i]], path: { key: keys[i], parent } });
    }
  };
  pushChildren(value, null);
  while (stack.length > 0) {
    const { value: child, path } = stack.pop() as (typeof stack)[number];
    if (path.key.startsWith('$') || FORBIDDEN_KEYS.has(path.key)) found.push(joinPath(path));
    else pushChildren(child, path);
  }
  return found;
}

/** A field name as echoed in an error: cut at MAX_NAME_LENGTH characters. */
function shortName(name: string): string {
  return name.length > MAX_NAME_LENGTH ? `${name.slice(0, MAX_NAME_LENGTH)}…` : name;
}

/** The first MAX_FIELD_ERRORS errors (names shortened), and one entry counting the rest. */
export function capFieldErrors(errors: FieldError[]): FieldError[] {
  const listed = errors.slice(0, MAX_FIELD_ERRORS).map((e) => ({ ...e, name: shortName(e.name) }));
  const more = errors.length - listed.length;
  if (more > 0) listed.push({ in: errors[MAX_FIELD_ERRORS].in, name: '…', message: `and ${more} more not listed` });
  return listed;
}

/** Freezes a parsed value and everything in it, so an input shared by requests cannot be changed by one. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Validates the request against the schemas; handlers read the parsed values with `inputOf(res, schemas)`. */
export function validate(schemas: RequestSchemas): RequestHandler {
  // A query-only endpoint asked without a query string gets the same parsed input every time (its
  // defaults): parsed once, frozen, and shared, instead of reading the query and running zod per request.
  const queryOnly = schemas.query !== undefined && schemas.params === undefined && schemas.body === undefined;
  let emptyQueryInput: Record<string, unknown> | undefined;
  return (req, res, next) => {
    if (queryOnly && typeof req.url === 'string' && !req.url.includes('?')) {
      if (emptyQueryInput === undefined) {
        const parsed = schemas.query?.safeParse({});
        if (parsed?.success) emptyQueryInput = deepFreeze({ query: parsed.data });
      }
      if (emptyQueryInput !== undefined) {
        setContext(res, 'input', emptyQueryInput);
        next();
        return;
      }
    }
    const errors: FieldError[] = [];
    const input: Record<string, unknown> = {};
    const parts = [
      ['params', 'path', req.params],
      ['query', 'query', req.query],
      // No body at all reads as an empty object, so missing fields are named one by one.
      ['body', 'body', req.body === undefined ? {} : req.body],
    ] as const;
    for (const [part, location, raw] of parts) {
      const schema = schemas[part];
      if (!schema) continue;
      if (part === 'body') {
        const unsafe = unsafeKeys(raw);
        if (unsafe.length > 0) {
          for (const name of unsafe) errors.push({ in: location, name, message: 'is not an allowed key' });
          continue;
        }
      }
      const result = schema.safeParse(raw);
      if (result.success) input[part] = result.data;
      else errors.push(...toFieldErrors(result.error, location));
    }
    if (errors.length > 0) {
      next(new AppError(400, 'The request is not valid.', { errors: capFieldErrors(errors) }));
      return;
    }
    setContext(res, 'input', input);
    next();
  };
}

/** Validates like `validate`, with the schemas for the body's media type (the first type's when there is no body). */
export function validateByBodyType(schemasByType: Record<string, RequestSchemas>): RequestHandler {
  const types = Object.keys(schemasByType);
  const validators = new Map(types.map((type) => [type, validate(schemasByType[type])]));
  return (req, res, next) => {
    const found = req.is(types);
    const validator = validators.get(typeof found === 'string' ? found : types[0]) as RequestHandler;
    validator(req, res, next);
  };
}
