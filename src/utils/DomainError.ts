/**
 * What controllers throw when a request cannot be carried out, said in the domain's terms. The
 * error middleware chooses the HTTP status, body and links; controllers never do.
 */

/** The kinds of failure the domain knows. */
export type DomainErrorKind = 'not-found' | 'conflict';

/** Which resource is missing, or which field collides with an existing value. */
export interface DomainErrorDetails {
  resource?: 'note' | 'user';
  field?: string;
}

/** A failure of the domain's rules: a missing resource, a taken unique value. */
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
