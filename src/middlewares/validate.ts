/**
 * Request validation: parses params, query and body with the endpoint's zod schemas, collects
 * every problem into one 400, and hands the parsed values on. Keys that could reach a query
 * as operators or touch prototypes (`$…`, `__proto__`, `constructor`, `prototype`) are refused
 * anywhere in a body.
 */
import type { RequestHandler } from 'express';
import { setContext, type RequestSchemas } from '../requestContext';
import { toFieldErrors } from '../schemas/common';
import { AppError, type FieldError } from '../utils/AppError';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Paths of keys that must never be interpreted: operators and prototype names, at any depth. */
export function unsafeKeys(value: unknown, path: string[] = []): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const found: string[] = [];
  for (const key of Object.keys(value)) {
    const here = [...path, key];
    if (key.startsWith('$') || FORBIDDEN_KEYS.has(key)) found.push(here.join('.'));
    else found.push(...unsafeKeys((value as Record<string, unknown>)[key], here));
  }
  return found;
}

/** Validates the request against the schemas; handlers read the parsed values with `inputOf(res, schemas)`. */
export function validate(schemas: RequestSchemas): RequestHandler {
  return (req, res, next) => {
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
          errors.push(...unsafe.map((name) => ({ in: location, name, message: 'is not an allowed key' })));
          continue;
        }
      }
      const result = schema.safeParse(raw);
      if (result.success) input[part] = result.data;
      else errors.push(...toFieldErrors(result.error, location));
    }
    if (errors.length > 0) {
      next(new AppError(400, 'The request is not valid.', { errors }));
      return;
    }
    setContext(res, 'input', input);
    next();
  };
}
