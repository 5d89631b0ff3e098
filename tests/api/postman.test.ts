/**
 * The Postman collection and the `.http` file generated from the OpenAPI document (issue 14):
 * Postman's own SDK loads the collection without losing a request, newman (Postman's runner)
 * runs it against the real app on a real port with every request in the tutorial's order and
 * every test passing, the `.http` file's requests run in order with their references resolved
 * as REST Client resolves them, and the checked-in files are what the generator writes now.
 *
 * The collection's JSON Schema is not on npm and the machine has no internet, so loading it with
 * `postman-collection` (the SDK newman and Postman use) and running it is the validation.
 */
// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- postman-collection ships its declarations in types/ without naming them in its package.json.
/// <reference path="../../node_modules/postman-collection/types/index.d.ts" />
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Express } from 'express';
import { Collection, type Event as PostmanEvent, type Item, type Request, type Response } from 'postman-collection';
import { generatedFiles, staleFiles } from '../../scripts/docs';
import { app, createApp } from '../../src/app';
import { openApiDocument } from '../../src/openapi/document';
import { httpFile } from '../../src/openapi/httpFile';
import { baseUrlOf, deref, operationsOf, postmanCollection, TUTORIAL, type JsonObject } from '../../src/openapi/postman';
import { PROJECT_ROOT } from '../../src/utils/projectRoot';
import { useTestDb } from '../helpers/db';
import { makeTempDir, removeDir } from '../helpers/tmp';

/** What newman reports after a run (the part this test reads; newman ships no type declarations). */
interface NewmanSummary {
  run: {
    executions: { item: { name: string }; response?: { code: number }; assertions?: { assertion: string; error?: { message: string } }[] }[];
    failures: { error: { message: string }; source?: { name?: string } }[];
    stats: { requests: { total: number; failed: number }; assertions: { total: number; failed: number } };
  };
}
/** newman's `run`: a callback when done, and the run's events (`request`: each request as sent, with its response). */
interface Newman {
  run(options: JsonObject, callback: (err: Error | null, summary: NewmanSummary) => void): { on(event: 'request', listener: (err: Error | null, args: { request: Request; response: Response }) => void): void };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- newman has no type declarations installed; the interface above is what is used.
const newman = require('newman') as Newman;

useTestDb();

const COLLECTION_FILE = path.join(PROJECT_ROOT, 'docs/thunder-notes.postman_collection.json');
const HTTP_FILE = path.join(PROJECT_ROOT, 'docs/thunder-notes.http');

const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** Starts an app on an ephemeral loopback port; returns its base URL. */
async function listen(application: Express = app): Promise<string> {
  const server = await new Promise<http.Server>((resolve) => {
    const s = application.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A request newman sent and the answer it got. */
interface Sent {
  request: Request;
  response: Response;
}

/** Runs a collection with newman, `baseUrl` pointing at `baseUrl`, no reporters; also returns what was sent, in order. */
function runCollection(collection: JsonObject, baseUrl: string): Promise<{ summary: NewmanSummary; sent: Sent[] }> {
  const sent: Sent[] = [];
  return new Promise((resolve, reject) => {
    const options = { collection, envVar: [{ key: 'baseUrl', value: baseUrl }], reporters: [], timeoutRequest: 10_000 };
    const run = newman.run(options, (err, summary) => (err ? reject(err) : resolve({ summary, sent })));
    run.on('request', (err, { request, response }) => {
      if (!err) sent.push({ request, response });
    });
  });
}

/** The checked-in collection. */
function checkedInCollection(): JsonObject {
  return JSON.parse(fs.readFileSync(COLLECTION_FILE, 'utf8')) as JsonObject;
}

/** What a run did, per request: name, status, and the failed assertions' messages. */
function outcome(summary: NewmanSummary) {
  return summary.run.executions.map((e) => ({
    name: e.item.name,
    status: e.response?.code,
    failed: (e.assertions ?? []).filter((a) => a.error).map((a) => `${a.assertion}: ${a.error?.message}`),
  }));
}

/** A request of the collection in a form both the file's JSON and Postman's SDK give. */
function requestShape(name: string, method: string, auth: string, url: { path: string[]; variable: JsonObject; query: unknown[] }, header: unknown[], body: string | undefined, events: unknown[]) {
  return { name, method, auth, ...url, header, body, events };
}

/** A parameter (query or header) as `{ key, value, disabled }`. */
function keyValue(p: { key?: string | null; value?: unknown; disabled?: boolean }) {
  return { key: p.key, value: p.value, disabled: Boolean(p.disabled) };
}

/** One item of the file, in that form. */
function fileRequest(item: JsonObject) {
  const request = item.request as JsonObject;
  const url = request.url as JsonObject;
  const variables = Object.fromEntries(((url.variable ?? []) as JsonObject[]).map((v) => [v.key, v.value]));
  const events = (item.event as JsonObject[]).map((e) => ({ listen: e.listen, exec: (e.script as JsonObject).exec }));
  const query = ((url.query ?? []) as JsonObject[]).map(keyValue);
  const body = (request.body as JsonObject | undefined)?.raw as string | undefined;
  return requestShape(String(item.name), String(request.method), String((request.auth as JsonObject | undefined)?.type ?? 'bearer'), { path: url.path as string[], variable: variables, query }, (request.header as JsonObject[]).map(keyValue), body, events);
}

/** One item as Postman's SDK reads it (its auth inherited from the collection where it has none). */
function sdkRequest(item: Item) {
  const { request } = item;
  const url = { path: request.url.path ?? [], variable: request.url.variables.toObject(), query: request.url.query.all().map(keyValue) };
  const events = (item.events.all() as PostmanEvent[]).map((e) => ({ listen: e.listen, exec: e.script.exec }));
  const auth = (item.getAuth()?.toJSON() as { type?: string } | undefined)?.type ?? 'none';
  return requestShape(item.name, request.method, auth, url, request.headers.all().map(keyValue), request.body?.raw, events);
}

describe('the Postman collection', () => {
  it('loads in Postman’s SDK as a v2.1.0 collection and keeps every request on the round trip', () => {
    const json = checkedInCollection();
    const collection = new Collection(json);
    const again = new Collection(collection.toJSON());

    expect((json.info as JsonObject).schema).toBe('https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
    expect(collection.id).toBe((json.info as JsonObject)._postman_id);
    const items = json.item as JsonObject[];
    expect(items).toHaveLength(TUTORIAL.length);
    expect(collection.items.all().map(sdkRequest)).toEqual(items.map(fileRequest));
    expect(again.items.all().map(sdkRequest)).toEqual(items.map(fileRequest));
    expect(collection.variables.toObject()).toEqual(Object.fromEntries((json.variable as JsonObject[]).map((v) => [v.key, v.value])));
    expect(collection.variables.get('baseUrl')).toBe('http://localhost:3000');
  });

  it('follows the tutorial: entry point, account, the notes CRUD, profile; the token is the collection’s bearer auth', () => {
    const json = checkedInCollection();
    const requests = (json.item as JsonObject[]).map((item) => {
      const request = item.request as JsonObject;
      return `${String(request.method)} ${((request.url as JsonObject).path as string[]).join('/')}${request.auth ? ' (no auth)' : ''}`;
    });

    expect(requests).toEqual([
      'GET  (no auth)',
      'POST users (no auth)',
      'POST auth (no auth)',
      'GET notes',
      'POST notes',
      'GET notes/:id',
      'PUT notes/:id',
      'PATCH notes/:id',
      'DELETE notes/:id',
      'GET users/:id',
    ]);
    expect(json.auth).toEqual({ type: 'bearer', bearer: [{ key: 'token', value: '{{token}}', type: 'string' }] });
  });

  it('runs in newman against the real API: every request in order, with the status it expects, and no failed test', async () => {
    const collection = checkedInCollection();
    const { summary } = await runCollection(collection, await listen());

    const names = (collection.item as JsonObject[]).map((item) => item.name);
    expect(outcome(summary)).toEqual(TUTORIAL.map((step, i) => ({ name: names[i], status: step.status, failed: [] })));
    expect(summary.run.failures).toEqual([]);
    expect(summary.run.stats.requests).toMatchObject({ total: TUTORIAL.length, failed: 0 });
    // One status test per request, and one per variable read from an answer.
    const kept = TUTORIAL.flatMap((step) => Object.values(step.keep ?? {}).filter((source) => !('generated' in source)));
    expect(summary.run.stats.assertions).toEqual({ total: TUTORIAL.length + kept.length, failed: 0, pending: 0 });
  }, 60_000);

  it('wires each request to the answers before it: the token, the new note’s Location, the latest ETag, the profile’s id', async () => {
    const { sent } = await runCollection(checkedInCollection(), await listen(createApp({ requireIfMatch: true })));

    const step = Object.fromEntries(TUTORIAL.map((s, i) => [s.key, sent[i]]));
    const login = step.login.response.json() as { access_token: string; user: { id: string } };
    const operations = operationsOf(openApiDocument());
    const authorizations = TUTORIAL.map((s, i) => [s.key, sent[i].request.headers.get('Authorization')]);
    expect(authorizations).toEqual(TUTORIAL.map((s) => [s.key, operations.get(s.operationId)?.secured ? `Bearer ${login.access_token}` : undefined]));
    const registered = JSON.parse(step.register.request.body?.raw ?? '') as { email: string; password: string };
    expect(JSON.parse(step.login.request.body?.raw ?? '')).toEqual({ email: registered.email, password: registered.password });
    expect(step.getNote.request.url.getPath()).toBe(step.create.response.headers.get('Location'));
    expect(step.replace.request.headers.get('If-Match')).toBe(step.getNote.response.headers.get('ETag'));
    expect(step.edit.request.headers.get('If-Match')).toBe(step.replace.response.headers.get('ETag'));
    expect(step.delete.request.headers.get('If-Match')).toBe(step.edit.response.headers.get('ETag'));
    expect(step.profile.request.url.getPath()).toBe(`/users/${login.user.id}`);
    expect(sent.map((s) => s.response.code)).toEqual(TUTORIAL.map((s) => s.status));
  }, 60_000);

  it('registers a new account on each run, so it can be run again and again', async () => {
    const baseUrl = await listen();

    const first = await runCollection(checkedInCollection(), baseUrl);
    const second = await runCollection(checkedInCollection(), baseUrl);

    expect(second.summary.run.failures).toEqual([]);
    const emails = [first, second].map(({ sent }) => (JSON.parse(sent[1].request.body?.raw ?? '') as { email: string }).email);
    expect(emails[0]).toMatch(/^reader-[0-9a-f-]{36}@example\.com$/);
    expect(emails[1]).not.toBe(emails[0]);
  }, 60_000);

  it('reports a failed test when the API answers otherwise (the run’s checks can fail)', async () => {
    const collection = checkedInCollection();
    const items = collection.item as JsonObject[];
    // Log in with a wrong password: 401 instead of 200, so no token is stored and the next protected request is refused too.
    const login = items[2].request as JsonObject;
    (login.body as JsonObject).raw = String((login.body as JsonObject).raw).replace('{{password}}', 'wrong password');

    const { summary } = await runCollection(collection, await listen());

    const statuses = outcome(summary).map((o) => o.status);
    expect(statuses.slice(0, 4)).toEqual([200, 201, 401, 401]);
    expect(summary.run.stats.assertions.failed).toBeGreaterThan(0);
    expect(outcome(summary)[2].failed[0]).toMatch(/^Status is 200 OK: expected response to have status code 200 but got 401/);
  }, 60_000);
});

/** One request of an `.http` file: name, request line, headers, body. */
interface HttpRequest {
  name: string;
  method: string;
  url: string;
  headers: [string, string][];
  body: string;
}

/** Parses the `.http` file: `@name = value` file variables, then `###`-separated requests. */
function parseHttpFile(text: string): { variables: Record<string, string>; requests: HttpRequest[] } {
  const [head, ...blocks] = text.split(/^###.*$/m);
  const variables = Object.fromEntries([...head.matchAll(/^@(\w+)\s*=\s*(.*)$/gm)].map((m) => [m[1], m[2].trim()]));
  const requests = blocks.map((block) => {
    const lines = block.split('\n').filter((line, i, all) => !(line.startsWith('#') && all.slice(0, i).every((l) => l === '' || l.startsWith('#'))));
    const name = /^# @name (\S+)$/m.exec(block)?.[1] ?? '';
    const start = lines.findIndex((line) => line.trim() !== '');
    const [method, url] = lines[start].split(' ');
    const blank = lines.indexOf('', start);
    const headerLines = lines.slice(start + 1, blank === -1 ? undefined : blank);
    const headers = headerLines.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()] as [string, string]);
    return { name, method, url, headers, body: blank === -1 ? '' : lines.slice(blank).join('\n').trim() };
  });
  return { variables, requests };
}

/** What a named request sent and received, as REST Client keeps it for references. */
interface Exchange {
  request: { headers: Headers; body: unknown };
  response: { headers: Headers; body: unknown };
}

/** Resolves `{{...}}` as REST Client does: file variables, `$guid`, `name.(request|response).(body|headers).path`. */
function resolve(text: string, variables: Record<string, string>, exchanges: Map<string, Exchange>): string {
  return text.replace(/\{\{([^}]+)\}\}/g, (_m, expression: string) => {
    if (expression === '$guid') return crypto.randomUUID();
    if (expression in variables) return resolve(variables[expression], variables, exchanges);
    const match = /^(\w+)\.(request|response)\.(body|headers)\.(.+)$/.exec(expression);
    const exchange = match && exchanges.get(match[1]);
    if (!match || !exchange) throw new Error(`unresolved {{${expression}}}`);
    const part = exchange[match[2] as 'request' | 'response'];
    if (match[3] === 'headers') return part.headers.get(match[4]) ?? '';
    const value = match[4]
      .replace(/^\$\.?/, '')
      .split('.')
      .reduce<unknown>((node, key) => (node as JsonObject)[key], part.body);
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

describe('the .http file', () => {
  it('runs against the real API from top to bottom, each reference resolved from the named answer it names', async () => {
    const baseUrl = await listen(createApp({ requireIfMatch: true }));
    const { variables, requests } = parseHttpFile(fs.readFileSync(HTTP_FILE, 'utf8'));
    variables.baseUrl = baseUrl;
    const exchanges = new Map<string, Exchange>();
    const statuses: [string, number][] = [];

    for (const request of requests) {
      const headers = new Headers(request.headers.map(([name, value]) => [name, resolve(value, variables, exchanges)]));
      const body = request.body ? resolve(request.body, variables, exchanges) : undefined;
      const res = await fetch(resolve(request.url, variables, exchanges), { method: request.method, headers, body });
      const text = await res.text();
      statuses.push([request.name, res.status]);
      exchanges.set(request.name, {
        request: { headers, body: body === undefined ? undefined : JSON.parse(body) },
        response: { headers: res.headers, body: text ? JSON.parse(text) : undefined },
      });
    }

    expect(statuses).toEqual(TUTORIAL.map((step) => [step.key, step.status]));
    expect(requests.map((r) => `${r.method} ${r.url}`).slice(0, 3)).toEqual(['GET {{baseUrl}}/', 'POST {{baseUrl}}/users', 'POST {{baseUrl}}/auth']);
  }, 30_000);
});

describe('the generated files', () => {
  it('are current: docs/ holds what `npm run docs:postman` writes now (the CI check)', () => {
    expect(staleFiles()).toEqual([]);
    expect(fs.readFileSync(path.join(PROJECT_ROOT, 'docs/openapi.json'), 'utf8')).toBe(`${JSON.stringify(openApiDocument(), null, 2)}\n`);
  });

  it('are deterministic, and the check names every file that is missing or differs', () => {
    const dir = makeTempDir('tn-docs-');
    try {
      const files = generatedFiles();
      expect(generatedFiles()).toEqual(files);
      expect(postmanCollection(openApiDocument())).toEqual(postmanCollection(openApiDocument()));
      expect(httpFile(openApiDocument())).toBe(files[2].content);
      expect(staleFiles(dir, files)).toEqual(['docs/openapi.json', 'docs/thunder-notes.postman_collection.json', 'docs/thunder-notes.http']);

      fs.mkdirSync(path.join(dir, 'docs'));
      for (const { file, content } of files) fs.writeFileSync(path.join(dir, file), content);
      expect(staleFiles(dir, files)).toEqual([]);
      fs.appendFileSync(path.join(dir, 'docs/thunder-notes.http'), '\n');
      expect(staleFiles(dir, files)).toEqual(['docs/thunder-notes.http']);
    } finally {
      removeDir(dir);
    }
  });

  it('fails generation, naming the operation, when the document no longer fits the tutorial', () => {
    const document = structuredClone(openApiDocument()) as JsonObject;
    const paths = document.paths as Record<string, JsonObject>;
    delete (paths['/notes/{id}'].put as JsonObject).responses;
    (paths['/notes/{id}'].put as JsonObject).responses = { '200': { description: 'ok' } };
    expect(() => postmanCollection(document)).toThrow('The tutorial expects 204 from replaceNote, which the document does not list (it lists 200)');

    delete paths['/auth'];
    expect(() => httpFile(document)).toThrow('The document has no operation login, which the tutorial uses');
  });
});

describe('reading an OpenAPI document (a small sample, independent of ours)', () => {
  const SAMPLE = {
    openapi: '3.1.0',
    info: { title: 'Sample', version: '1' },
    servers: [{ url: '/' }, { url: 'https://api.example.org/v1/' }],
    security: [{ bearerAuth: [] }],
    paths: {
      '/things/{thingId}': {
        parameters: [{ $ref: '#/components/parameters/ThingId' }, { name: 'X-Trace', in: 'header', description: 'path-level' }],
        put: {
          operationId: 'putThing',
          parameters: [
            { name: 'x-trace', in: 'header', description: 'operation-level', example: 'abc' },
            { name: 'dryRun', in: 'query', schema: { type: 'boolean', default: false } },
          ],
          requestBody: { content: { 'application/json': { examples: { first: { $ref: '#/components/examples/Thing' } } } } },
          responses: { '2XX': { description: 'ok' } },
        },
        get: { operationId: 'getThing', security: [], responses: { '200': { description: 'ok' } } },
        delete: { responses: { '204': { description: 'gone' } } },
      },
      '/made': {
        post: { operationId: 'make', security: [{}], requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Made' } } } }, responses: {} },
      },
    },
    components: {
      parameters: { ThingId: { name: 'thingId', in: 'path', required: true, schema: { type: 'string', examples: ['7'] } } },
      examples: { Thing: { value: { name: 'a thing', size: 3 } } },
      schemas: {
        Made: {
          type: 'object',
          properties: {
            email: { type: 'string', format: 'email' },
            count: { type: 'integer', minimum: 1 },
            tags: { type: 'array', items: { type: 'string', enum: ['x', 'y'] } },
            flag: { type: ['boolean', 'null'] },
            nested: { allOf: [{ $ref: '#/components/schemas/Nested' }] },
            label: { type: 'string', const: 'fixed' },
            other: {},
          },
        },
        Nested: { type: 'object', properties: { n: { type: 'number' } } },
      },
    },
  };

  it('finds each operation by operationId with its parameters, body example, security and statuses', () => {
    const operations = operationsOf(SAMPLE);

    expect([...operations.keys()]).toEqual(['getThing', 'putThing', 'make']);
    expect(operations.get('putThing')).toEqual({
      operationId: 'putThing',
      method: 'PUT',
      path: '/things/{thingId}',
      parameters: [
        { name: 'thingId', in: 'path', example: '7' },
        { name: 'x-trace', in: 'header', description: 'operation-level', example: 'abc' },
        { name: 'dryRun', in: 'query', example: false },
      ],
      body: { name: 'a thing', size: 3 },
      secured: true,
      statuses: ['2XX'],
    });
    expect(operations.get('getThing')).toMatchObject({ secured: false, body: undefined, parameters: [{ name: 'thingId' }, { name: 'X-Trace', description: 'path-level' }] });
    expect(operations.get('make')).toMatchObject({
      secured: false,
      body: { email: 'reader@example.com', count: 1, tags: ['x'], flag: false, nested: { n: 0 }, label: 'fixed', other: 'string' },
    });
    expect(baseUrlOf(SAMPLE)).toBe('https://api.example.org/v1');
    expect(baseUrlOf({ servers: [{ url: '/' }] })).toBe('http://localhost:3000');
  });

  it('follows only local $refs that lead somewhere', () => {
    expect(deref(SAMPLE, { $ref: '#/components/examples/Thing' })).toEqual({ value: { name: 'a thing', size: 3 } });
    expect(() => deref(SAMPLE, { $ref: '#/components/schemas/Missing' })).toThrow('$ref #/components/schemas/Missing leads nowhere');
    expect(() => deref(SAMPLE, { $ref: 'other.json#/x' })).toThrow('only local $refs are read, not other.json#/x');
    expect(() => operationsOf({ paths: { '/x': { get: 'not an operation' } } })).toThrow('get /x is not an object');
  });
});
