/** Request schemas of `/auth`. */
import { z } from 'zod';
import { bodyObject, requiredString } from './common';

/** POST /auth: both fields non-empty strings; an object or array is a 400, never an operator. */
export const login = {
  body: bodyObject({
    // The examples (the OpenAPI document's, so /docs and the Postman collection) are the development demo user's.
    email: requiredString().min(1, 'must not be empty').max(254, 'must be at most 254 characters').meta({ examples: ['saurabh@example.com'] }),
    password: requiredString().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters').meta({ examples: ['abcd1234'] }),
  }),
};

export type LoginBody = z.infer<typeof login.body>;
