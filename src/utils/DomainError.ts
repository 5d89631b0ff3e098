/**
 * What controllers throw when a request cannot be carried out, said in the domain's terms. The
 * error middleware chooses the HTTP status, body and links; controllers never do.
 */

/** The kinds of failure the domain knows. */
export type DomainErrorKind = 'not-found' | 'conflict' | 'precondition-failed' | 'unprocessable' | 'forbidden' | 'invalid';

/** Which resource is missing, or which field collides with an existing value. */
export interface DomainErrorDetails {
  resource?: 'note' | 'user';
  field?: string;
  /** precondition-failed: the resource's current ETag. */
  etag?: string;
  /** unprocessable: which members of the request's body are wrong, and why. */
  errors?: Array<{ name: string; message: string; in?: 'body' | 'header' | 'query' }>;
}

/**
 * A failure of the domain's rules: a missing resource, a taken unique value (or a state that
 * conflicts with the request), a failed precondition, a change that would leave an invalid
 * resource, a credential that does not prove what the change needs.
 */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly details: DomainErrorDetails = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
