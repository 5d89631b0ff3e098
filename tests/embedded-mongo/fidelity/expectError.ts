/**
 * What the fidelity suites ask of a failed command: the server's error (asserting that it is one,
 * not a client-side or network error), or just its code and message.
 */
import { MongoServerError } from 'mongodb';

/** The server error `p` rejects with (a write error's code and errInfo are on it too). */
export async function serverError(p: Promise<unknown>): Promise<MongoServerError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MongoServerError);
  return err as MongoServerError;
}

/** The code and message `p` rejects with; an Error "expected a failure" when it resolves. */
export async function codeOf(p: Promise<unknown>): Promise<{ code: unknown; message: string }> {
  const err = (await p.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  )) as { code?: unknown; message: string };
  return { code: err.code, message: err.message };
}
