/**
 * The tutorial as an `.http` file for VS Code's REST Client: the same steps, in the same order,
 * as the Postman collection (postman.ts), from the same OpenAPI document. Where Postman stores
 * a variable in a script, the file refers to the answer of the named request that holds it, in
 * REST Client's request-variable syntax (`{{login.response.body.$.access_token}}`,
 * `{{create.response.headers.Location}}`, `{{register.request.body.$.email}}`), which other
 * editors' clients that follow REST Client read too (kulala.nvim). httpyac does not: it names a
 * response by its parsed body (`{{login.access_token}}`), so it cannot run this file as is.
 */
import { STATUS_CODES } from 'node:http';
import { baseUrlOf, FIXED_VARIABLES, pathParameters, renderBody, TOKEN_VARIABLE, tutorialSteps, type JsonObject, type ResolvedStep, type Source } from './postman';

/** Where a variable is found at some step: the earlier step that set it last, and how. */
interface Origin {
  key: string;
  source: Source;
  /** The step's body member that holds a generated value (it is referred to as sent). */
  member?: string;
  /** Whether the origin is the very step that refers to it (a generated value is written in place). */
  here: boolean;
}

/** The step at or before `index` that last set `variable`: a generated value at `index` itself, any other before it. */
function originOf(steps: ResolvedStep[], index: number, variable: string): Origin {
  for (let i = index; i >= 0; i--) {
    const { step } = steps[i];
    const source = step.keep?.[variable];
    if (!source || (i === index && !('generated' in source))) continue;
    const member = Object.entries(step.body ?? {}).find(([, v]) => v === variable)?.[0];
    return { key: step.key, source, here: i === index, ...(member !== undefined && { member }) };
  }
  throw new Error(`The .http file has no value for ${variable} at step ${steps[index].step.key}`);
}

/** How the file writes a variable at step `index`: a file variable, or a reference to an earlier request. */
function reference(steps: ResolvedStep[], index: number, variable: string): string {
  if (variable === 'baseUrl' || variable in FIXED_VARIABLES) return `{{${variable}}}`;
  const origin = originOf(steps, index, variable);
  const { source } = origin;
  if ('generated' in source) {
    if (origin.here) return source.generated;
    if (origin.member === undefined) throw new Error(`${variable} is made at ${origin.key} but sent in no body member there`);
    return `{{${origin.key}.request.body.$.${origin.member}}}`;
  }
  if ('json' in source) return `{{${origin.key}.response.body.$.${source.json}}}`;
  if (source.lastSegment) throw new Error(`${variable} (part of ${origin.key}'s ${source.header}) can only be followed as a URL`);
  return `{{${origin.key}.response.headers.${source.header}}}`;
}

/** The request URL: the document's path, its parameter filled; a variable taken from a `Location` is followed as the URL itself. */
function requestUrl(steps: ResolvedStep[], index: number): string {
  const { step, operation } = steps[index];
  if (!step.path) return `{{baseUrl}}${operation.path}`;
  const origin = originOf(steps, index, step.path);
  if ('header' in origin.source && origin.source.lastSegment) return `{{baseUrl}}{{${origin.key}.response.headers.${origin.source.header}}}`;
  const [name] = pathParameters(operation.path);
  return `{{baseUrl}}${operation.path.replace(`{${name}}`, reference(steps, index, step.path))}`;
}

/** One request: a `###` separator with its title, its name, the status it expects, then the HTTP request. */
function requestBlock(steps: ResolvedStep[], index: number): string {
  const { step, operation, body } = steps[index];
  const lines = [`### ${operation.summary ?? operation.operationId}`, `# @name ${step.key}`, `# Expects ${step.status} ${STATUS_CODES[step.status] ?? ''}`.trimEnd()];
  lines.push(`${operation.method} ${requestUrl(steps, index)}`);
  if (operation.secured) lines.push(`Authorization: Bearer ${reference(steps, index, TOKEN_VARIABLE)}`);
  for (const [header, variable] of Object.entries(step.headers ?? {})) lines.push(`${header}: ${reference(steps, index, variable)}`);
  if (body) lines.push('Content-Type: application/json', '', renderBody(body as JsonObject, (variable) => reference(steps, index, variable)));
  return lines.join('\n');
}

/** The `.http` file of the tutorial, generated from the OpenAPI document. */
export function httpFile(document: object): string {
  const steps = tutorialSteps(document);
  const title = ((document as JsonObject).info as JsonObject | undefined)?.title ?? 'Thunder Notes API';
  const header = [
    `# ${String(title)}: the tutorial's requests in order, for VS Code's REST Client (humao.rest-client).`,
    '# Start the API (`npm start`) and send the requests from top to bottom: each one uses what',
    '# earlier ones answered (the token after logging in, the note\'s URL and ETag).',
    '# Generated from docs/openapi.json by `npm run docs:postman`; do not edit by hand.',
    '',
    `@baseUrl = ${baseUrlOf(document)}`,
    ...Object.entries(FIXED_VARIABLES).map(([name, value]) => `@${name} = ${value}`),
  ].join('\n');
  return `${[header, ...steps.map((_, index) => requestBlock(steps, index))].join('\n\n')}\n`;
}
