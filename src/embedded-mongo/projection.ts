/**
 * Projections. A simple one — top-level fields only, each 0/1 or false/true, inclusion or
 * exclusion (with `_id` either way), as drivers and mongoose send for `select` — is applied by
 * copying the wanted fields in the document's own order, as MongoDB returns them. Anything else
 * (dotted paths, `$slice`, `$elemMatch`, positional `$`, expressions, mixed modes) goes to mingo,
 * which also reports the invalid ones.
 */
import type { Document } from 'bson';
import { Query } from './mingo-bson';
import { QUERY_OPTIONS } from './mingo-options';

/** Applies a projection to one stored document, returning a new document (or the stored one for an empty projection). */
export type Projector = (doc: Document) => Document;

const IDENTITY: Projector = (doc) => doc;
const EVERYTHING = new Query({}, QUERY_OPTIONS);

/** Whether `spec` is a simple projection (see the module comment). */
function isSimple(spec: Document): boolean {
  let includes = 0;
  let excludes = 0;
  for (const k of Object.keys(spec)) {
    const v: unknown = spec[k];
    if (k.includes('.') || k.startsWith('$') || (v !== 0 && v !== 1 && v !== true && v !== false)) return false;
    if (k === '_id') continue;
    if (v === 1 || v === true) includes++;
    else excludes++;
  }
  return !(includes > 0 && excludes > 0);
}

/** The projector for `spec`. */
export function compileProjection(spec: Document): Projector {
  const keys = Object.keys(spec);
  if (keys.length === 0) return IDENTITY;
  // Compiled once per command; mingo validates the specification on the first document.
  if (!isSimple(spec)) return (doc) => EVERYTHING.find<Document>([doc], spec).all()[0] ?? {};
  const idWanted = spec._id === undefined || spec._id === 1 || spec._id === true;
  const included = keys.filter((k) => k !== '_id' && (spec[k] === 1 || spec[k] === true));
  // `{_id: 1}` alone is an inclusion of `_id` only.
  if (included.length > 0 || (keys.length === 1 && keys[0] === '_id' && idWanted)) {
    const wanted = new Set(included);
    if (idWanted) wanted.add('_id');
    return (doc) => {
      const out: Document = {};
      for (const k of Object.keys(doc)) if (wanted.has(k)) out[k] = doc[k];
      return out;
    };
  }
  const unwanted = new Set(keys.filter((k) => k !== '_id'));
  if (!idWanted) unwanted.add('_id');
  return (doc) => {
    const out: Document = {};
    for (const k of Object.keys(doc)) if (!unwanted.has(k)) out[k] = doc[k];
    return out;
  };
}

/** `docs` through a projection; the stored documents themselves when there is none. */
export function project(docs: Document[], spec: Document): Document[] {
  if (Object.keys(spec).length === 0) return docs;
  if (!isSimple(spec)) return EVERYTHING.find<Document>(docs, spec).all();
  return docs.map(compileProjection(spec));
}
