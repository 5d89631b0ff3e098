/** The one error type the API throws on purpose; the error middleware turns it into problem+json. */
import type { Link } from '../types/hypermedia';

/** Where an invalid value came from, as the problem body's `errors[].in` says. */
export type FieldLocation = 'body' | 'query' | 'path' | 'header';

/** One offending field of a validation error. */
export interface FieldError {
  in: FieldLocation;
  name: string;
  message: string;
}

/** Options beyond status and detail. */
export interface AppErrorOptions {
  title?: string;
  errors?: FieldError[];
  links?: Link[];
  headers?: Record<string, string>;
  /** Links for the `Link` header (and HAL `_links`) only: the JSON problem body keeps `links` as it is (issue 13). */
  extraLinks?: Link[];
}

/** An HTTP error with a status, a human-readable detail and optional field errors and links. */
export class AppError extends Error {
  readonly status: number;
  readonly title?: string;
  readonly errors?: FieldError[];
  readonly links?: Link[];
  readonly headers?: Record<string, string>;
  readonly extraLinks?: Link[];

  constructor(status: number, detail: string, options: AppErrorOptions = {}) {
    super(detail);
    this.name = 'AppError';
    this.status = status;
    this.title = options.title;
    this.errors = options.errors;
    this.links = options.links;
    this.headers = options.headers;
    this.extraLinks = options.extraLinks;
  }
}
