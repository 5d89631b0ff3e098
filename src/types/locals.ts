/**
 * What middlewares hand on to handlers through `res.locals`, typed in one place by merging
 * into Express's `Locals`.
 */
import type { NoteDTO } from '../controllers/notesController';
import type { UserDTO } from '../controllers/usersController';

/** The caller, as `verifyToken` established it. */
export interface AuthContext {
  userId: string;
  name: string;
}

/** Request parts after `validate` parsed them with their schemas. */
export interface ValidatedInput {
  body?: unknown;
  query?: unknown;
  params?: unknown;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express's own augmentation point.
  namespace Express {
    interface Locals {
      auth?: AuthContext;
      /** The caller's stored user, which verifyToken loads anyway to check it still exists. */
      user?: UserDTO;
      note?: NoteDTO;
      input?: ValidatedInput;
    }
  }
}
