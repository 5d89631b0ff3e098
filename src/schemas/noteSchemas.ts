/** Request schemas of `/notes` and `/notes/{id}`. */
import { z } from 'zod';
import { parseFields } from '../controllers/fields';
import { bodyObject, noteText, requiredNumber, requiredString } from './common';

/** A query parameter given at most once, as a string (`q[]=x` or `q[$gt]=` are arrays/objects). */
function singleString() {
  // `?q=a&q=b` and `?q[]=a` both arrive as arrays; neither is one plain value.
  return z.string({ error: (issue) => (Array.isArray(issue.input) ? 'must be given once, as a plain value (not repeated or array-shaped)' : 'must be a single string') });
}

/** `fields=text,updatedAt` (sparse fieldsets): once, non-empty, known names only; the selection in canonical order. */
function fieldsParam() {
  return singleString()
    .transform((value, ctx) => {
      const parsed = parseFields(value);
      if (parsed.ok) return parsed.fields;
      ctx.addIssue({ code: 'custom', message: parsed.message });
      return z.NEVER;
    })
    .optional();
}

/** A positive integer written as plain decimal digits, within [min, max]. */
function positiveIntParam(min: number, max: number, what: string) {
  return singleString()
    .regex(/^\d+$/, `must be ${what}`)
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n >= min && n <= max, `must be ${what}`)
    .optional();
}

export const SORT_FIELDS = ['createdAt', 'updatedAt'] as const;
export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;
/** Longest `cursor` accepted; the API's own cursors are about 120 characters. */
export const MAX_CURSOR_LENGTH = 512;

/** The list parameters, in the order links write them. */
export const LIST_PARAMS = ['q', 'sort', 'order', 'limit', 'page', 'fields'] as const;

/** One of the list parameters. */
export type ListParam = (typeof LIST_PARAMS)[number];

/**
 * GET /notes: q, sort, order, limit, page or cursor (not both); other parameters are ignored. The output is the one
 * shape of a list query, from here to the database and into the links: every default filled
 * in (updatedAt, asc, 10 per page, page 1), an empty `q` meaning no filter, and `given` naming
 * the parameters the caller wrote, which links repeat.
 */
export const listNotes = {
  query: z
    .object({
      q: singleString().optional(),
      sort: singleString().pipe(z.enum(SORT_FIELDS, 'must be createdAt or updatedAt')).optional(),
      order: singleString().pipe(z.enum(['asc', 'desc'], 'must be asc or desc')).optional(),
      limit: positiveIntParam(1, MAX_LIMIT, `an integer from 1 to ${MAX_LIMIT}`),
      page: positiveIntParam(1, Number.MAX_SAFE_INTEGER, 'an integer of at least 1'),
      fields: fieldsParam(),
      // Opaque (controllers/cursor.ts checks it against its signature); here only its size is bounded.
      cursor: singleString().max(MAX_CURSOR_LENGTH, `must be at most ${MAX_CURSOR_LENGTH} characters`).optional(),
    })
    .superRefine((raw, ctx) => {
      if (raw.cursor === undefined || raw.page === undefined) return;
      ctx.addIssue({ code: 'custom', path: ['cursor'], message: 'cannot be combined with page (cursor paging and page numbers are two ways to move)' });
      ctx.addIssue({ code: 'custom', path: ['page'], message: 'cannot be combined with cursor' });
    })
    .transform((raw) => ({
      q: raw.q === '' ? undefined : raw.q,
      sort: raw.sort ?? 'updatedAt',
      order: raw.order ?? 'asc',
      limit: raw.limit ?? DEFAULT_LIMIT,
      page: raw.page ?? 1,
      // Only when given, so a ListQuery written without it (tests, other callers) stays complete.
      ...(raw.fields && { fields: raw.fields }),
      ...(raw.cursor !== undefined && { cursor: raw.cursor }),
      given: LIST_PARAMS.filter((name) => raw[name] !== undefined && raw[name] !== ''),
    })),
};

/** A validated list query with its defaults. */
export type ListQuery = z.output<typeof listNotes.query>;

/** GET /notes/{id}: `fields` only; other parameters are ignored. */
export const getNote = {
  query: z.object({ fields: fieldsParam() }),
};

/** POST /notes. */
export const createNote = {
  body: bodyObject({ text: noteText }),
};

/** PUT /notes/{id}: a full representation; the server keeps createdAt and sets updatedAt. */
export const replaceNote = {
  body: bodyObject({
    id: requiredString(),
    text: noteText,
    createdAt: requiredNumber(),
    updatedAt: requiredNumber(),
  }),
};

/** PATCH /notes/{id} with application/json: the new text. */
export const editNote = {
  body: bodyObject({ text: noteText }),
};

export type CreateNoteBody = z.infer<typeof createNote.body>;
export type ReplaceNoteBody = z.infer<typeof replaceNote.body>;
export type EditNoteBody = z.infer<typeof editNote.body>;

/** Operations of one JSON Patch at most. */
export const MAX_PATCH_OPERATIONS = 100;

// A JSON Pointer (RFC 6901): empty, or `/`-separated tokens where `~` only escapes `0` or `1`.
const jsonPointer = requiredString().regex(/^(\/([^~/]|~[01])*)*$/, 'must be a JSON Pointer (RFC 6901), like /text');

/** One JSON Patch operation (RFC 6902 §4): the members each op needs; unknown members are ignored, as the RFC says. */
const patchOperation = z
  .object(
    {
      op: z.enum(['add', 'remove', 'replace', 'move', 'copy', 'test'], 'must be add, remove, replace, move, copy or test'),
      path: jsonPointer,
      from: jsonPointer.optional(),
      value: z.unknown().optional(),
    },
    { error: 'must be a JSON object' },
  )
  .superRefine((operation, ctx) => {
    if (['add', 'replace', 'test'].includes(operation.op) && operation.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'is required' });
    if (['move', 'copy'].includes(operation.op) && operation.from === undefined) ctx.addIssue({ code: 'custom', path: ['from'], message: 'is required' });
  });

/** PATCH /notes/{id} with application/json-patch+json: an array of operations (RFC 6902). */
export const jsonPatchNote = {
  body: z.array(patchOperation, { error: 'must be a JSON array of operations' }).max(MAX_PATCH_OPERATIONS, `must hold at most ${MAX_PATCH_OPERATIONS} operations`),
};

/** PATCH /notes/{id} with application/merge-patch+json: any JSON (RFC 7396); anything but an object would replace the whole note, which leaves no note (422). */
export const mergePatchNote = {
  body: z.unknown(),
};
