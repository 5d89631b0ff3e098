/**
 * Issue 14: the API describes itself. `GET /openapi.json` is a valid OpenAPI 3.1 document
 * (checked by an independent validator), linked from `/` as `service-desc` (body and Link
 * header), cacheable; its schemas are the zod schemas' own conversion; it lists exactly the
 * routes the route table has; and the response check that every API test runs through
 * (tests/helpers/openapiHook.ts) really fails on what the document does not say.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { app } from '../../src/app';
import { config } from '../../src/config';
import { openApiDocument } from '../../src/openapi/document';
import { logger } from '../../src/logger';
import { createRouter } from '../../src/routes';
import { docsPage } from '../../src/docsPage';
import * as noteSchemas from '../../src/schemas/noteSchemas';
import * as userSchemas from '../../src/schemas/userSchemas';
import { violationsOf } from '../helpers/openapiValidation';
import { useTestDb } from '../helpers/db';
import { newNote, newUser } from './helpers';
import { parseLinkHeader } from './linkHeader';

useTestDb();

const VALIDATOR_CLI = path.join(__dirname, '..', '..', 'node_modules', '@seriousme', 'openapi-schema-validator', 'bin', 'validate-api-cli.js');

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document (an independent validator: @seriousme/openapi-schema-validator)', async () => {
    const res = await request(app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body.openapi).toMatch(/^3\.1\./);

    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tn-openapi-')), 'openapi.json');
    fs.writeFileSync(file, res.text);
    const verdict = JSON.parse(execFileSync(process.execPath, [VALIDATOR_CLI, file], { encoding: 'utf8' })) as { valid: boolean; errors?: unknown };
    expect(verdict).toEqual({ valid: true });
  });

  it('the validator does refuse a broken document (the check above can fail)', () => {
    const broken = { ...openApiDocument(), paths: { '/notes': { get: { responses: 'none' } } } };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tn-openapi-')), 'broken.json');
    fs.writeFileSync(file, JSON.stringify(broken));
    expect(() => execFileSync(process.execPath, [VALIDATOR_CLI, file], { encoding: 'utf8', stdio: 'pipe' })).toThrow();
  });

  it('is public and cacheable: a strong ETag, 304 when current, HEAD without a body', async () => {
    const first = await request(app).get('/openapi.json');
    expect(first.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(first.headers['cache-control']).toBe('no-cache');

    const again = await request(app).get('/openapi.json').set('If-None-Match', first.headers.etag);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');

    const head = await request(app).head('/openapi.json');
    expect(head.status).toBe(200);
    expect(head.headers.etag).toBe(first.headers.etag);
  });

  it('is linked from / as service-desc (with its page as service-doc), in the body and in the Link header (RFC 8631)', async () => {
    const root = await request(app).get('/');
    expect(root.body.links).toEqual(
      expect.arrayContaining([
        { rel: 'service-desc', href: '/openapi.json', method: 'GET' },
        { rel: 'service-doc', href: '/docs', method: 'GET' },
      ]),
    );
    expect(parseLinkHeader(root.headers.link)).toEqual(
      expect.arrayContaining([
        { href: '/openapi.json', rel: 'service-desc' },
        { href: '/docs', rel: 'service-doc' },
      ]),
    );
  });

  it('answers 405 with Allow to other methods, like every path of the route table', async () => {
    const res = await request(app).post('/openapi.json').send({});
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS');
  });
});

describe('the document is generated, not kept by hand', () => {
  const doc = openApiDocument();
  const schemas = doc.components.schemas as Record<string, unknown>;
  const converted = (schema: z.ZodType) => {
    const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    return rest;
  };

  it.each([
    ['CreateNoteRequest', noteSchemas.createNote.body],
    ['ReplaceNoteRequest', noteSchemas.replaceNote.body],
    ['RegisterRequest', userSchemas.register.body],
  ])('%s is the conversion of the zod schema that validates the request', (name, schema) => {
    expect(schemas[name]).toEqual(converted(schema));
  });

  it('the list parameters are the list query schema’s, with the sort and order values', () => {
    const parameters = doc.paths['/notes'].get.parameters as Array<{ name: string; schema: { enum?: string[] } }>;
    expect(parameters.map((p) => p.name ?? (p as { $ref?: string }).$ref)).toEqual(['q', 'sort', 'order', 'limit', 'page', 'fields', 'cursor', '#/components/parameters/ApiVersion']);
    expect(parameters.find((p) => p.name === 'sort')?.schema.enum).toEqual([...noteSchemas.SORT_FIELDS]);
  });

  it('documents exactly the routes of the route table, with the same methods', () => {
    const router = createRouter({ rateLimits: config.rateLimits, metrics: config.metrics, logger, requireIfMatch: false });
    const routes = new Map<string, Set<string>>();
    // The route table, and the docs page's own route (src/docsPage.ts mounts /docs beside the page's files).
    for (const layer of [...router.stack, ...docsPage({ sourceMaps: false }).stack]) {
      if (!layer.route) continue;
      const methods = routes.get(layer.route.path) ?? new Set<string>();
      for (const routeLayer of layer.route.stack) if (routeLayer.method && routeLayer.method !== '_all') methods.add(routeLayer.method);
      routes.set(String(layer.route.path), methods);
    }
    const fromRouter = Object.fromEntries([...routes].map(([p, methods]) => [p.replace(/:(\w+)/g, '{$1}'), [...methods].sort()]));
    const fromDocument = Object.fromEntries(Object.entries(doc.paths).map(([p, item]) => [p, Object.keys(item).sort()]));
    expect(fromDocument).toEqual(fromRouter);
  });
});

describe('the response check every API test runs through', () => {
  /** A stand-in server for the real GET /notes/{id}, answering what the test says. */
  function fake(status: number, body: unknown, headers: Record<string, string> = { 'API-Version': '1', 'X-Request-Id': 'r1' }) {
    return express().get('/notes/:id', (_req, res) => {
      res.status(status).set(headers).type('application/json').send(JSON.stringify(body));
    });
  }
  const note = { id: '1', text: 'a', createdAt: 1, updatedAt: 2, links: [{ rel: 'self', href: '/notes/1', method: 'GET' }] };

  it('passes a documented answer (so the failures below are about what they change)', async () => {
    await expect(request(fake(200, note)).get('/notes/1')).resolves.toMatchObject({ status: 200 });
  });

  it('fails on an undocumented field', async () => {
    await expect(request(fake(200, { ...note, secret: 'x' })).get('/notes/1')).rejects.toThrow(/not what \/openapi\.json documents[\s\S]*secret/);
  });

  it('fails on an undocumented status', async () => {
    await expect(request(fake(418, note)).get('/notes/1')).rejects.toThrow(/status 418 is not documented for getNote/);
  });

  it('fails on a missing required header', async () => {
    await expect(request(fake(200, note, { 'X-Request-Id': 'r1' })).get('/notes/1')).rejects.toThrow(/required header API-Version is missing/);
  });

  it('fails on a wrong type and on an undocumented path that is not a 404', async () => {
    const wrongType = violationsOf({ method: 'GET', path: '/notes/1', status: 200, headers: { 'api-version': '1', 'x-request-id': 'r', 'content-type': 'application/json' }, body: { ...note, createdAt: 'yesterday' }, text: 'x' });
    expect(wrongType.join('\n')).toMatch(/body\/createdAt must be integer/);
    expect(violationsOf({ method: 'GET', path: '/secret', status: 200, headers: {}, body: {}, text: '{}' })).toEqual(['GET /secret → 200: the path is not documented (only a 404 may answer it)']);
  });

  it('checks real answers too: a note, a page, a problem, HAL', async () => {
    const user = await newUser('Described');
    const created = await newNote(user, 'described');
    const answers = await Promise.all([
      request(app).get(`/notes/${created.id}`).set(user.auth),
      request(app).get('/notes?limit=1').set(user.auth).set('Accept', 'application/hal+json'),
      request(app).get('/notes/999999').set(user.auth),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 404]);
    const tampered = { ...answers[0].body, owner: user.id };
    expect(violationsOf({ method: 'GET', path: `/notes/${created.id}`, status: 200, headers: answers[0].headers, body: tampered, text: JSON.stringify(tampered) }).join('\n')).toMatch(/owner/);
  });
});
