/**
 * The notes are ready to be sharded by owner (issue 17, docs/scaling.md): every command the app
 * sends to the `notes` collection carries an equality on `owner`, so a sharded cluster sends each
 * to the one shard that holds the owner instead of to all of them. Checked on the commands
 * themselves, as the driver's command monitoring sees them (the reads sent as `Db.command` too),
 * while the whole notes API is driven through supertest: every route of src/routes.ts that
 * touches notes, the idempotent create with its replay and its expired key, conditional reads
 * and writes, lists in both plans (the embedded server's aggregate, MongoDB's count and find),
 * cursor pages, the account deletion that takes the notes with it, and the demo seed.
 *
 * A read that leaves the owner out (say, a note by id alone) fails the test; so does a drive in
 * which some expected command never ran, so it cannot pass by sending nothing.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import request from 'supertest';
import { app } from '../../src/app';
import { createNoteOnce } from '../../src/controllers/notesController';
import { IDEMPOTENCY_TTL_MS } from '../../src/controllers/idempotency';
import { plansFacets, setFacetPlanning } from '../../src/models/commands';
import { Note } from '../../src/models/Note';
import { seedDemo } from '../../src/seed';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded-mongo';
import { newNote, newUser, type TestUser } from './helpers';

type Doc = Record<string, unknown>;

/** The data commands on notes, and where each carries its filters (or documents). */
const CHECKED = ['find', 'count', 'aggregate', 'update', 'delete', 'findAndModify', 'insert'] as const;
type Checked = (typeof CHECKED)[number];

/** Every command started on the `notes` collection (index builds aside), as sent. */
const onNotes: Array<{ name: string; command: Doc }> = [];
let recording = false;
let embedded: EmbeddedServer | undefined;
/** Whether lists are batched `$facet` aggregates here (the embedded server only). */
let facets: boolean;

beforeAll(async () => {
  const uri = process.env.MONGODB_URI || (embedded = await startEmbeddedServer()).uri;
  await mongoose.connect(uri, { dbName: `tn_test_${crypto.randomBytes(6).toString('hex')}`, monitorCommands: true });
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  mongoose.connection.getClient().on('commandStarted', (event) => {
    if (!recording) return;
    const target = event.commandName === 'getMore' ? event.command.collection : event.command[event.commandName];
    if (target === 'notes') onNotes.push({ name: event.commandName, command: event.command as Doc });
  });
  facets = await plansFacets(Note);
});

afterAll(async () => {
  if (!embedded) await mongoose.connection.dropDatabase();
  await mongoose.disconnect();
  await embedded?.close();
});

/** The owner a filter pins with an equality (`owner: v`, `owner: {$eq: v}`, or either inside a top-level `$and`). */
function ownerOf(filter: unknown): string | undefined {
  if (typeof filter !== 'object' || filter === null) return undefined;
  const f = filter as Doc;
  const own = f.owner;
  if (typeof own === 'string') return own;
  if (typeof own === 'object' && own !== null && Object.keys(own).length === 1 && typeof (own as Doc).$eq === 'string') return (own as Doc).$eq as string;
  if (Array.isArray(f.$and)) for (const clause of f.$and) if (ownerOf(clause) !== undefined) return ownerOf(clause);
  return undefined;
}

/** The owner a pipeline's first `$match` pins, if it does. */
function pipelineOwner(pipeline: Doc[]): string | undefined {
  return pipeline.length > 0 ? ownerOf(pipeline[0].$match) : undefined;
}

/**
 * The owners each part of a command pins (one per filter, statement or inserted document; a part
 * without one is `undefined`). An aggregate starts with `$match {owner}`; the one exception is
 * the embedded server's batch of lists of several owners (models/batchedReads.ts BatchedPages),
 * a `$facet` whose every facet starts so: sent only to a server that plans facets, which a
 * MongoDB cluster (mongos) is not.
 */
function ownersOf(name: Checked, command: Doc): Array<string | undefined> {
  switch (name) {
    case 'find':
      return [ownerOf(command.filter)];
    case 'count':
      return [ownerOf(command.query)];
    case 'findAndModify':
      return [ownerOf(command.query)];
    case 'update':
      return (command.updates as Doc[]).map((statement) => ownerOf(statement.q));
    case 'delete':
      return (command.deletes as Doc[]).map((statement) => ownerOf(statement.q));
    case 'insert':
      return (command.documents as Doc[]).map((doc) => (typeof doc.owner === 'string' ? doc.owner : undefined));
    case 'aggregate': {
      const pipeline = command.pipeline as Doc[];
      const batch = pipeline.length === 1 ? (pipeline[0].$facet as Record<string, Doc[]> | undefined) : undefined;
      if (batch && facets) return Object.values(batch).map(pipelineOwner);
      return [pipelineOwner(pipeline)];
    }
  }
}

/** Drives the notes API (and the seed) as `user` and `other`, recording what reaches `notes`. */
async function driveTheNotesApi(user: TestUser, other: TestUser): Promise<void> {
  const auth = user.auth;
  const created = await request(app).post('/notes').set(auth).send({ text: 'shard key one' });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  for (let i = 0; i < 4; i++) await newNote(user, `shard key list ${i}`);
  await newNote(other, "other's note");

  // Idempotent create, its replay, the key reused with another body, and an expired key (freed with $unset, then claimed).
  const keyed = () => request(app).post('/notes').set(auth).set('Idempotency-Key', 'shard-1');
  expect((await keyed().send({ text: 'once' })).status).toBe(201);
  expect((await keyed().send({ text: 'once' })).headers['idempotent-replayed']).toBe('true');
  expect((await keyed().send({ text: 'another body' })).status).toBe(422);
  expect((await createNoteOnce(user.id, 'a day later', { key: 'shard-1', fingerprint: 'f' }, Date.now() + IDEMPOTENCY_TTL_MS + 1)).replayed).toBe(false);

  // Reads: by id, conditional, HEAD, someone else's (404), a sparse fieldset.
  const read = await request(app).get(`/notes/${id}`).set(auth);
  expect(read.status).toBe(200);
  expect((await request(app).get(`/notes/${id}`).set(auth).set('If-None-Match', read.headers.etag as string)).status).toBe(304);
  expect((await request(app).head(`/notes/${id}`).set(auth)).status).toBe(200);
  expect((await request(app).get(`/notes/${id}`).set(other.auth)).status).toBe(404);
  expect((await request(app).get(`/notes/${id}?fields=text`).set(auth)).status).toBe(200);
  const concurrent = await Promise.all([id, id, '99999999'].map((noteId) => request(app).get(`/notes/${noteId}`).set(auth)));
  expect(concurrent.map((res) => res.status)).toEqual([200, 200, 404]);

  await driveLists(user);

  // Writes: PUT, PATCH in each media type, with and without preconditions, DELETE both ways.
  const current = async () => (await request(app).get(`/notes/${id}`).set(auth)) as { headers: Record<string, string>; body: Doc };
  const whole = (body: Doc, text: string) => ({ id: body.id, createdAt: body.createdAt, updatedAt: body.updatedAt, text });
  expect((await request(app).put(`/notes/${id}`).set(auth).send(whole(read.body as Doc, 'replaced'))).status).toBe(204);
  let now = await current();
  expect((await request(app).put(`/notes/${id}`).set(auth).set('If-Match', now.headers.etag).send(whole(now.body, 'replaced again'))).status).toBe(204);
  expect((await request(app).patch(`/notes/${id}`).set(auth).send({ text: 'patched' })).status).toBe(204);
  const merge = await request(app).patch(`/notes/${id}`).set(auth).set('Content-Type', 'application/merge-patch+json').send(JSON.stringify({ text: 'merged' }));
  expect(merge.status).toBe(204);
  now = await current();
  const jsonPatch = await request(app)
    .patch(`/notes/${id}`)
    .set(auth)
    .set('If-Match', now.headers.etag)
    .set('Content-Type', 'application/json-patch+json')
    .send(JSON.stringify([{ op: 'replace', path: '/text', value: 'json-patched' }]));
  expect(jsonPatch.status).toBe(204);
  expect((await request(app).patch(`/notes/${id}`).set(other.auth).send({ text: 'not mine' })).status).toBe(404);
  const doomed = await newNote(user, 'to delete');
  expect((await request(app).delete(`/notes/${doomed.id}`).set(auth)).status).toBe(204);
  expect((await request(app).delete(`/notes/${doomed.id}`).set(auth)).status).toBe(404);
  now = await current();
  expect((await request(app).delete(`/notes/${id}`).set(auth).set('If-Match', now.headers.etag)).status).toBe(204);

  // The account goes with its notes; the demo seed upserts its notes.
  expect((await request(app).delete(`/users/${other.id}`).set(other.auth)).status).toBe(204);
  expect(await seedDemo()).toEqual({ users: 2, notes: 5 });
}

/** Lists: filters, sorts, pages, a page past the end, cursor pages both ways; in both plans. */
async function driveLists(user: TestUser): Promise<void> {
  const list = (query: string) => request(app).get(`/notes${query}`).set(user.auth);
  for (const plannedFacets of facets ? [true, false] : [false]) {
    setFacetPlanning(Note, plannedFacets);
    const queries = ['', '?q=list', '?sort=createdAt&order=asc&limit=2&page=2', '?limit=2&page=99', '?fields=text'];
    const lists = await Promise.all(queries.map(list));
    expect(lists.map((res) => res.status)).toEqual([200, 200, 200, 200, 200]);
    expect((await request(app).head('/notes').set(user.auth)).status).toBe(200);
  }
  setFacetPlanning(Note, facets);
  let page = await list('?cursor=&limit=2&sort=createdAt');
  for (let moves = 0; moves < 3; moves++) {
    const next = (page.body.links as Array<{ rel: string; href: string }>).find((l) => l.rel === 'next');
    if (!next) break;
    page = await request(app).get(next.href).set(user.auth);
    expect(page.status).toBe(200);
  }
  const prev = (page.body.links as Array<{ rel: string; href: string }>).find((l) => l.rel === 'prev');
  expect(prev).toBeDefined();
  expect((await request(app).get(prev!.href).set(user.auth)).status).toBe(200);
}

describe('every command on notes carries the owner (the shard key)', () => {
  let commands: Array<{ name: string; command: Doc }>;

  beforeAll(async () => {
    const [user, other] = [await newUser('Sharded'), await newUser('Neighbour')];
    onNotes.length = 0;
    recording = true;
    try {
      await driveTheNotesApi(user, other);
    } finally {
      recording = false;
    }
    commands = [...onNotes];
  });

  it('sends each kind of data command the drive needs, and no other command to notes', () => {
    const kinds = new Set(commands.map((c) => c.name));
    for (const name of CHECKED) expect([name, kinds.has(name)]).toEqual([name, true]);
    expect(commands.filter((c) => !(CHECKED as readonly string[]).includes(c.name)).map((c) => c.name)).toEqual([]);
  });

  it('pins the owner with an equality in every filter, update and delete statement, and inserted document', () => {
    const without = commands
      .map(({ name, command }) => ({ name, owners: ownersOf(name as Checked, command), command }))
      .filter(({ owners }) => owners.length === 0 || owners.some((owner) => owner === undefined));
    expect(without.map(({ name, command }) => `${name} ${JSON.stringify(command.filter ?? command.query ?? command.pipeline ?? command.updates ?? command.deletes ?? command.documents)}`)).toEqual([]);
    expect(commands.length).toBeGreaterThan(40);
  });

  it('reads by id in one round are one command per owner, each naming its owner', () => {
    const byId = commands.filter(({ name, command }) => name === 'find' && (command.filter as Doc).id !== undefined);
    expect(byId.length).toBeGreaterThan(0);
    expect(byId.some(({ command }) => typeof ((command.filter as Doc).id as Doc).$in === 'object')).toBe(true);
  });
});

describe('the checker itself', () => {
  it('finds the owner in the shapes the app sends, and nowhere else', () => {
    expect(ownerOf({ owner: '7', id: '1' })).toBe('7');
    expect(ownerOf({ owner: { $eq: '7' } })).toBe('7');
    expect(ownerOf({ $and: [{ id: '1' }, { owner: '7' }] })).toBe('7');
    expect(ownerOf({ id: { $in: ['1', '2'] } })).toBeUndefined();
    expect(ownerOf({ owner: { $in: ['7', '8'] } })).toBeUndefined();
    expect(ownerOf({ $or: [{ owner: '7' }, { owner: '8' }] })).toBeUndefined();
    expect(ownersOf('aggregate', { pipeline: [{ $facet: { page: [{ $match: { owner: '7' } }] } }] })).toEqual(facets ? ['7'] : [undefined]);
    expect(ownersOf('aggregate', { pipeline: [{ $sort: { seq: 1 } }, { $match: { owner: '7' } }] })).toEqual([undefined]);
    expect(ownersOf('update', { updates: [{ q: { owner: '7' } }, { q: { id: '1' } }] })).toEqual(['7', undefined]);
    expect(ownersOf('insert', { documents: [{ owner: '7' }, { id: '2' }] })).toEqual(['7', undefined]);
  });
});
