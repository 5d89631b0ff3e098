/**
 * Thrown when the server refuses work for lack of capacity (a full queue), not because the
 * request is wrong: the error middleware answers 503 with `Retry-After`.
 */
export class BusyError extends Error {
  constructor(
    message: string,
    /** Seconds after which a retry has a fair chance. */
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'BusyError';
  }
}
