/** Building blocks shared by the request schemas, and the conversion of zod issues to field errors. */
import { z } from 'zod';
import type { FieldError, FieldLocation } from '../utils/AppError';

/** A string field that must be present; says "is required" or "must be a string" as appropriate. */
export function requiredString() {
  return z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });
}

/** A number field that must be present. */
export function requiredNumber() {
  return z.number({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a number') });
}

/** A request body: a JSON object, unknown keys dropped. */
export function bodyObject<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.object(shape, { error: 'must be a JSON object' });
}

/** Text of a note: non-empty after trimming, at most 10,000 characters. */
export const noteText = requiredString()
  .max(10_000, 'must be at most 10000 characters')
  .refine((s) => s.trim().length > 0, 'must not be empty')
  .meta({ examples: ['Remember the milk'] }); // for the OpenAPI document, /docs and the Postman collection

/** Turns zod issues into the problem body's field errors. */
export function toFieldErrors(error: z.ZodError, location: FieldLocation): FieldError[] {
  return error.issues.map((issue) => ({
    in: location,
    name: issue.path.length > 0 ? issue.path.map(String).join('.') : location,
    message: issue.message,
  }));
}
