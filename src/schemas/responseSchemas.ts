/**
 * Response schemas (issue 14): what the API answers, as zod schemas, so that the OpenAPI document
 * (src/openapi/document.ts) describes the bodies from one definition, as it describes requests
 * from the schemas that validate them. The controllers' TypeScript types are checked against
 * these at compile time (the `Same` assertions below), so a member added to a representation
 * without its schema does not compile, and the API test suite validates every answer it gets
 * against the document (tests/helpers/openapiValidation.ts), so none can drift at run time.
 *
 * The HAL and HAL-FORMS variants are derived from the JSON ones (`halOf`), as hal.ts derives the
 * bodies themselves: the members but `links`, `_links` keyed by rel, a page's notes in
 * `_embedded.item`, HAL-FORMS' `_templates`.
 */
import { z } from 'zod';
import type { LoginResult } from '../controllers/authController';
import type { HealthReport } from '../controllers/healthController';
import type { NotesPage, NoteView } from '../controllers/notesController';
import type { ProfileView } from '../controllers/usersController';
import type { ProblemBody } from '../middlewares/errorHandler';
import { HTTP_METHODS, type Link } from '../types/hypermedia';
import type { FormTemplate } from '../handlers/hal';

/** One hypermedia control of the JSON representations. */
export const link = z
  .object({
    rel: z.string().describe('The relation: an IANA-registered one (self, next, …) or the API’s own, documented at /rels/{rel}.'),
    href: z.string().describe('A root-relative URL, or an RFC 6570 template when `templated` is true.'),
    method: z.enum(HTTP_METHODS).describe('The method to follow the link with.'),
    templated: z.boolean().optional().describe('Present (true) when `href` is a URI template.'),
  })
  .meta({ id: 'Link', description: 'A link as the JSON representations write it: `{rel, href, method}`.' });

const links = z.array(link).describe('What the client can do next, as links.');
const epochMs = z.number().int().describe('Epoch milliseconds.');

/** A note, as GET /notes/{id} shows it. */
export const note = z
  .object({
    id: z.string().describe('The note’s id: a short decimal string.'),
    text: z.string().describe('The note’s text (1–10,000 characters, not blank).'),
    createdAt: epochMs,
    updatedAt: epochMs,
    links,
  })
  .meta({ id: 'Note', description: 'A note of the caller’s.' });

/** A note trimmed by `fields` (sparse fieldsets): `id` and `links` always, the others when selected. */
export const sparseNote = note
  .partial({ text: true, createdAt: true, updatedAt: true })
  .meta({ id: 'SparseNote', description: 'A note with only the members `fields` selected; `id` and `links` are always present.' });

const noteOrSelection = z.union([note, sparseNote]);

/** The page block of a numbered page. */
export const pageInfo = z
  .object({ number: z.number().int().min(1), limit: z.number().int().min(1), totalItems: z.number().int().min(0), totalPages: z.number().int().min(0) })
  .meta({ id: 'PageInfo', description: 'Where a numbered page is: its number, its size, and how many notes and pages the query has.' });

/** The page block of a cursor view. */
export const cursorPageInfo = z
  .object({ limit: z.number().int().min(1), totalItems: z.number().int().min(0), cursor: z.string().describe('The cursor this view was asked with (empty: the start).') })
  .meta({ id: 'CursorPageInfo', description: 'Where a cursor view is: its size, the query’s number of notes and its cursor.' });

/** A page of notes, GET /notes. */
export const notesPage = z
  .object({ notes: z.array(noteOrSelection), page: z.union([pageInfo, cursorPageInfo]), links })
  .meta({ id: 'NotesPage', description: 'One page of the caller’s notes, filtered and sorted before paging, with links to move.' });

/** The caller's profile, GET /users/{id}; also the body of a registration's 201. */
export const profile = z
  .object({ id: z.string(), name: z.string(), email: z.string(), createdAt: epochMs, links })
  .meta({ id: 'Profile', description: 'A user’s profile: never the password or its hash.' });

/** A successful login, POST /auth. */
export const token = z
  .object({
    message: z.string(),
    user: z.object({ id: z.string(), name: z.string(), email: z.string() }),
    access_token: z.string().describe('A JWT (HS256): send it as `Authorization: Bearer <token>`.'),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int().describe('Seconds until the token expires.'),
    links,
  })
  .meta({ id: 'Token', description: 'An access token and where an authenticated client goes next.' });

/** The entry point, GET /. */
export const root = z
  .object({ message: z.string(), links })
  .meta({ id: 'Root', description: 'The entry point: the links a client starts from.' });

/** One offending field of a 400 or 422. */
export const fieldError = z
  .object({ in: z.enum(['body', 'query', 'path', 'header']), name: z.string(), message: z.string() })
  .meta({ id: 'FieldError', description: 'One offending input: where it was, its name and what is wrong with it.' });

/** An RFC 9457 problem. */
export const problem = z
  .object({
    type: z.string().describe('Always `about:blank`: the status says what kind of problem it is.'),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string(),
    message: z.string().describe('The same as `detail` (what the tutorial’s clients read).'),
    errors: z.array(fieldError).optional(),
    links,
  })
  .meta({ id: 'Problem', description: 'An error, as RFC 9457 problem details, with links to recover.' });

/** One result of a health check. */
const checkResult = z.object({
  componentType: z.string(),
  status: z.enum(['pass', 'warn', 'fail']),
  observedValue: z.number().optional(),
  observedUnit: z.string().optional(),
  time: z.string(),
  output: z.string().optional(),
});

/** /health and /ready (draft-inadarei-api-health-check). */
export const health = z
  .object({
    status: z.enum(['pass', 'warn', 'fail']),
    version: z.string(),
    releaseId: z.string(),
    serviceId: z.string(),
    description: z.string(),
    checks: z.record(z.string(), z.array(checkResult)),
  })
  .meta({ id: 'Health', description: 'A health report (IETF draft-inadarei-api-health-check).' });

// --- HAL and HAL-FORMS ----------------------------------------------------------------------------

const halLink = z.object({ href: z.string(), templated: z.literal(true).optional(), title: z.string().optional() });
const curie = z.object({ name: z.string(), href: z.string(), templated: z.literal(true) });

/** `_links`: one link or several per rel (IANA rels as they are, the API's own as `tn:<rel>`), and the `tn` CURIE. */
export const halLinks = z
  .object({ curies: z.array(curie).optional() })
  .catchall(z.union([halLink, z.array(halLink)]))
  .meta({ id: 'HalLinks', description: 'HAL `_links`, keyed by relation; the API’s own relations carry the CURIE `tn:` (documented at /rels/{rel}).' });

const formProperty = z.object({
  name: z.string(),
  required: z.boolean(),
  type: z.string().optional(),
  maxLength: z.number().int().optional(),
  minLength: z.number().int().optional(),
  regex: z.string().optional(),
  value: z.unknown().optional(),
});

/** One HAL-FORMS template: an action the client may take now, with its request body's properties. */
export const formTemplate = z
  .object({ title: z.string().optional(), method: z.string(), target: z.string(), contentType: z.string().optional(), properties: z.array(formProperty) })
  .meta({ id: 'HalFormsTemplate', description: 'A HAL-FORMS template, generated from the schema that validates the request.' });

const templates = z.record(z.string(), formTemplate).optional();

/** The HAL form of a JSON body schema: its members but `links`, then `_links`; HAL-FORMS adds `_templates`. */
function halOf<Shape extends z.ZodRawShape>(schema: z.ZodObject<Shape>, id: string, forms: boolean) {
  const base = schema.omit({ links: true } as never).extend({ _links: halLinks });
  return (forms ? base.extend({ _templates: templates }) : base).meta({ id, description: `${forms ? 'HAL-FORMS' : 'HAL'} form of ${schema.meta()?.id}.` });
}

export const halNote = halOf(note, 'HalNote', false);
export const halSparseNote = halOf(sparseNote, 'HalSparseNote', false);
export const halFormsNote = halOf(note, 'HalFormsNote', true);
export const halFormsSparseNote = halOf(sparseNote, 'HalFormsSparseNote', true);

/** A page in HAL: the notes in `_embedded.item` (each a HAL note), `page` kept. */
function halPage(id: string, forms: boolean) {
  const embedded = z.object({ item: z.array(z.union([halNote, halSparseNote])) });
  const base = notesPage.omit({ notes: true }).omit({ links: true }).extend({ _links: halLinks, _embedded: embedded });
  return (forms ? base.extend({ _templates: templates }) : base).meta({ id, description: `${forms ? 'HAL-FORMS' : 'HAL'} form of NotesPage.` });
}

export const halNotesPage = halPage('HalNotesPage', false);
export const halFormsNotesPage = halPage('HalFormsNotesPage', true);
export const halProfile = halOf(profile, 'HalProfile', false);
export const halFormsProfile = halOf(profile, 'HalFormsProfile', true);
export const halToken = halOf(token, 'HalToken', false);
export const halFormsToken = halOf(token, 'HalFormsToken', true);
export const halRoot = halOf(root, 'HalRoot', false);
export const halFormsRoot = halOf(root, 'HalFormsRoot', true);
export const halProblem = halOf(problem, 'HalProblem', false);

// --- The controllers' types are these schemas' types ----------------------------------------------

/** Compiles only when A and B are the same type. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;

type WireLink = z.output<typeof link>;
export type SchemaChecks = [
  Assert<Same<Link, WireLink>>,
  Assert<Same<NoteView, z.output<typeof note>>>,
  Assert<Same<Omit<NotesPage, 'notes'>, Omit<z.output<typeof notesPage>, 'notes'>>>,
  Assert<Same<ProfileView, z.output<typeof profile>>>,
  Assert<Same<Omit<LoginResult, 'accessToken' | 'expiresIn'>, { user: z.output<typeof token>['user']; links: WireLink[] }>>,
  Assert<Same<ProblemBody, z.output<typeof problem>>>,
  Assert<Same<HealthReport, z.output<typeof health>>>,
  Assert<Same<FormTemplate['properties'][number]['name'], z.output<typeof formTemplate>['properties'][number]['name']>>,
];

/** Every response schema with an id: the OpenAPI document's response components. */
export const RESPONSE_SCHEMAS: readonly z.ZodType[] = [
  link,
  note,
  sparseNote,
  pageInfo,
  cursorPageInfo,
  notesPage,
  profile,
  token,
  root,
  fieldError,
  problem,
  health,
  halLinks,
  formTemplate,
  halNote,
  halSparseNote,
  halFormsNote,
  halFormsSparseNote,
  halNotesPage,
  halFormsNotesPage,
  halProfile,
  halFormsProfile,
  halToken,
  halFormsToken,
  halRoot,
  halFormsRoot,
  halProblem,
];
