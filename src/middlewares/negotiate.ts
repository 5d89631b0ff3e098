/**
 * Content negotiation of the API's resources (issue 13): `application/json` (the default, and the
 * answer to no Accept, `*\/*` or `application/*`), `application/hal+json` and
 * `application/prs.hal-forms+json`, chosen by the request's Accept with its q-values. An Accept
 * none of them satisfies is 406 listing them. Every answer of these routes varies on Accept.
 * A `version` media-type parameter is the versioning middleware's (apiVersion.ts, which runs
 * first and removes it); it does not take part here.
 */
import accepts from 'accepts';
import type { RequestHandler, Response } from 'express';
import { AppError } from '../utils/AppError';

/** The representations the API can send. */
export type Format = 'json' | 'hal' | 'hal-forms';

/** The media type of each representation, in the order the API prefers them. */
export const MEDIA_TYPES: Readonly<Record<Format, string>> = {
  json: 'application/json',
  hal: 'application/hal+json',
  'hal-forms': 'application/prs.hal-forms+json',
};

const BY_TYPE = new Map(Object.entries(MEDIA_TYPES).map(([format, type]) => [type, format as Format]));
const TYPES = [...BY_TYPE.keys()];

/** The format negotiated for each response (JSON where nothing was negotiated, e.g. a 404 of an unknown path). */
const formats = new WeakMap<Response, Format>();

/** The representation this response is sent in. */
export function formatOf(res: Response): Format {
  return formats.get(res) ?? 'json';
}

/** The format Accept chooses, 'none' when it allows none of the API's; no Accept and `*\/*` are JSON without parsing. */
function chosenFormat(req: Parameters<RequestHandler>[0]): Format | 'none' {
  const accept = req.headers.accept;
  if (accept === undefined || accept === '*/*' || accept === 'application/json') return 'json';
  // apiVersion (mounted first, app.ts) has taken Accept's `version` parameters out already.
  const chosen = accepts(req).type(TYPES);
  return typeof chosen === 'string' ? (BY_TYPE.get(chosen) ?? 'json') : 'none';
}

/** Adds Accept to Vary (set directly when Vary is still empty: the common case, without parsing it). */
function varyOnAccept(res: Response): void {
  if (res.getHeader('Vary') === undefined) res.setHeader('Vary', 'Accept');
  else res.vary('Accept');
}

/** For answers that are errors whatever the Accept (405): the format of their links when Accept names one, never a 406. */
export const preferFormat: RequestHandler = (req, res, next) => {
  varyOnAccept(res);
  const format = chosenFormat(req);
  if (format !== 'none') formats.set(res, format);
  next();
};

/** Chooses the representation from Accept; 406 when none of the API's is acceptable. */
export const negotiate: RequestHandler = (req, res, next) => {
  varyOnAccept(res);
  const chosen = chosenFormat(req);
  if (chosen === 'none') {
    throw new AppError(406, `This resource is available as ${TYPES.join(', ')}; the request's Accept allows none of them.`, {
      errors: [{ in: 'header', name: 'Accept', message: `must allow one of ${TYPES.join(', ')}` }],
    });
  }
  formats.set(res, chosen);
  next();
};
