/** Request schemas of `/users`. */
import { z } from 'zod';
import { bodyObject, requiredString } from './common';

/** POST /users: a name, a valid email and a password of at least 8 characters. */
export const register = {
  body: bodyObject({
    name: requiredString()
      .max(100, 'must be at most 100 characters')
      .refine((s) => s.trim().length > 0, 'must not be empty'),
    email: requiredString()
      .trim()
      .max(254, 'must be at most 254 characters')
      .pipe(z.email('must be a valid email address')),
    password: requiredString().min(8, 'must be at least 8 characters').max(1024, 'must be at most 1024 characters'),
  }),
};

export type RegisterBody = z.infer<typeof register.body>;
