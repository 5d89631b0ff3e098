/** Arrange helpers for the API tests: fresh users with unique emails, tokens and notes. */
import request from 'supertest';
import { app } from '../../src/app';
import { uniqueEmail } from '../helpers/ids';

/** A registered, logged-in user. */
export interface TestUser {
  id: string;
  name: string;
  email: string;
  password: string;
  token: string;
  auth: { Authorization: string };
}

/** Registers a new user through the API and logs them in. */
export async function newUser(name = 'Tester'): Promise<TestUser> {
  const email = uniqueEmail(name.toLowerCase());
  const password = 'correct horse';
  const reg = await request(app).post('/users').send({ name, email, password });
  if (reg.status !== 201) throw new Error(`registration failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  const auth = await request(app).post('/auth').send({ email, password });
  if (auth.status !== 200) throw new Error(`login failed: ${auth.status}`);
  const token = auth.body.access_token as string;
  return { id: reg.body.id, name, email, password, token, auth: { Authorization: `Bearer ${token}` } };
}

/** A note as the API returns it. */
export interface NoteBody {
  id: string;
  text: string;
  createdAt: number;
  updatedAt: number;
  links: { rel: string; href: string; method: string }[];
}

/** Creates a note through the API. */
export async function newNote(user: TestUser, text: string): Promise<NoteBody> {
  const res = await request(app).post('/notes').set(user.auth).send({ text });
  if (res.status !== 201) throw new Error(`note creation failed: ${res.status}`);
  return res.body as NoteBody;
}

/** The rels of a links array, in order. */
export function rels(links: { rel: string }[]): string[] {
  return links.map((l) => l.rel);
}

/** The link with this rel, or undefined. */
export function linkOf<L extends { rel: string }>(links: L[], rel: string): L | undefined {
  return links.find((l) => l.rel === rel);
}

/** Expects a problem+json response with this status; returns its body. */
export function expectProblem(res: request.Response, status: number): Record<string, unknown> {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ type: 'about:blank', status });
  expect(res.body.message).toBe(res.body.detail);
  expect(Array.isArray(res.body.links)).toBe(true);
  expect(JSON.stringify(res.body)).not.toMatch(/stack|_id|__v/);
  return res.body as Record<string, unknown>;
}

/** The names of the field errors of a 400, in order. */
export function errorNames(res: request.Response): string[] {
  return ((res.body.errors ?? []) as { name: string }[]).map((e) => e.name);
}
