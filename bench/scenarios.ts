/**
 * The scenarios of the issue, in the order they run (reads first: the writes change the
 * benchmark user's data), and the steps around them: logging in, fetching the ETag for the
 * conditional GET, and recording the API's exact response to each request so the baselines
 * can send the same status and body size.
 */
import http from 'node:http';
import type { BaselineKind, BaselineRoute } from './baselineServer';
import { httpOptions, type LoadRequest } from './load';
import type { BenchUser } from './seedData';

/** What the scenarios need to know about the seeded data and the logged-in user. */
export interface ScenarioContext {
  token: string;
  /** The logged-in user's id (the notes' `owner`). */
  userId: string;
  /** Note read by GET /notes/{id} and the conditional GET. */
  noteId: string;
  /** ETag of that note, for If-None-Match. */
  etag: string;
  /** Note changed by PATCH (a different one, so the reads are unaffected if the order changes). */
  patchNoteId: string;
}

export interface Scenario {
  key: string;
  /** As printed in the table. */
  name: string;
  baseline: BaselineKind;
  method: LoadRequest['method'];
  /** Express route pattern the baseline registers. */
  routePath: string;
  expectedStatus: number;
  /** Only measured in durable mode too when true (the writes are what durability changes). */
  write: boolean;
  request(ctx: ScenarioContext): LoadRequest;
}

const JSON_TYPE = 'application/json';

function auth(ctx: ScenarioContext, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${ctx.token}`, ...extra };
}

/** Text sent by POST and PATCH: a typical short note. */
export const WRITE_TEXT = 'Benchmark note: buy milk, call Ada about the deploy, review the draft plan.';

export const SCENARIOS: Scenario[] = [
  {
    key: 'root',
    name: 'GET /',
    baseline: 'bare',
    method: 'GET',
    routePath: '/',
    expectedStatus: 200,
    write: false,
    request: () => ({ method: 'GET', path: '/', expectedStatus: 200 }),
  },
  {
    key: 'list',
    name: 'GET /notes?limit=10',
    baseline: 'jwt',
    method: 'GET',
    routePath: '/notes',
    expectedStatus: 200,
    write: false,
    request: (ctx) => ({ method: 'GET', path: '/notes?limit=10', headers: auth(ctx), expectedStatus: 200 }),
  },
  {
    key: 'listPage50',
    name: 'GET /notes?limit=10&page=50',
    baseline: 'jwt',
    method: 'GET',
    routePath: '/notes',
    expectedStatus: 200,
    write: false,
    request: (ctx) => ({ method: 'GET', path: '/notes?limit=10&page=50', headers: auth(ctx), expectedStatus: 200 }),
  },
  {
    key: 'note',
    name: 'GET /notes/{id}',
    baseline: 'jwt',
    method: 'GET',
    routePath: '/notes/:id',
    expectedStatus: 200,
    write: false,
    request: (ctx) => ({ method: 'GET', path: `/notes/${ctx.noteId}`, headers: auth(ctx), expectedStatus: 200 }),
  },
  {
    key: 'note304',
    name: 'GET /notes/{id} (If-None-Match → 304)',
    baseline: 'jwt',
    method: 'GET',
    routePath: '/notes/:id',
    expectedStatus: 304,
    write: false,
    request: (ctx) => ({
      method: 'GET',
      path: `/notes/${ctx.noteId}`,
      headers: auth(ctx, { 'if-none-match': ctx.etag }),
      expectedStatus: 304,
    }),
  },
  {
    key: 'create',
    name: 'POST /notes',
    baseline: 'jwt',
    method: 'POST',
    routePath: '/notes',
    expectedStatus: 201,
    write: true,
    request: (ctx) => ({
      method: 'POST',
      path: '/notes',
      headers: auth(ctx, { 'content-type': JSON_TYPE }),
      body: JSON.stringify({ text: WRITE_TEXT }),
      expectedStatus: 201,
    }),
  },
  {
    key: 'patch',
    name: 'PATCH /notes/{id}',
    baseline: 'jwt',
    method: 'PATCH',
    routePath: '/notes/:id',
    expectedStatus: 204,
    write: true,
    request: (ctx) => ({
      method: 'PATCH',
      path: `/notes/${ctx.patchNoteId}`,
      headers: auth(ctx, { 'content-type': JSON_TYPE }),
      body: JSON.stringify({ text: `${WRITE_TEXT} (edited)` }),
      expectedStatus: 204,
    }),
  },
];

/**
 * The peer's requests (express-restify-mongoose over the same database, bench/peerServer.ts),
 * one per API scenario it is compared with: the same note by id, the same owner's page in the
 * API's default order (updatedAt, then seq, ascending). No token: the peer has no auth.
 */
export interface PeerScenario {
  /** The API scenario it is compared with. */
  key: 'note' | 'list' | 'listPage50';
  name: string;
  request(ctx: ScenarioContext): LoadRequest;
}

/** The peer's list URL for `owner`'s page `page` of 10 (erm pages with skip). */
export function peerListPath(owner: string, page: number, limit = 10): string {
  const query = encodeURIComponent(JSON.stringify({ owner }));
  const skip = page > 1 ? `&skip=${(page - 1) * limit}` : '';
  return `/api/v1/Note?limit=${limit}${skip}&sort=${encodeURIComponent('updatedAt seq')}&query=${query}`;
}

export const PEER_SCENARIOS: PeerScenario[] = [
  {
    key: 'list',
    name: 'GET /api/v1/Note?limit=10&sort=…&query={owner}',
    request: (ctx) => ({ method: 'GET', path: peerListPath(ctx.userId, 1), expectedStatus: 200 }),
  },
  {
    key: 'listPage50',
    name: 'GET /api/v1/Note?limit=10&skip=490&sort=…&query={owner}',
    request: (ctx) => ({ method: 'GET', path: peerListPath(ctx.userId, 50), expectedStatus: 200 }),
  },
  {
    key: 'note',
    name: 'GET /api/v1/Note/{id}',
    request: (ctx) => ({ method: 'GET', path: `/api/v1/Note/${ctx.noteId}`, expectedStatus: 200 }),
  },
];

/** Logs in over HTTP (POST /auth) and returns the access token. */
export async function login(baseUrl: string, user: Pick<BenchUser, 'email' | 'password'>): Promise<string> {
  const res = await fetch(`${baseUrl}/auth`, {
    method: 'POST',
    headers: { 'content-type': JSON_TYPE },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: string };
  const token = res.headers.get('x-access-token') ?? body.access_token;
  if (res.status !== 200 || !token) throw new Error(`POST /auth answered ${res.status}; cannot log in as ${user.email}`);
  return token;
}

/** Logs in and reads the ETag of the note the conditional GET uses. */
export async function prepareContext(baseUrl: string, user: BenchUser): Promise<ScenarioContext> {
  if (user.noteIds.length < 2) throw new Error('the benchmark user needs at least two notes');
  const token = await login(baseUrl, user);
  const [noteId, patchNoteId] = user.noteIds;
  const res = await fetch(`${baseUrl}/notes/${noteId}`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  const etag = res.headers.get('etag');
  if (res.status !== 200 || !etag) throw new Error(`GET /notes/${noteId} answered ${res.status} with ETag ${etag}`);
  return { token, userId: user.id, noteId, etag, patchNoteId };
}

/**
 * One request with exactly the headers given (node:http, not fetch: fetch adds
 * `Cache-Control: no-cache` to a conditional request, which rightly defeats the 304).
 * Resolves with the status and the parsed body (null when empty).
 */
export async function sendOnce(baseUrl: string, req: LoadRequest): Promise<{ status: number; body: unknown; bytes: number }> {
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = http.request(httpOptions(baseUrl, req), (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    request.on('error', reject);
    request.end(req.body);
  });
  let body: unknown = null;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  return { status, body, bytes: Buffer.byteLength(text) };
}

/**
 * Sends every scenario's request once to the API and returns the responses as baseline routes.
 * A scenario whose answer is not the expected status is reported in `failures` (the API may
 * still be incomplete); its baseline still gets the answer, so nothing crashes.
 */
export async function captureResponses(
  baseUrl: string,
  scenarios: Scenario[],
  ctx: ScenarioContext,
): Promise<{ routes: Map<string, BaselineRoute>; failures: Map<string, string> }> {
  const routes = new Map<string, BaselineRoute>();
  const failures = new Map<string, string>();
  for (const scenario of scenarios) {
    const req = scenario.request(ctx);
    const { status, body } = await sendOnce(baseUrl, req);
    if (status !== scenario.expectedStatus) {
      failures.set(scenario.key, `expected ${scenario.expectedStatus}, got ${status}: ${JSON.stringify(body).slice(0, 200)}`);
    }
    routes.set(scenario.key, {
      method: req.method,
      routePath: scenario.routePath,
      url: req.path,
      ifNoneMatch: req.headers?.['if-none-match'],
      status,
      body,
    });
  }
  return { routes, failures };
}

/** The note ids in an API list body (`{ notes: [{ id }] }`), a peer list body (`[{ id }]`) or a single note (`{ id }`). */
export function noteIdsOf(body: unknown): string[] {
  const list = Array.isArray(body) ? body : (body as { notes?: unknown })?.notes;
  if (Array.isArray(list)) return list.map((n) => String((n as { id?: unknown })?.id));
  const id = (body as { id?: unknown } | null)?.id;
  return id === undefined ? [] : [String(id)];
}

/**
 * Asks the peer each of its requests once and checks it answers with the same notes as the API
 * (same ids, same order): otherwise the two would not be doing the same read. Returns, per
 * scenario key, why it cannot be compared.
 */
export async function checkPeer(apiUrl: string, peerUrl: string, ctx: ScenarioContext): Promise<Map<string, string>> {
  const failures = new Map<string, string>();
  for (const peer of PEER_SCENARIOS) {
    const ours = SCENARIOS.find((s) => s.key === peer.key);
    if (!ours) continue;
    const [mine, theirs] = [await sendOnce(apiUrl, ours.request(ctx)), await sendOnce(peerUrl, peer.request(ctx))];
    const [a, b] = [noteIdsOf(mine.body), noteIdsOf(theirs.body)];
    if (theirs.status !== 200) failures.set(peer.key, `the peer answered ${theirs.status}: ${JSON.stringify(theirs.body).slice(0, 200)}`);
    else if (mine.status !== 200) failures.set(peer.key, `the API answered ${mine.status}`);
    else if (a.length === 0 || a.join(',') !== b.join(',')) failures.set(peer.key, `different notes: API [${a.join(',')}], peer [${b.join(',')}]`);
  }
  return failures;
}
