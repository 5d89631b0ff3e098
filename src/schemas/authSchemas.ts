/** Request schemas of `/auth`. */
import { z } from 'zod';
import { bodyObject, requiredString } from './common';

/** POST /auth: both fields non-empty strings; an object or array is a 400, never an operator. */
export const login = {
  body: bodyObject({
    email: requiredString().min(1, 'must not be empty').max(254, 'must be at most 254 characters'),
    password: requiredString().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters'),
  }),
};

export type LoginBody = z.infer<typeof login.body>;
