/**
 * The OpenAPI 3.1 document of the API (issue 14), served at `/openapi.json`, shown at `/docs`,
 * turned into the Postman collection and the `.http` file (`npm run docs:postman`), and used by
 * the test suite to validate every answer it receives.
 *
 * Nothing in it is a second copy of a schema: request bodies and query parameters are converted
 * from the zod schemas that validate the requests (src/schemas/*), response bodies from the zod
 * schemas in responseSchemas.ts, with zod's own JSON Schema conversion (draft 2020-12, which is
 * OpenAPI 3.1's dialect). What this module writes by hand is what only the routes know: which
 * operation answers which statuses with which headers, and which link relations lead there.
 *
 * Two rules hold for every path and are stated in `info.description` rather than repeated:
 * a method a path does not list is 405 with `Allow`, and a path the document does not list is a
 * 404 problem.
 */
import { z } from 'zod';
import { MEDIA_TYPES, type Format } from '../middlewares/negotiate';
import { BEARER_CHALLENGE } from '../middlewares/verifyToken';
import * as authSchemas from '../schemas/authSchemas';
import * as noteSchemas from '../schemas/noteSchemas';
import * as r from '../schemas/responseSchemas';
import * as userSchemas from '../schemas/userSchemas';
import { CURRENT_VERSION } from '../middlewares/apiVersion';
import { documentedRels } from '../controllers/relsController';
import { paths as hrefs } from '../controllers/hateoasController';

/** Where the document is served. */
export const OPENAPI_PATH = hrefs.openapi();
/** Where the interactive reference (Swagger UI) is served. */
export const DOCS_PATH = hrefs.docs();

/** The document is plain JSON; its TypeScript type stays loose on purpose (it is checked by a validator in the tests). */
export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, unknown>> };

type Json = Record<string, unknown>;

/** An operation object of the document, as far as this module and its readers use it. */
export interface Operation {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  security: Array<Record<string, string[]>>;
  parameters?: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
  'x-rel'?: string;
}

const SCHEMA_REF = (id: string) => `#/components/schemas/${id}`;
const ref = (id: string) => ({ $ref: SCHEMA_REF(id) });

// --- Components: schemas from zod ------------------------------------------------------------------

/** The request schemas by component name (converted as input: what a client may send). */
const REQUEST_SCHEMAS: Record<string, z.ZodType> = {
  LoginRequest: authSchemas.login.body,
  RegisterRequest: userSchemas.register.body,
  EditProfileRequest: userSchemas.editProfile.body,
  CreateNoteRequest: noteSchemas.createNote.body,
  ReplaceNoteRequest: noteSchemas.replaceNote.body,
  EditNoteRequest: noteSchemas.editNote.body,
  JsonPatch: noteSchemas.jsonPatchNote.body,
};

/** Drops the `$schema` and `$id` members zod writes into each schema (the document's dialect is 3.1's own; components are named by their key). */
function withoutDialect(schema: Json): Json {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

/** Every response schema with an id (responseSchemas.ts), converted as output, with references between them. */
function responseComponents(): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const schema of r.RESPONSE_SCHEMAS) registry.add(schema, { id: String(schema.meta()?.id) });
  const converted = z.toJSONSchema(registry, { io: 'output', unrepresentable: 'any', uri: SCHEMA_REF }) as { schemas: Record<string, Json> };
  return Object.fromEntries(Object.entries(converted.schemas).map(([id, schema]) => [id, withoutDialect(schema)]));
}

/** The request schemas, converted as input. */
function requestComponents(): Record<string, Json> {
  return Object.fromEntries(Object.entries(REQUEST_SCHEMAS).map(([id, schema]) => [id, withoutDialect(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json)]));
}

/** Query parameters from a query schema's properties: each as a client writes it (input), with the values a piped enum (`sort`, `order`) allows. */
function queryParameters(schema: z.ZodType, descriptions: Record<string, string>): Json[] {
  // The list query ends in a transform (the defaults); its properties are those of the object before it.
  const object = (schema instanceof z.ZodPipe ? schema.in : schema) as z.ZodObject;
  return Object.entries(object.shape).map(([name, property]) => {
    const input = withoutDialect(z.toJSONSchema(property as z.ZodType, { io: 'input', unrepresentable: 'any' }) as Json);
    const values = (z.toJSONSchema(property as z.ZodType, { io: 'output', unrepresentable: 'any' }) as Json).enum;
    return { name, in: 'query', required: false, description: descriptions[name], schema: values ? { ...input, enum: values } : input };
  });
}

// --- Components: headers, parameters, responses --------------------------------------------------

const stringHeader = (description: string, schema: Json = { type: 'string' }, required = false) => ({ description, schema, ...(required && { required }) });

const HEADERS: Record<string, Json> = {
  'API-Version': stringHeader('The API version that answered (always sent).', { type: 'string', enum: [CURRENT_VERSION] }, true),
  'X-Request-Id': stringHeader('The request’s id, as the access log records it (always sent).', { type: 'string' }, true),
  ETag: stringHeader('The representation’s entity tag: the SHA-1 of its full JSON body, a suffix naming the variant (`.hal`, `.hal-forms`, `.f-<fields>`).', { type: 'string', pattern: '^(W/)?"[^"]*"$' }),
  'Cache-Control': stringHeader('`private, no-cache` for per-user representations, `no-cache` for public ones, `no-store` for tokens.'),
  'Last-Modified': stringHeader('When the resource last changed (HTTP date).'),
  Vary: stringHeader('The request headers the representation depends on (`Accept`, `Authorization`, `Prefer`).'),
  Link: stringHeader('RFC 8288 links: a page’s `first`/`prev`/`next`/`last`, and links that lead on from any answer (no dead ends).'),
  Location: stringHeader('Where the created resource is.'),
  'Content-Location': stringHeader('The resource whose representation the body is (after PUT/PATCH with `Prefer: return=representation`).'),
  'X-Total-Count': stringHeader('How many notes the query matches (all pages).', { type: 'string', pattern: '^[0-9]+$' }),
  'X-Access-Token': stringHeader('The access token again (the tutorial’s header).'),
  Allow: stringHeader('The methods the resource supports.'),
  'Accept-Patch': stringHeader('The PATCH formats the resource takes (RFC 5789).'),
  'WWW-Authenticate': stringHeader(`The challenge of every 401: \`${BEARER_CHALLENGE}\`, with \`error="invalid_token"\` when a token was sent and refused.`, { type: 'string', pattern: '^Bearer ' }),
  'Preference-Applied': stringHeader('The `Prefer: return=` preference that was honoured (RFC 7240).'),
  'Idempotent-Replayed': stringHeader('`true` when the answer replays the first request with the same `Idempotency-Key`.'),
  RateLimit: stringHeader('The remaining quota (draft-ietf-httpapi-ratelimit-headers).'),
  'RateLimit-Policy': stringHeader('The quota policy (draft-ietf-httpapi-ratelimit-headers).'),
  'Retry-After': stringHeader('Seconds until a refused request may be retried.'),
  'Server-Timing': stringHeader(
    'Where the request’s time went (W3C Server Timing; sent when `TN_SERVER_TIMING` is on, by default in development): `db` = the database commands it waited for (their summed duration in ms, and their number in `desc`), `app` = its time in the API until the headers went out.',
    { type: 'string', pattern: '^db;dur=[0-9]+\\.[0-9]{2};desc="[0-9]+ database commands", app;dur=[0-9]+\\.[0-9]{2}$' },
  ),
};

const header = (name: string) => ({ [name]: { $ref: `#/components/headers/${name}` } });

/** Request headers and path parameters used by several operations. */
const PARAMETERS: Record<string, Json> = {
  NoteId: { name: 'id', in: 'path', required: true, description: 'The note’s id.', schema: { type: 'string' } },
  UserId: { name: 'id', in: 'path', required: true, description: 'The user’s id (only the caller’s own profile exists for them).', schema: { type: 'string' } },
  IfMatch: { name: 'If-Match', in: 'header', required: false, description: 'Strong entity tags (or `*`): the write happens only if the resource still has one of them, else 412.', schema: { type: 'string' } },
  IfNoneMatch: { name: 'If-None-Match', in: 'header', required: false, description: 'Entity tags (weak comparison): a GET answers 304 when the representation still has one; on a write, `*` or a current tag refuses it with 412.', schema: { type: 'string' } },
  IfModifiedSince: { name: 'If-Modified-Since', in: 'header', required: false, description: 'An HTTP date: 304 when not modified since (ignored when If-None-Match is sent).', schema: { type: 'string' } },
  IfUnmodifiedSince: { name: 'If-Unmodified-Since', in: 'header', required: false, description: 'An HTTP date: the write happens only if the resource has not changed since, else 412.', schema: { type: 'string' } },
  Prefer: { name: 'Prefer', in: 'header', required: false, description: '`return=representation` or `return=minimal` (RFC 7240).', schema: { type: 'string' } },
  IdempotencyKey: { name: 'Idempotency-Key', in: 'header', required: false, description: 'A key (1–255 characters) that makes a retried creation answer the first one’s result instead of creating again, for 24 hours.', schema: { type: 'string', maxLength: 255 } },
  ApiVersion: { name: 'API-Version', in: 'header', required: false, description: `The version asked for; this server has ${CURRENT_VERSION}.`, schema: { type: 'string' } },
};
const param = (name: keyof typeof PARAMETERS) => ({ $ref: `#/components/parameters/${name}` });

/** The headers every answer carries (Server-Timing only while it is on). */
const ALWAYS = { ...header('API-Version'), ...header('X-Request-Id'), ...header('Server-Timing') };

/** Content in the three negotiated formats, JSON first. */
function negotiated(json: string, hal: string, halForms: string): Json {
  const ids: Record<Format, string> = { json, hal, 'hal-forms': halForms };
  return Object.fromEntries((Object.keys(MEDIA_TYPES) as Format[]).map((format) => [MEDIA_TYPES[format], { schema: ref(ids[format]) }]));
}

/** `application/problem+json`: the problem in JSON, or with `_links` when HAL was negotiated. */
const PROBLEM_CONTENT = { 'application/problem+json': { schema: { anyOf: [ref('Problem'), ref('HalProblem')] } } };

/** A problem response with this description and extra headers. */
function problem(description: string, headers: Json = {}): Json {
  return { description, headers: { ...ALWAYS, ...headers }, content: PROBLEM_CONTENT };
}

/** Problem responses shared by many operations, by status. */
const PROBLEMS: Record<string, Json> = {
  BadRequest: problem('The request is malformed or fails validation; `errors` names each offending field.'),
  Unauthorized: problem('No valid access token: missing, malformed, expired, or its user is gone.', { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } }),
  Forbidden: problem('Not allowed, e.g. the current password was wrong.'),
  NotFound: problem('No such resource for this caller (another user’s note is “not found” too: its existence is not revealed).'),
  NotAcceptable: problem('`Accept` (or its `version` parameter) allows none of the representations: application/json, application/hal+json, application/prs.hal-forms+json.'),
  Conflict: problem('The write conflicts with the resource’s state (e.g. an email that is taken, a resource that changed under a retried conditional write, a JSON Patch `test` that failed).'),
  PreconditionFailed: problem('`If-Match`, `If-None-Match` or `If-Unmodified-Since` does not hold; `ETag` is the current one.', header('ETag')),
  PayloadTooLarge: problem('The body exceeds the size limit.'),
  UnsupportedMediaType: problem('The body’s `Content-Type` is not one the operation takes.', { ...header('Accept-Patch') }),
  Unprocessable: problem('Well-formed, but the change cannot be applied (e.g. a patch that leaves no valid note, an Idempotency-Key reused with another body).'),
  PreconditionRequired: problem('This server requires `If-Match` or `If-Unmodified-Since` on writes (TN_REQUIRE_IF_MATCH).'),
  TooManyRequests: problem('Rate limited; `Retry-After` says when to try again.', { ...header('Retry-After'), ...header('RateLimit'), ...header('RateLimit-Policy') }),
  InternalError: problem('An unexpected error (logged with the request id); nothing is written partially.'),
  Unavailable: problem('The database cannot take requests now (busy, down or its disk is full); try again.', header('Retry-After')),
};
const problemRef = (name: keyof typeof PROBLEMS) => ({ $ref: `#/components/responses/${name}` });

// --- Operations ---------------------------------------------------------------------------------------

type Status = string;

const STATUS_OF: Record<keyof typeof PROBLEMS, Status> = {
  BadRequest: '400',
  Unauthorized: '401',
  Forbidden: '403',
  NotFound: '404',
  NotAcceptable: '406',
  Conflict: '409',
  PreconditionFailed: '412',
  PayloadTooLarge: '413',
  UnsupportedMediaType: '415',
  Unprocessable: '422',
  PreconditionRequired: '428',
  TooManyRequests: '429',
  InternalError: '500',
  Unavailable: '503',
};

/** The problem responses of these names, keyed by their status. */
function problems(...names: Array<keyof typeof PROBLEMS>): Record<Status, Json> {
  return Object.fromEntries(names.map((name) => [STATUS_OF[name], problemRef(name)]));
}

/** What every operation may answer: 400 for a malformed request (an unknown `API-Version`, a bad path escape), 500 for a fault. */
const BASIC = problems('BadRequest', 'InternalError');
/** What any operation of the API's resources (which use the database) may answer besides its own statuses. */
const EVERYWHERE = { ...BASIC, ...problems('Unavailable') };
/** What a negotiated operation adds. */
const NEGOTIATED = problems('NotAcceptable');
/** What an operation behind `verifyToken` adds. */
const AUTHENTICATED = problems('Unauthorized');
/** What an operation with a JSON body adds. */
const WITH_BODY = problems('PayloadTooLarge', 'UnsupportedMediaType');
/** What a conditional write adds. */
const CONDITIONAL = problems('PreconditionFailed', 'PreconditionRequired', 'Conflict');

const PUBLIC: Array<Record<string, string[]>> = [];
const BEARER = [{ bearerAuth: [] }];

/** A cacheable 200 in the three formats, and its 304. */
function cacheable(description: string, ids: [string, string, string], headers: Json = {}): Record<Status, Json> {
  const validators = { ...header('ETag'), ...header('Cache-Control'), ...header('Vary'), ...header('Link') };
  return {
    '200': { description, headers: { ...ALWAYS, ...validators, ...headers }, content: negotiated(...ids) },
    '304': { description: 'Not modified: the representation still has one of the `If-None-Match` tags (or has not changed since `If-Modified-Since`).', headers: { ...ALWAYS, ...validators } },
  };
}

/** The answers of PUT/PATCH: 204 by default, 200 with the note when `Prefer: return=representation`. */
function written(ids: [string, string, string]): Record<Status, Json> {
  const headers = { ...ALWAYS, ...header('ETag'), ...header('Preference-Applied'), ...header('Vary') };
  return {
    '200': { description: 'Changed; the body is the resource as it is now (asked with `Prefer: return=representation`).', headers: { ...headers, ...header('Content-Location') }, content: negotiated(...ids) },
    '204': { description: 'Changed (the default answer); `ETag` is the new one, so a client can chain conditional writes.', headers },
  };
}

/** The answer of a creation: 201 with the resource, or without it with `Prefer: return=minimal`. */
function created(description: string, ids: [string, string, string]): Json {
  return {
    description: `${description} The body is the new resource, absent with \`Prefer: return=minimal\`; a replayed \`Idempotency-Key\` answers the first creation again with \`Idempotent-Replayed: true\`.`,
    headers: { ...ALWAYS, ...header('Location'), ...header('ETag'), ...header('Preference-Applied'), ...header('Idempotent-Replayed'), ...header('Vary') },
    content: negotiated(...ids),
  };
}

/** The 204 of every OPTIONS: the methods, and the PATCH formats where PATCH exists. */
function options(id: string, tag: string, path: string): Operation {
  const names = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
  return {
    operationId: id,
    tags: [tag],
    summary: `The methods of ${path}`,
    security: PUBLIC,
    ...(names.length > 0 && { parameters: names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })) }),
    responses: { '204': { description: 'The methods the path supports (`Allow`); where it takes PATCH, its formats (`Accept-Patch`). Also the CORS preflight answer.', headers: { ...ALWAYS, ...header('Allow'), ...header('Accept-Patch') } }, ...BASIC },
  };
}

const NOTE_IDS: [string, string, string] = ['Note', 'HalNote', 'HalFormsNote'];

/** The request headers a conditional write takes (safe writes: 412 when they do not hold). */
const WRITE_PRECONDITIONS = [param('IfMatch'), param('IfUnmodifiedSince'), param('IfNoneMatch')];

/** The 200 and 304 of a public HTML page (the docs page, the rels' pages). */
function htmlPage(description: string, headers: Json): Record<Status, Json> {
  return { '200': { description, headers, content: { 'text/html': { schema: { type: 'string' } } } }, '304': { description: 'Not modified.', headers: ALWAYS } };
}

/** A JSON request body of this component. */
function jsonBody(id: string, description: string): Json {
  return { required: true, description, content: { 'application/json': { schema: ref(id) } } };
}

const FIELDS_DESCRIPTION = 'Sparse fieldset: the note members to send, comma-separated (`text,updatedAt`); `id` and `links` always come.';

/** An OpenAPI Link Object: the operation a link relation of the answer leads to, with the id taken from the body. */
const to = (operationId: string, id?: string) => ({ operationId, ...(id && { parameters: { id } }) });
const NOTE_ID = '$response.body#/id';

/**
 * The link relations of each operation's answer, as OpenAPI links (keyed by rel): the same moves
 * the bodies' `links` offer, so a reader of the document (or a generated client) sees where each
 * answer leads. The rels themselves are documented at /rels/{rel}.
 */
const RESPONSE_LINKS: Record<string, Record<string, Json>> = {
  getRoot: { auth: to('login'), register: to('register'), notes: to('listNotes'), 'service-desc': to('getOpenApi'), 'service-doc': to('getDocs') },
  register: { self: to('getProfile', NOTE_ID), auth: to('login') },
  login: { notes: to('listNotes'), 'add-note': to('createNote'), profile: to('getProfile', '$response.body#/user/id') },
  listNotes: { 'add-note': to('createNote') },
  createNote: { self: to('getNote', NOTE_ID), update: to('replaceNote', NOTE_ID), 'edit-text': to('editNote', NOTE_ID), delete: to('deleteNote', NOTE_ID) },
  getNote: { self: to('getNote', NOTE_ID), update: to('replaceNote', NOTE_ID), 'edit-text': to('editNote', NOTE_ID), delete: to('deleteNote', NOTE_ID), notes: to('listNotes') },
  getProfile: { self: to('getProfile', NOTE_ID), edit: to('editProfile', NOTE_ID), delete: to('deleteProfile', NOTE_ID), notes: to('listNotes') },
};

/** Puts RESPONSE_LINKS on each operation's first 2xx answer with a body. */
function addResponseLinks(table: Record<string, Record<string, Operation>>): void {
  for (const item of Object.values(table)) {
    for (const operation of Object.values(item)) {
      const links = RESPONSE_LINKS[operation.operationId];
      const success = links && Object.entries(operation.responses).find(([status, response]) => status.startsWith('2') && response.content);
      if (success) operation.responses[success[0]] = { ...success[1], links };
    }
  }
}

/** The tags of the negotiated resources (JSON, HAL, HAL-FORMS; versioned). */
const NEGOTIATED_TAGS = new Set(['entry', 'auth', 'users', 'notes']);

/** The OPTIONS operation ids of the paths whose table below does not write one. */
const OPTIONS_IDS: Record<string, [string, string]> = {
  [OPENAPI_PATH]: ['optionsOpenApi', 'docs'],
  [DOCS_PATH]: ['optionsDocs', 'docs'],
  '/rels': ['optionsRels', 'docs'],
  '/rels/{rel}': ['optionsRel', 'docs'],
  '/health': ['optionsHealth', 'operations'],
  '/ready': ['optionsReady', 'operations'],
  '/metrics': ['optionsMetrics', 'operations'],
};

/** Every path answers OPTIONS (the route table does): the table's paths with their OPTIONS operation. */
function paths(): Record<string, Record<string, Operation>> {
  const table = operations();
  for (const [path, [id, tag]] of Object.entries(OPTIONS_IDS)) table[path].options = options(id, tag, path);
  addResponseLinks(table);
  // The negotiated resources also take the version they are asked for (apiVersion.ts).
  for (const item of Object.values(table)) {
    for (const [method, operation] of Object.entries(item)) {
      if (method !== 'options' && NEGOTIATED_TAGS.has(operation.tags[0])) operation.parameters = [...(operation.parameters ?? []), param('ApiVersion')];
    }
  }
  return table;
}

/** Every operation, by path and method, in the tutorial's order. */
function operations(): Record<string, Record<string, Operation>> {
  const getNote = cacheable('The note (`fields` trims it). `Accept-Patch` names the PATCH formats; `Last-Modified` is its last change.', NOTE_IDS, { ...header('Last-Modified'), ...header('Accept-Patch') });
  // A trimmed note (`fields`) is still a note: each format's 200 is the full note or the selection.
  const content = getNote['200'].content as Record<string, Json>;
  content[MEDIA_TYPES.json] = { schema: { anyOf: [ref('Note'), ref('SparseNote')] } };
  content[MEDIA_TYPES.hal] = { schema: { anyOf: [ref('HalNote'), ref('HalSparseNote')] } };
  content[MEDIA_TYPES['hal-forms']] = { schema: { anyOf: [ref('HalFormsNote'), ref('HalFormsSparseNote')] } };
  return {
    '/': {
      get: {
        operationId: 'getRoot',
        tags: ['entry'],
        summary: 'The entry point',
        description: 'The welcome message and the links every client starts from. With a valid token the `Link` header adds the caller’s profile and notes; an invalid token is not refused here, it only gets less.',
        security: [{}, { bearerAuth: [] }],
        responses: { ...cacheable('The entry point.', ['Root', 'HalRoot', 'HalFormsRoot']), ...NEGOTIATED, ...EVERYWHERE },
        'x-rel': 'self',
      },
      options: options('optionsRoot', 'entry', '/'),
    },
    '/users': {
      post: {
        operationId: 'register',
        tags: ['users'],
        summary: 'Create an account',
        description: 'Registers a user (the email, trimmed, must be unused). Rate limited per client.',
        security: PUBLIC,
        parameters: [param('IdempotencyKey'), param('Prefer')],
        requestBody: jsonBody('RegisterRequest', 'The new account.'),
        responses: { '201': created('Registered; `Location` is the profile.', ['Profile', 'HalProfile', 'HalFormsProfile']), ...problems('Conflict', 'Unprocessable', 'TooManyRequests'), ...WITH_BODY, ...NEGOTIATED, ...EVERYWHERE },
        'x-rel': 'register',
      },
      options: options('optionsUsers', 'users', '/users'),
    },
    '/auth': {
      post: {
        operationId: 'login',
        tags: ['auth'],
        summary: 'Log in: get an access token',
        description: 'Checks the email and password and answers a JWT (also in `X-Access-Token`). Wrong credentials are 401; attempts are rate limited per client and per account.',
        security: PUBLIC,
        requestBody: jsonBody('LoginRequest', 'The credentials.'),
        responses: {
          '200': { description: 'Logged in.', headers: { ...ALWAYS, ...header('X-Access-Token'), ...header('Cache-Control'), ...header('Vary') }, content: negotiated('Token', 'HalToken', 'HalFormsToken') },
          ...AUTHENTICATED,
          ...problems('TooManyRequests'),
          ...WITH_BODY,
          ...NEGOTIATED,
          ...EVERYWHERE,
        },
        'x-rel': 'auth',
      },
      options: options('optionsAuth', 'auth', '/auth'),
    },
    '/notes': {
      get: {
        operationId: 'listNotes',
        tags: ['notes'],
        summary: 'List the caller’s notes',
        description: 'One page of the caller’s notes: `q` filters by text (case-insensitive substring), `sort`/`order` sort, `limit` sizes the page, `page` or `cursor` (not both) says which one. `X-Total-Count` and the `Link` header carry the count and the moves.',
        security: BEARER,
        parameters: queryParameters(noteSchemas.listNotes.query, {
          q: 'Only notes whose text contains this (case-insensitive); empty: no filter.',
          sort: 'The member to sort by (default updatedAt).',
          order: 'asc (default) or desc.',
          limit: 'Notes per page, 1–100 (default 10).',
          page: 'The page number, from 1 (default 1).',
          fields: FIELDS_DESCRIPTION,
          cursor: 'An opaque cursor from a `next`/`prev` link; empty starts at the first note.',
        }),
        responses: { ...cacheable('A page of notes.', ['NotesPage', 'HalNotesPage', 'HalFormsNotesPage'], header('X-Total-Count')), ...AUTHENTICATED, ...NEGOTIATED, ...EVERYWHERE },
        'x-rel': 'notes',
      },
      post: {
        operationId: 'createNote',
        tags: ['notes'],
        summary: 'Create a note',
        security: BEARER,
        parameters: [param('IdempotencyKey'), param('Prefer')],
        requestBody: jsonBody('CreateNoteRequest', 'The note’s text.'),
        responses: { '201': created('Created; `Location` is the note.', NOTE_IDS), ...problems('Conflict', 'Unprocessable'), ...AUTHENTICATED, ...WITH_BODY, ...NEGOTIATED, ...EVERYWHERE },
        'x-rel': 'add-note',
      },
      options: options('optionsNotes', 'notes', '/notes'),
    },
    '/notes/{id}': {
      get: {
        operationId: 'getNote',
        tags: ['notes'],
        summary: 'Get a note',
        security: BEARER,
        parameters: [param('NoteId'), ...queryParameters(noteSchemas.getNote.query, { fields: FIELDS_DESCRIPTION }), param('IfNoneMatch'), param('IfModifiedSince')],
        responses: { ...getNote, ...problems('NotFound'), ...AUTHENTICATED, ...NEGOTIATED, ...EVERYWHERE },
        'x-rel': 'self',
      },
      put: {
        operationId: 'replaceNote',
        tags: ['notes'],
        summary: 'Replace a note',
        description: 'A full representation: `id` must be the path’s, `createdAt` is kept and `updatedAt` set by the server.',
        security: BEARER,
        parameters: [param('NoteId'), ...WRITE_PRECONDITIONS, param('Prefer')],
        requestBody: jsonBody('ReplaceNoteRequest', 'The whole note.'),
        responses: { ...written(NOTE_IDS), ...problems('NotFound'), ...CONDITIONAL, ...AUTHENTICATED, ...WITH_BODY, ...NEGOTIATED, ...EVERYWHERE },
        'x-rel': 'update',
      },
      patch: {
        operationId: 'editNote',
        tags: ['notes'],
        summary: 'Change a note’s text',
        description: 'Three formats (`Accept-Patch`): `application/json` `{text}`, `application/merge-patch+json` (RFC 7396), `application/json-patch+json` (RFC 6902).',
        security: BEARER,
        parameters: [param('NoteId'), ...WRITE_PRECONDITIONS, param('Prefer')],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: ref('EditNoteRequest') },
            'application/merge-patch+json': { schema: { type: 'object', description: 'A JSON Merge Patch of the note (only `text` may change).' } },
            'application/json-patch+json': { schema: ref('JsonPatch') },
          },
        },
        responses: { ...written(NOTE_IDS), ...problems('NotFound', 'Unprocessable'), ...CONDITIONAL, ...AUTHENTICATED, ...WITH_BODY, ...NEGOTIATED, ...EVERYWHERE },
        'x-rel': 'edit-text',
      },
      delete: {
        operationId: 'deleteNote',
        tags: ['notes'],
        summary: 'Delete a note',
        security: BEARER,
        parameters: [param('NoteId'), ...WRITE_PRECONDITIONS],
        responses: { '204': { description: 'Deleted.', headers: ALWAYS }, ...problems('NotFound'), ...CONDITIONAL, ...AUTHENTICATED, ...NEGOTIATED, ...EVERYWHERE },
        'x-rel': 'delete',
      },
      options: options('optionsNote', 'notes', '/notes/{id}'),
    },
    '/users/{id}': {
      get: {
        operationId: 'getProfile',
        tags: ['users'],
        summary: 'The caller’s profile',
        security: BEARER,
        parameters: [param('UserId'), param('IfNoneMatch'), param('IfModifiedSince')],
        responses: { ...cacheable('The profile.', ['Profile', 'HalProfile', 'HalFormsProfile'], header('Last-Modified')), ...problems('NotFound'), ...AUTHENTICATED, ...NEGOTIATED, ...EVERYWHERE },
        'x-rel': 'profile',
      },
      patch: {
        operationId: 'editProfile',
        tags: ['users'],
        summary: 'Change the name or the password',
        description: 'A new password needs `currentPassword` (403 when wrong, counted by a rate limit) and ends every other token of the account. Other members are refused by name (422).',
        security: BEARER,
        parameters: [param('UserId'), ...WRITE_PRECONDITIONS, param('Prefer')],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: ref('EditProfileRequest') },
            'application/merge-patch+json': { schema: { type: 'object', description: 'A JSON Merge Patch of the profile.' } },
          },
        },
        responses: { ...written(['Profile', 'HalProfile', 'HalFormsProfile']), ...problems('Forbidden', 'NotFound', 'Unprocessable', 'TooManyRequests'), ...CONDITIONAL, ...AUTHENTICATED, ...WITH_BODY, ...NEGOTIATED, ...EVERYWHERE },
        'x-rel': 'edit',
      },
      delete: {
        operationId: 'deleteProfile',
        tags: ['users'],
        summary: 'Delete the account and its notes',
        security: BEARER,
        parameters: [param('UserId'), ...WRITE_PRECONDITIONS],
        responses: { '204': { description: 'Deleted, with every note; the account’s tokens stop working.', headers: ALWAYS }, ...problems('NotFound'), ...CONDITIONAL, ...AUTHENTICATED, ...NEGOTIATED, ...EVERYWHERE },
        'x-rel': 'delete',
      },
      options: options('optionsUser', 'users', '/users/{id}'),
    },
    [OPENAPI_PATH]: {
      get: {
        operationId: 'getOpenApi',
        tags: ['docs'],
        summary: 'This document',
        security: PUBLIC,
        responses: {
          '200': { description: 'The OpenAPI 3.1 document.', headers: { ...ALWAYS, ...header('ETag'), ...header('Cache-Control') }, content: { 'application/json': { schema: { type: 'object' } } } },
          '304': { description: 'Not modified.', headers: { ...ALWAYS, ...header('ETag') } },
          ...BASIC,
        },
        'x-rel': 'service-desc',
      },
    },
    [DOCS_PATH]: {
      get: {
        operationId: 'getDocs',
        tags: ['docs'],
        summary: 'The interactive reference (Swagger UI)',
        security: PUBLIC,
        responses: {
          ...htmlPage('The page.', ALWAYS),
          ...BASIC,
        },
        'x-rel': 'service-doc',
      },
    },
    '/rels': {
      get: {
        operationId: 'listRels',
        tags: ['docs'],
        summary: 'The API’s own link relations',
        security: PUBLIC,
        responses: { ...htmlPage('An HTML index of the relations.', { ...ALWAYS, ...header('ETag') }), ...BASIC },
      },
    },
    '/rels/{rel}': {
      get: {
        operationId: 'getRel',
        tags: ['docs'],
        summary: 'One link relation’s documentation',
        security: PUBLIC,
        parameters: [{ name: 'rel', in: 'path', required: true, schema: { type: 'string', enum: documentedRels() } }],
        responses: { ...htmlPage('An HTML page.', { ...ALWAYS, ...header('ETag') }), ...problems('NotFound'), ...BASIC },
      },
    },
    '/health': {
      get: {
        operationId: 'getHealth',
        tags: ['operations'],
        summary: 'Liveness',
        security: PUBLIC,
        responses: { '200': { description: 'The process is alive.', headers: ALWAYS, content: { 'application/health+json': { schema: ref('Health') } } }, ...BASIC },
      },
    },
    '/ready': {
      get: {
        operationId: 'getReady',
        tags: ['operations'],
        summary: 'Readiness: the database answers and takes a write',
        security: PUBLIC,
        responses: {
          '200': { description: 'Ready.', headers: ALWAYS, content: { 'application/health+json': { schema: ref('Health') } } },
          '503': { description: 'Not ready; `checks` says which part failed.', headers: ALWAYS, content: { 'application/health+json': { schema: ref('Health') } } },
          ...BASIC,
        },
      },
    },
    '/metrics': {
      get: {
        operationId: 'getMetrics',
        tags: ['operations'],
        summary: 'Prometheus metrics',
        description: 'Open to loopback and TN_METRICS_ALLOW; elsewhere it needs `Authorization: Bearer <TN_METRICS_TOKEN>` (403 otherwise, or 404 when metrics are off).',
        security: PUBLIC,
        responses: { '200': { description: 'Metrics in the Prometheus text format.', headers: ALWAYS, content: { 'text/plain': { schema: { type: 'string' } } } }, ...problems('Forbidden', 'NotFound'), ...BASIC },
      },
    },
  };
}

/** Builds the document (once; it is the same for the process's lifetime). */
function build(): OpenApiDocument {
  return {
    openapi: '3.1.1',
    info: {
      title: 'Thunder Notes API',
      version: CURRENT_VERSION,
      summary: 'A hypermedia-driven notes API: start at `/` and follow the links.',
      description: [
        'Every answer carries links (`links` in JSON, `_links` in HAL, HAL-FORMS `_templates` too); `/rels/{rel}` documents the API’s own relations.',
        'Representations are negotiated with `Accept`: application/json (default), application/hal+json, application/prs.hal-forms+json.',
        'Errors are RFC 9457 problems (`application/problem+json`).',
        'Each operation’s `x-rel` names the link relation that leads to it, and each answer’s OpenAPI `links` the relations it offers next.',
        'Two rules hold for every path: a method the path does not list answers **405** with `Allow`, and a path this document does not list answers **404**.',
      ].join('\n\n'),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: 'http://localhost:3000', description: '`npm start` on this machine' }],
    tags: [
      { name: 'entry', description: 'The entry point.' },
      { name: 'auth', description: 'Access tokens.' },
      { name: 'users', description: 'Accounts and profiles.' },
      { name: 'notes', description: 'The caller’s notes.' },
      { name: 'docs', description: 'This description, its page and the link relations.' },
      { name: 'operations', description: 'Health, readiness and metrics (for operators; not linked from `/`).' },
    ],
    paths: paths(),
    components: {
      schemas: { ...responseComponents(), ...requestComponents() },
      responses: PROBLEMS,
      headers: HEADERS,
      parameters: PARAMETERS,
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The `access_token` of `POST /auth`.' } },
    },
  };
}

let cached: OpenApiDocument | undefined;

/** The document (built on first use, then the same object). */
export function openApiDocument(): OpenApiDocument {
  cached ??= build();
  return cached;
}
