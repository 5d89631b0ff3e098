/** Request schemas of `/users` and `/users/{id}`. */
import { z } from 'zod';
import { bodyObject, requiredString } from './common';

/** A user's name: at most 100 characters, not blank (stored trimmed). */
export const userName = requiredString()
  .max(100, 'must be at most 100 characters')
  .refine((s) => s.trim().length > 0, 'must not be empty');

/** A password to set: 8 to 1,024 characters. */
export const newPassword = requiredString().min(8, 'must be at least 8 characters').max(1024, 'must be at most 1024 characters');

/** The password a change must prove: any non-empty string as long as a password can be (it is compared, not judged). */
export const currentPassword = requiredString().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters');

/** POST /users: a name, a valid email and a password of at least 8 characters. */
export const register = {
  body: bodyObject({
    name: userName.meta({ examples: ['Ada'] }),
    email: requiredString()
      .trim()
      .max(254, 'must be at most 254 characters')
      .pipe(z.email('must be a valid email address'))
      .meta({ examples: ['ada@example.com'] }),
    password: newPassword.meta({ examples: ['correct horse battery'] }),
  }),
};

export type RegisterBody = z.infer<typeof register.body>;

/**
 * PATCH /users/{id} with application/json: the members to change, each of the right type and
 * length (400 otherwise, as registration). Other members are kept, not dropped, so that the
 * controller can refuse them by name (422): a client that sends `email` must learn it was not
 * changed.
 */
export const editProfile = {
  body: z.looseObject(
    {
      name: userName.optional(),
      password: newPassword.optional(),
      currentPassword: currentPassword.optional(),
    },
    { error: 'must be a JSON object' },
  ),
};

/**
 * PATCH /users/{id} with application/merge-patch+json: any JSON (RFC 7396). The controller
 * applies it to the profile and checks the result (422 for what cannot be a profile change),
 * as for a note.
 */
export const mergePatchProfile = {
  body: z.unknown(),
};
