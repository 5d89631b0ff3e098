/**
 * The tutorial as a Postman collection (v2.1.0), generated from the OpenAPI document.
 *
 * The document says what each request is: its method and path (found by operationId), its
 * parameters, an example body, whether it needs the token, the statuses it can answer. This
 * module adds only what no document says: the tutorial's order (`TUTORIAL`) and how a request
 * uses what an earlier one answered (the token after logging in, the note's id from `Location`,
 * its `ETag` for `If-Match`). `httpFile.ts` writes the same steps as an `.http` file;
 * `npm run docs:postman` (scripts/docs.ts) writes both, and CI checks that they are current.
 */
import crypto from 'node:crypto';
import { STATUS_CODES } from 'node:http';

/** A JSON object of the document. */
export type JsonObject = { [key: string]: unknown };

/** Where a variable's value comes from. */
export type Source =
  /** A member of the answer's JSON body, as a dotted path (`user.id`). */
  | { json: string }
  /** A header of the answer; `lastSegment`: its last path segment (the id in a `Location`). */
  | { header: string; lastSegment?: boolean }
  /** Made before the request from a template of Postman's dynamic variables (`{{$guid}}`). */
  | { generated: string };

/** One request of the tutorial: which operation, and how it is wired to earlier answers. */
export interface TutorialStep {
  /** Its name where requests refer to each other (`# @name` of the `.http` file). */
  key: string;
  operationId: string;
  /** The status the step expects; the document must list it for the operation. */
  status: number;
  /** The variable that fills the path's one parameter (`/notes/{id}`). */
  path?: string;
  /** Request headers set from variables: header name → variable. */
  headers?: Record<string, string>;
  /** Body members set from variables (the rest is the document's example): member → variable. */
  body?: Record<string, string>;
  /** Variables this step sets: variable → where from. */
  keep?: Record<string, Source>;
}

/** The variable holding the bearer token. */
export const TOKEN_VARIABLE = 'token';

/** Variables with a fixed starting value (besides `baseUrl`, which comes from the document's server). */
export const FIXED_VARIABLES: Readonly<Record<string, string>> = { password: 'correct horse battery staple' };

/**
 * The tutorial's order: the entry point, an account (the tutorial's server had one built in;
 * ours needs one), then the notes CRUD, then the profile. Every write sends the ETag of the
 * version it read or wrote last, so the sequence also works with `TN_REQUIRE_IF_MATCH=true`.
 */
export const TUTORIAL: readonly TutorialStep[] = [
  { key: 'root', operationId: 'getRoot', status: 200 },
  {
    key: 'register',
    operationId: 'register',
    status: 201,
    body: { email: 'email', password: 'password' },
    keep: { email: { generated: 'reader-{{$guid}}@example.com' } },
  },
  {
    key: 'login',
    operationId: 'login',
    status: 200,
    body: { email: 'email', password: 'password' },
    keep: { [TOKEN_VARIABLE]: { json: 'access_token' }, userId: { json: 'user.id' } },
  },
  { key: 'listNotes', operationId: 'listNotes', status: 200 },
  { key: 'create', operationId: 'createNote', status: 201, keep: { noteId: { header: 'Location', lastSegment: true }, etag: { header: 'ETag' } } },
  {
    key: 'getNote',
    operationId: 'getNote',
    status: 200,
    path: 'noteId',
    keep: { noteId: { json: 'id' }, createdAt: { json: 'createdAt' }, updatedAt: { json: 'updatedAt' }, etag: { header: 'ETag' } },
  },
  {
    key: 'replace',
    operationId: 'replaceNote',
    status: 204,
    path: 'noteId',
    headers: { 'If-Match': 'etag' },
    body: { id: 'noteId', createdAt: 'createdAt', updatedAt: 'updatedAt' },
    keep: { etag: { header: 'ETag' } },
  },
  { key: 'edit', operationId: 'editNote', status: 204, path: 'noteId', headers: { 'If-Match': 'etag' }, keep: { etag: { header: 'ETag' } } },
  { key: 'delete', operationId: 'deleteNote', status: 204, path: 'noteId', headers: { 'If-Match': 'etag' } },
  { key: 'profile', operationId: 'getProfile', status: 200, path: 'userId' },
];

// ---------------------------------------------------------------------------------------------
// Reading the document

/** A parameter of an operation, as the document describes it. */
export interface ParameterInfo {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  description?: string;
  /** The document's example value, if it gives one. */
  example?: unknown;
}

/** What the document says about one operation. */
export interface OperationInfo {
  operationId: string;
  method: string;
  /** The path template (`/notes/{id}`). */
  path: string;
  summary?: string;
  description?: string;
  parameters: ParameterInfo[];
  /** The `application/json` request body's example, if the operation takes one. */
  body?: unknown;
  /** Whether the operation needs a security scheme (the bearer token). */
  secured: boolean;
  /** The response codes the document lists (`200`, `4XX`, `default`). */
  statuses: string[];
}

/** One step of the tutorial with its operation. */
export interface ResolvedStep {
  step: TutorialStep;
  operation: OperationInfo;
  /** The body to send: the document's example with the step's members set to variables (see `renderBody`). */
  body?: JsonObject;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** A JSON object, or an error naming where it was expected. */
function objectAt(value: unknown, where: string): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`OpenAPI document: ${where} is not an object`);
  return value as JsonObject;
}

/** Follows a local `$ref` (`#/components/...`) until it reaches a value. */
export function deref(document: JsonObject, value: unknown): unknown {
  for (let hops = 0; hops < 20; hops++) {
    const ref = value !== null && typeof value === 'object' ? (value as JsonObject).$ref : undefined;
    if (typeof ref !== 'string') return value;
    if (!ref.startsWith('#/')) throw new Error(`OpenAPI document: only local $refs are read, not ${ref}`);
    value = ref
      .slice(2)
      .split('/')
      .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, token) => (node !== null && typeof node === 'object' ? (node as JsonObject)[token] : undefined), document);
    if (value === undefined) throw new Error(`OpenAPI document: $ref ${ref} leads nowhere`);
  }
  throw new Error('OpenAPI document: $ref chain too long');
}

/** The first example a schema or media type object gives (`examples`, `example`, `default`, `const`, `enum`). */
function ownExample(document: JsonObject, holder: JsonObject): unknown {
  const examples = holder.examples;
  if (Array.isArray(examples) && examples.length > 0) return examples[0];
  if (examples && typeof examples === 'object') {
    const first = Object.values(examples)[0];
    if (first !== undefined) return (deref(document, first) as JsonObject).value;
  }
  if (holder.example !== undefined) return holder.example;
  if (holder.default !== undefined) return holder.default;
  if (holder.const !== undefined) return holder.const;
  return Array.isArray(holder.enum) ? holder.enum[0] : undefined;
}

/** An example value for a schema: its own example, else one built from its properties and type. */
function exampleOf(document: JsonObject, schemaOrRef: unknown): unknown {
  const schema = objectAt(deref(document, schemaOrRef), 'a schema');
  const own = ownExample(document, schema);
  if (own !== undefined) return own;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (schema.properties || type === 'object') {
    const properties = objectAt(schema.properties ?? {}, 'properties');
    return Object.fromEntries(Object.entries(properties).map(([name, sub]) => [name, exampleOf(document, sub)]));
  }
  const variants = (schema.allOf ?? schema.oneOf ?? schema.anyOf) as unknown[] | undefined;
  if (Array.isArray(variants) && variants.length > 0) return exampleOf(document, variants[0]);
  if (type === 'array') return schema.items ? [exampleOf(document, schema.items)] : [];
  if (type === 'integer' || type === 'number') return typeof schema.minimum === 'number' ? schema.minimum : 0;
  if (type === 'boolean') return false;
  return schema.format === 'email' ? 'reader@example.com' : 'string';
}

/** The parameters of an operation: the path item's, overridden by the operation's own (same name and place). */
function parametersOf(document: JsonObject, pathItem: JsonObject, operation: JsonObject): ParameterInfo[] {
  const all = [...((pathItem.parameters as unknown[]) ?? []), ...((operation.parameters as unknown[]) ?? [])].map((p) => objectAt(deref(document, p), 'a parameter'));
  const byKey = new Map<string, ParameterInfo>();
  for (const p of all) {
    const schema = p.schema === undefined ? undefined : objectAt(deref(document, p.schema), `the schema of parameter ${String(p.name)}`);
    const example = ownExample(document, p) ?? (schema && ownExample(document, schema));
    const info: ParameterInfo = { name: String(p.name), in: p.in as ParameterInfo['in'] };
    if (typeof p.description === 'string') info.description = p.description;
    if (example !== undefined) info.example = example;
    byKey.set(`${info.in}:${info.name.toLowerCase()}`, info);
  }
  return [...byKey.values()];
}

/** The example of the operation's `application/json` request body, or undefined when it takes none. */
function requestBodyExample(document: JsonObject, operation: JsonObject, operationId: string): unknown {
  if (operation.requestBody === undefined) return undefined;
  const content = objectAt(objectAt(deref(document, operation.requestBody), `${operationId}.requestBody`).content, `${operationId}.requestBody.content`);
  const json = content['application/json'];
  if (json === undefined) return undefined;
  const media = objectAt(json, `${operationId}.requestBody.content['application/json']`);
  return ownExample(document, media) ?? exampleOf(document, media.schema ?? {});
}

/** Whether an operation needs a security scheme (its own `security`, else the document's). */
function isSecured(document: JsonObject, operation: JsonObject): boolean {
  const requirements = (operation.security ?? document.security ?? []) as JsonObject[];
  return requirements.length > 0 && requirements.every((requirement) => Object.keys(requirement).length > 0);
}

/** Every operation of the document, by operationId. */
export function operationsOf(documentValue: object): Map<string, OperationInfo> {
  const document = documentValue as JsonObject;
  const operations = new Map<string, OperationInfo>();
  for (const [path, item] of Object.entries(objectAt(document.paths ?? {}, 'paths'))) {
    const pathItem = objectAt(deref(document, item), `paths['${path}']`);
    for (const method of METHODS.filter((m) => pathItem[m] !== undefined)) {
      const operation = objectAt(pathItem[method], `${method} ${path}`);
      if (typeof operation.operationId !== 'string') continue;
      const operationId = operation.operationId;
      const info: OperationInfo = {
        operationId,
        method: method.toUpperCase(),
        path,
        parameters: parametersOf(document, pathItem, operation),
        body: requestBodyExample(document, operation, operationId),
        secured: isSecured(document, operation),
        statuses: Object.keys(objectAt(operation.responses ?? {}, `${operationId}.responses`)),
      };
      if (typeof operation.summary === 'string') info.summary = operation.summary;
      if (typeof operation.description === 'string') info.description = operation.description;
      operations.set(operationId, info);
    }
  }
  return operations;
}

/** The parameter names of a path template (`/notes/{id}` → `['id']`). */
export function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
}

/** Checks that the document fits the step: the status is listed, the path has the parameter the step fills. */
function checkStep(step: TutorialStep, operation: OperationInfo): void {
  const listed = [String(step.status), `${String(step.status)[0]}XX`];
  if (!operation.statuses.some((s) => listed.includes(s.toUpperCase()))) {
    throw new Error(`The tutorial expects ${step.status} from ${step.operationId}, which the document does not list (it lists ${operation.statuses.join(', ')})`);
  }
  const params = pathParameters(operation.path);
  if (params.length !== (step.path ? 1 : 0)) {
    throw new Error(`The tutorial fills ${step.path ? 'one path parameter' : 'no path parameter'} of ${step.operationId}, whose path is ${operation.path}`);
  }
}

/** The step's body: the document's example with the step's members replaced by variable markers. */
function stepBody(step: TutorialStep, operation: OperationInfo): JsonObject | undefined {
  if (operation.body === undefined) {
    if (step.body) throw new Error(`The tutorial sets body members of ${step.operationId}, which takes no JSON body`);
    return undefined;
  }
  const example = objectAt(operation.body, `the example body of ${step.operationId}`);
  const body: JsonObject = { ...example };
  for (const [member, variable] of Object.entries(step.body ?? {})) {
    // A number or boolean in the example is written without quotes around the variable.
    const raw = typeof example[member] === 'number' || typeof example[member] === 'boolean';
    body[member] = variableMarker(variable, raw);
  }
  return body;
}

/** The tutorial's steps with the document's operations, checked against each other. */
export function tutorialSteps(document: object): ResolvedStep[] {
  const operations = operationsOf(document);
  return TUTORIAL.map((step) => {
    const operation = operations.get(step.operationId);
    if (!operation) throw new Error(`The document has no operation ${step.operationId}, which the tutorial uses`);
    checkStep(step, operation);
    const body = stepBody(step, operation);
    return body === undefined ? { step, operation } : { step, operation, body };
  });
}

/** The default base URL: the document's first server with an absolute URL. */
export function baseUrlOf(document: object): string {
  const servers = ((document as JsonObject).servers ?? []) as { url?: unknown }[];
  const absolute = servers.find((s) => typeof s.url === 'string' && /^https?:\/\//.test(s.url));
  return absolute ? String(absolute.url).replace(/\/+$/, '') : 'http://localhost:3000';
}

// ---------------------------------------------------------------------------------------------
// Bodies with variables

const MARKER = /"@@variable:(raw:)?([A-Za-z_][\w]*)@@"/g;

/** A string standing for a variable in a body until `renderBody` replaces it; `raw`: without quotes. */
function variableMarker(variable: string, raw: boolean): string {
  return `@@variable:${raw ? 'raw:' : ''}${variable}@@`;
}

/** The body as pretty JSON, each variable written by `reference` (quoted unless it stands for a number). */
export function renderBody(body: JsonObject, reference: (variable: string) => string): string {
  return JSON.stringify(body, null, 2).replace(MARKER, (_m, raw: string | undefined, variable: string) => (raw ? reference(variable) : `"${reference(variable)}"`));
}

// ---------------------------------------------------------------------------------------------
// The collection

/** A stable id for the collection: a name-based UUID (RFC 9562 version 5), the same on every generation, so that Postman offers to replace an imported copy. */
function collectionId(name: string): string {
  const hash = crypto.createHash('sha1').update(`thunder-notes:${name}`).digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** JavaScript that reads a source from the answer (in Postman's sandbox). */
function readSource(source: Source): string {
  if ('json' in source) return `pm.response.json()${source.json.split('.').map((k) => `[${JSON.stringify(k)}]`).join('')}`;
  if ('header' in source) return `pm.response.headers.get(${JSON.stringify(source.header)})${source.lastSegment ? ".split('/').pop()" : ''}`;
  throw new Error('a generated variable is made before the request, not read from the answer');
}

/** The test script: the status, then each variable the step keeps (present in the answer, then stored). */
function testScript(step: TutorialStep): string[] {
  const lines = [`pm.test(${JSON.stringify(`Status is ${step.status} ${STATUS_CODES[step.status] ?? ''}`.trim())}, function () {`, `  pm.response.to.have.status(${step.status});`, '});'];
  for (const [variable, source] of Object.entries(step.keep ?? {})) {
    if ('generated' in source) continue;
    const from = 'json' in source ? `body member ${source.json}` : `header ${source.header}`;
    lines.push(
      `pm.test(${JSON.stringify(`Keeps ${variable} (${from})`)}, function () {`,
      `  const value = ${readSource(source)};`,
      `  pm.expect(value, ${JSON.stringify(from)}).to.not.be.oneOf([undefined, null, '']);`,
      `  pm.collectionVariables.set(${JSON.stringify(variable)}, value);`,
      '});',
    );
  }
  return lines;
}

/** The pre-request script: the variables the step makes before it is sent. */
function preRequestScript(step: TutorialStep): string[] {
  return Object.entries(step.keep ?? {}).flatMap(([variable, source]) =>
    'generated' in source ? [`pm.collectionVariables.set(${JSON.stringify(variable)}, pm.variables.replaceIn(${JSON.stringify(source.generated)}));`] : [],
  );
}

/** A script event of an item. */
function scriptEvent(listen: 'prerequest' | 'test', exec: string[]): JsonObject {
  return { listen, script: { type: 'text/javascript', exec } };
}

/** A parameter's example as text (empty when the document gives none). */
function exampleText(parameter: ParameterInfo): string {
  if (parameter.example === undefined) return '';
  return typeof parameter.example === 'string' ? parameter.example : JSON.stringify(parameter.example);
}

/** Headers that OpenAPI says are not described as parameters (and that the collection sets itself). */
const OWN_HEADERS = ['accept', 'content-type', 'authorization'];

/** The item's URL: `{{baseUrl}}` and the path, its parameter a Postman path variable, the query parameters offered disabled. */
function itemUrl({ step, operation }: ResolvedStep): JsonObject {
  const segments = operation.path.split('/').slice(1).map((s) => s.replace(/^\{([^}]+)\}$/, ':$1'));
  const url: JsonObject = { raw: `{{baseUrl}}/${segments.join('/')}`, host: ['{{baseUrl}}'], path: segments };
  const query = operation.parameters.filter((p) => p.in === 'query');
  if (query.length > 0) url.query = query.map((p) => ({ key: p.name, value: exampleText(p), ...(p.description && { description: p.description }), disabled: true }));
  const [name] = pathParameters(operation.path);
  if (name !== undefined) {
    const described = operation.parameters.find((p) => p.in === 'path' && p.name === name);
    url.variable = [{ key: name, value: `{{${step.path}}}`, ...(described?.description && { description: described.description }) }];
  }
  return url;
}

/** The item's headers: Content-Type with a body, the step's own, then the document's other header parameters, disabled. */
function itemHeaders({ step, operation, body }: ResolvedStep): JsonObject[] {
  const wired = Object.entries(step.headers ?? {});
  const headers: JsonObject[] = body ? [{ key: 'Content-Type', value: 'application/json' }] : [];
  headers.push(...wired.map(([key, variable]) => ({ key, value: `{{${variable}}}` })));
  const taken = new Set([...OWN_HEADERS, ...wired.map(([key]) => key.toLowerCase())]);
  for (const p of operation.parameters.filter((p) => p.in === 'header' && !taken.has(p.name.toLowerCase()))) {
    headers.push({ key: p.name, value: exampleText(p), ...(p.description && { description: p.description }), disabled: true });
  }
  return headers;
}

/** One request of the collection. */
function collectionItem(resolved: ResolvedStep): JsonObject {
  const { step, operation, body } = resolved;
  const prerequest = preRequestScript(step);
  const request: JsonObject = { method: operation.method };
  if (!operation.secured) request.auth = { type: 'noauth' };
  request.header = itemHeaders(resolved);
  if (body) request.body = { mode: 'raw', raw: renderBody(body, (variable) => `{{${variable}}}`), options: { raw: { language: 'json' } } };
  request.url = itemUrl(resolved);
  if (operation.description ?? operation.summary) request.description = operation.description ?? operation.summary;
  return {
    name: operation.summary ?? operation.operationId,
    event: [...(prerequest.length > 0 ? [scriptEvent('prerequest', prerequest)] : []), scriptEvent('test', testScript(step))],
    request,
    response: [],
  };
}

/** The collection's variables: `baseUrl`, the fixed ones, then every variable a step keeps, empty until then. */
function collectionVariables(document: object): JsonObject[] {
  const kept = [...new Set(TUTORIAL.flatMap((step) => Object.keys(step.keep ?? {})))];
  return [
    { key: 'baseUrl', value: baseUrlOf(document), type: 'string' },
    ...Object.entries(FIXED_VARIABLES).map(([key, value]) => ({ key, value, type: 'string' })),
    ...kept.map((key) => ({ key, value: '', type: 'string' })),
  ];
}

/** The Postman collection (v2.1.0) of the tutorial, as a plain JSON object. */
export function postmanCollection(document: object): JsonObject {
  const info = objectAt((document as JsonObject).info ?? {}, 'info');
  const name = typeof info.title === 'string' ? info.title : 'Thunder Notes API';
  const description = [
    typeof info.description === 'string' ? info.description : '',
    'The tutorial in order: run the whole collection, or send the requests from top to bottom (each uses what earlier ones answered: ' +
      'the token after "log in", the note\'s id and ETag after creating and reading it). Set `baseUrl` to where the API listens.',
    'Generated from docs/openapi.json by `npm run docs:postman`; edit the document or src/openapi/postman.ts, not this file.',
  ].filter(Boolean);
  return {
    info: {
      _postman_id: collectionId(name),
      name,
      description: description.join('\n\n'),
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    item: tutorialSteps(document).map(collectionItem),
    auth: { type: 'bearer', bearer: [{ key: 'token', value: `{{${TOKEN_VARIABLE}}}`, type: 'string' }] },
    variable: collectionVariables(document),
  };
}
