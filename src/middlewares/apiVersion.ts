/**
 * API versioning (issue 13): one strategy, negotiated like any other property of a
 * representation. Every response says `API-Version: 1`. A request may ask for a version with
 * the same header, or with a `version` parameter on a media range of `Accept`
 * (`application/json; version=1`, `application/hal+json; version=1`). The URL names the
 * resource, not its representation, so there is no `/v1/...` path and no `?version=` query: a
 * link stays valid across versions, and caches key on the headers the response varies on.
 *
 * A version the API does not have is 400 in `API-Version` (a request header with a bad value)
 * and 406 in `Accept` (no representation can satisfy it). `version=1` is accepted and then
 * taken out of the Accept header, so content negotiation (`req.accepts`, which would not match
 * `application/json` against a range with an unknown parameter) sees plain media types.
 */
import { splitOutsideQuotes, unquote } from '../types/httpSyntax';
import type { RequestHandler } from 'express';
import { AppError } from '../utils/AppError';

/** The versions this server speaks; the one it answers with is the last. */
export const SUPPORTED_VERSIONS = ['1'] as const;
export const CURRENT_VERSION = SUPPORTED_VERSIONS[SUPPORTED_VERSIONS.length - 1];

/** Longest version text echoed in a detail: a huge header is not sent back (Node bounds the headers' bytes, so the parsing below is bounded too). */
const MAX_ECHOED_LENGTH = 20;

const SUPPORTED_TEXT = SUPPORTED_VERSIONS.join(', ');

function echoed(value: string): string {
  const shown = value.length > MAX_ECHOED_LENGTH ? `${value.slice(0, MAX_ECHOED_LENGTH)}…` : value;
  return JSON.stringify(shown);
}

function isSupported(version: string): boolean {
  return (SUPPORTED_VERSIONS as readonly string[]).includes(version);
}

/** What the Accept header asks of versions: the header without `version=1`, and the unsupported versions it names. */
export function readAcceptVersions(accept: string): { accept: string; unsupported: string[]; usable: number } {
  const unsupported: string[] = [];
  const kept: string[] = [];
  let usable = 0;
  for (const range of splitOutsideQuotes(accept, ',')) {
    if (range.trim() === '') continue;
    const [type, ...parameters] = splitOutsideQuotes(range, ';');
    let wanted: string | undefined;
    const others: string[] = [];
    for (const parameter of parameters) {
      const eq = parameter.indexOf('=');
      const name = (eq < 0 ? parameter : parameter.slice(0, eq)).trim().toLowerCase();
      if (name === 'version') wanted = unquote(parameter.slice(eq + 1));
      else others.push(parameter);
    }
    if (wanted !== undefined && !isSupported(wanted)) {
      // A range for a version that does not exist can never be served: it is dropped.
      unsupported.push(wanted);
      continue;
    }
    usable++;
    kept.push([type, ...others].join(';'));
  }
  return { accept: kept.join(','), unsupported, usable };
}

/**
 * Sets `API-Version` on every response, checks the version a request asks for (header or Accept
 * parameter) and leaves an Accept without `version` parameters for content negotiation.
 */
export const apiVersion: RequestHandler = (req, res, next) => {
  res.setHeader('API-Version', CURRENT_VERSION);
  // Node joins a repeated header with ', ', which names no version: 400 too.
  const asked = req.get('API-Version');
  if (asked !== undefined && !isSupported(asked.trim())) {
    throw new AppError(400, `API version ${echoed(asked)} is not supported; supported versions: ${SUPPORTED_TEXT}.`, {
      errors: [{ in: 'header', name: 'API-Version', message: `supported: ${SUPPORTED_TEXT}` }],
    });
  }
  const accept = req.headers.accept;
  // Only a header that names `version` at all is rewritten: every other Accept reaches negotiation byte for byte.
  if (accept !== undefined && /version/i.test(accept)) {
    const read = readAcceptVersions(accept);
    if (read.usable === 0 && read.unsupported.length > 0) {
      throw new AppError(406, `No representation in API version ${read.unsupported.map(echoed).join(', ')}; supported versions: ${SUPPORTED_TEXT}.`, {
        errors: [{ in: 'header', name: 'Accept', message: `supported: version=${SUPPORTED_VERSIONS.map(String).join(', version=')}` }],
      });
    }
    req.headers.accept = read.accept;
  }
  next();
};
