/**
 * Database commands per request, counted with the driver's own command monitoring, so each
 * request's round trips are pinned: one per thing the request needs. The token's user is read
 * once and then trusted for up to a second (usersController's cache), so a caller's second
 * request within that second sends no user read. A write decides "not found" from its own
 * owner-filtered result, never from a read before it. A list's count and page are sent together.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import request from 'supertest';
import { app } from '../../src/app';
import { getNote, listNotes } from '../../src/controllers/notesController';
import { forgetUser } from '../../src/controllers/usersController';
import { BatchedLookup, BatchedPages, MAX_BATCH, MAX_PAGE_ROWS } from '../../src/models/batchedReads';
import { plansFacets } from '../../src/models/commands';
import { resetIdBlocks } from '../../src/models/Counter';
import { Note } from '../../src/models/Note';
import type { ListQuery } from '../../src/schemas/noteSchemas';
import type { DomainError } from '../../src/utils/DomainError';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded-mongo';
import { newNote, newUser, type TestUser } from './helpers';

const HANDSHAKE = new Set(['hello', 'ismaster', 'isMaster', 'endSessions', 'ping']);
/** `name collection` of every command started, and the order in which commands started and ended. */
const commands: string[] = [];
const events: string[] = [];
/** The last command document of each name, as sent. */
const sent = new Map<string, Record<string, unknown>>();
let embedded: EmbeddedServer | undefined;

beforeAll(async () => {
  const uri = process.env.MONGODB_URI || (embedded = await startEmbeddedServer()).uri;
  await mongoose.connect(uri, { dbName: `tn_test_${crypto.randomBytes(6).toString('hex')}`, monitorCommands: true });
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  const client = mongoose.connection.getClient();
  client.on('commandStarted', (event) => {
    if (HANDSHAKE.has(event.commandName)) return;
    const name = `${event.commandName} ${String(event.command[event.commandName])}`;
    commands.push(name);
    events.push(`start ${name}`);
    sent.set(event.commandName, event.command);
  });
  client.on('commandSucceeded', (event) => {
    if (!HANDSHAKE.has(event.commandName)) events.push(`end ${event.commandName}`);
  });
});

afterAll(async () => {
  if (!embedded) await mongoose.connection.dropDatabase();
  await mongoose.disconnect();
  await embedded?.close();
});

/** The database commands one request sends, as `name collection`. */
async function commandsOf(send: () => PromiseLike<{ status: number }>): Promise<{ status: number; commands: string[] }> {
  commands.length = 0;
  events.length = 0;
  const res = await send();
  return { status: res.status, commands: [...commands] };
}

describe('database round trips per request', () => {
  let user: TestUser;
  let id: string;
  let facets: boolean;

  beforeAll(async () => {
    facets = await plansFacets(Note);
    user = await newUser('Trips');
    for (let i = 0; i < 5; i++) await newNote(user, `note ${i}`);
    id = (await newNote(user, 'target')).id;
  });

  // The caller's existence was checked by a request just before (less than a second ago), so
  // the requests below send only the commands of their own work. Each test makes sure of it.
  beforeEach(async () => {
    expect((await request(app).get(`/users/${user.id}`).set(user.auth)).status).toBe(200);
  });

  it('the first request of a caller not remembered reads the user once; the next one within the second does not', async () => {
    forgetUser(user.id);

    expect(await commandsOf(() => request(app).get(`/notes/${id}`).set(user.auth))).toEqual({ status: 200, commands: ['find users', 'find notes'] });
    expect(await commandsOf(() => request(app).get(`/notes/${id}`).set(user.auth))).toEqual({ status: 200, commands: ['find notes'] });
  });

  it('concurrent requests of a caller not remembered share one read of the user', async () => {
    forgetUser(user.id);

    const { commands: sentCommands } = await commandsOf(async () => {
      const all = await Promise.all(Array.from({ length: 5 }, () => request(app).get(`/notes/${id}`).set(user.auth)));
      expect(all.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      return all[0];
    });

    expect(sentCommands.filter((c) => c === 'find users')).toHaveLength(1);
    // Reads of notes by id made together are batched (below), so 1 to 5 finds: never more.
    const noteReads = sentCommands.filter((c) => c === 'find notes').length;
    expect(noteReads).toBeGreaterThanOrEqual(1);
    expect(noteReads).toBeLessThanOrEqual(5);
  });

  describe('reads of notes by id made together share one command', () => {
    let other: TestUser;
    let otherId: string;

    beforeAll(async () => {
      other = await newUser('Other');
      otherId = (await newNote(other, "other's")).id;
    });

    it('five reads of five ids in one round: one find with $in, each caller gets its own note', async () => {
      const ids = [id, ...(await Promise.all([1, 2, 3, 4].map((i) => newNote(user, `batch ${i}`)))).map((n) => n.id)];
      commands.length = 0;

      const notes = await Promise.all(ids.map((noteId) => getNote(user.id, noteId)));

      expect(notes.map((n) => n.id)).toEqual(ids);
      expect(commands).toEqual(['find notes']);
      expect(sent.get('find')).toMatchObject({ filter: { owner: user.id, id: { $in: ids } }, limit: 5 });
    });

    it("reads of two users in one round: one find per owner (the shard key in each), and each gets only their own: the other's note is 404 for them", async () => {
      commands.length = 0;

      const results = await Promise.allSettled([getNote(user.id, id), getNote(user.id, otherId), getNote(other.id, otherId), getNote(other.id, id)]);

      expect(commands).toEqual(['find notes', 'find notes']);
      expect(results.map((r) => (r.status === 'fulfilled' ? r.value.id : (r.reason as DomainError).kind))).toEqual([id, 'not-found', otherId, 'not-found']);
      // The owner is compared, never shown.
      expect(Object.keys((results[0] as PromiseFulfilledResult<object>).value)).not.toContain('owner');
    });

    it('the same id twice, and an id that does not exist, in one batch', async () => {
      commands.length = 0;

      const results = await Promise.allSettled([getNote(user.id, id), getNote(user.id, id), getNote(user.id, '99999999')]);

      expect(commands).toEqual(['find notes']);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    });

    it(`more than ${MAX_BATCH} reads in one round go out in batches of at most ${MAX_BATCH}`, async () => {
      commands.length = 0;

      const results = await Promise.allSettled(Array.from({ length: MAX_BATCH * 2 + 1 }, (_, i) => getNote(user.id, String(1_000_000 + i))));

      expect(results.every((r) => r.status === 'rejected')).toBe(true);
      expect(commands).toEqual(['find notes', 'find notes', 'find notes']);
    });

    it('a command that fails fails every read of its batch with its error', async () => {
      // Inclusion and exclusion mixed: the database refuses the projection.
      const broken = new BatchedLookup<{ id: string }>(Note, { scope: 'owner', key: 'id' }, { id: 1, text: 0 });

      const results = await Promise.allSettled([broken.load(user.id, id), broken.load(user.id, otherId)]);

      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      const [a, b] = results as PromiseRejectedResult[];
      expect(a.reason).toBe(b.reason);
      expect((a.reason as { code?: number }).code).toBeDefined();
    });

    it('a read made after another read was sent is not answered by it: it waits for a command of its own', async () => {
      commands.length = 0;
      const first = getNote(user.id, id);
      await new Promise((resolve) => setImmediate(resolve)); // the first batch has been sent
      const second = getNote(user.id, id);

      await Promise.all([first, second]);

      expect(commands.filter((c) => c === 'find notes')).toHaveLength(2);
    });
  });

  // Only where lists are one planned aggregate (the embedded server): on MongoDB each list stays
  // a count and a find of its own.
  describe('lists without a text search made together share one command (embedded server)', () => {
    let other: TestUser;
    const query = (q: Partial<ListQuery>): ListQuery => ({ q: undefined, sort: 'updatedAt', order: 'asc', limit: 2, page: 1, given: [], ...q });

    beforeAll(async () => {
      other = await newUser('Lister');
      for (let i = 0; i < 3; i++) await newNote(other, `listed ${i}`);
    });

    it("four lists of two users in one round: one aggregate, and each answer is the one it gets alone", async () => {
      if (!facets) return;
      const asked: Array<[string, ListQuery]> = [
        [user.id, query({})],
        [user.id, query({ page: 2, order: 'desc' })],
        [other.id, query({ limit: 10, sort: 'createdAt' })],
        [other.id, query({ page: 5 })], // past the end: an empty page, the real total
      ];
      const alone = [];
      for (const [owner, q] of asked) alone.push(await listNotes(owner, q));
      commands.length = 0;

      const together = await Promise.all(asked.map(([owner, q]) => listNotes(owner, q)));

      expect(commands).toEqual(['aggregate notes']);
      expect(together).toEqual(alone);
      expect(together.map((p) => [p.page.totalItems, p.notes.length])).toEqual([
        [alone[0].page.totalItems, 2],
        [alone[0].page.totalItems, 2],
        [3, 3],
        [3, 0],
      ]);
      expect(sent.get('aggregate')).toMatchObject({
        pipeline: [{ $facet: { t0: [{ $match: { owner: user.id } }, { $count: 'n' }], p3: [{ $match: { owner: other.id } }, { $sort: { updatedAt: 1, seq: 1 } }, { $skip: 8 }, { $limit: 2 }, { $project: { id: 1 } }] } }],
      });
    });

    it('a list with a text search goes alone (its cost is not bounded by an index); the others still share one', async () => {
      if (!facets) return;
      commands.length = 0;

      await Promise.all([listNotes(user.id, query({ q: 'note' })), listNotes(user.id, query({})), listNotes(other.id, query({}))]);

      expect(commands).toEqual(['aggregate notes', 'aggregate notes']);
    });

    it(`the lists of one command hold at most ${MAX_PAGE_ROWS} notes between them (one reply document stays under 16 MiB)`, async () => {
      if (!facets) return;
      commands.length = 0;

      const pages = await Promise.all(Array.from({ length: 5 }, () => listNotes(other.id, query({ limit: 100 }))));

      expect(pages.every((p) => p.notes.length === 3)).toBe(true);
      expect(commands).toEqual(['aggregate notes', 'aggregate notes']);
    });

    it('a command that fails fails every list of its batch with its error', async () => {
      if (!facets) return;
      // Inclusion and exclusion mixed: the database refuses the projection.
      const broken = new BatchedPages<{ id: string }>(Note, { id: 1, text: 0 });
      const page = { sort: { seq: 1 } as const, skip: 0, limit: 1 };

      const results = await Promise.allSettled([broken.load({ filter: { owner: user.id }, ...page }), broken.load({ filter: { owner: other.id }, ...page })]);

      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      const [a, b] = results as PromiseRejectedResult[];
      expect(a.reason).toBe(b.reason);
    });

    it('a list made after another was sent is not answered by it, and sees a note created in between', async () => {
      if (!facets) return;
      commands.length = 0;
      const first = listNotes(other.id, query({ limit: 50 }));
      await new Promise((resolve) => setImmediate(resolve)); // the first batch has been sent
      await newNote(other, 'in between');
      const second = listNotes(other.id, query({ limit: 50 }));

      const [before, after] = await Promise.all([first, second]);

      expect(after.page.totalItems).toBe(before.page.totalItems + 1);
      expect(after.notes.map((n) => n.text)).toContain('in between');
    });
  });

  // The embedded server plans [$match, $facet {count, page}] with its indexes, so a list is one
  // aggregate there; MongoDB would feed every matching note to $facet, so there it is a count
  // and a find sent together. Which one this database is was asked once (buildInfo), before.
  it('GET /notes?limit=2&page=2: the count and the page in one command, or two sent together', async () => {
    const result = await commandsOf(() => request(app).get('/notes?limit=2&page=2').set(user.auth));

    if (facets) {
      expect(result).toEqual({ status: 200, commands: ['aggregate notes'] });
    } else {
      expect({ status: result.status, commands: [...result.commands].sort() }).toEqual({ status: 200, commands: ['count notes', 'find notes'] });
      // Both commands were on their way before either answer came back.
      expect(events.slice(0, 2).every((e) => e.startsWith('start '))).toBe(true);
    }
  });

  it('GET /notes pages in the database: the filter, sort, skip and limit go with the command', async () => {
    await commandsOf(() => request(app).get('/notes?limit=5&page=2&q=note').set(user.auth));

    const filter = { owner: user.id, text: { $regex: 'note', $options: 'i' } };
    if (facets) {
      expect(sent.get('aggregate')).toMatchObject({
        aggregate: 'notes',
        pipeline: [
          { $match: filter },
          { $facet: { total: [{ $count: 'n' }], page: [{ $sort: { updatedAt: 1, seq: 1 } }, { $skip: 5 }, { $limit: 5 }, { $project: { _id: 0, id: 1 } }] } },
        ],
      });
    } else {
      expect(sent.get('find')).toMatchObject({ filter: { owner: user.id }, sort: { updatedAt: 1, seq: 1 }, skip: 5, limit: 5 });
      expect(sent.get('count')).toMatchObject({ count: 'notes', query: filter });
    }
  });

  it('GET /notes past the last page: the same command(s); the page comes back empty', async () => {
    const result = await commandsOf(() => request(app).get('/notes?page=9').set(user.auth));

    expect(result.status).toBe(200);
    expect([...result.commands].sort()).toEqual(facets ? ['aggregate notes'] : ['count notes', 'find notes']);
  });

  it('GET /notes/{id}: the note', async () => {
    expect(await commandsOf(() => request(app).get(`/notes/${id}`).set(user.auth))).toEqual({ status: 200, commands: ['find notes'] });
  });

  it.each([
    // findAndModify: the write returns the note as written, for the new ETag of the answer.
    ['PATCH', () => request(app).patch(`/notes/${id}`).set(user.auth).send({ text: 'edited' }), 204, 'findAndModify notes'],
    ['PUT', () => request(app).put(`/notes/${id}`).set(user.auth).send({ id, text: 'replaced', createdAt: 1, updatedAt: 1 }), 204, 'findAndModify notes'],
    ['DELETE', () => request(app).delete(`/notes/${id}`).set(user.auth), 204, 'delete notes'],
  ])('%s /notes/{id}: the write alone, no read before it', async (_method, send, status, write) => {
    expect(await commandsOf(send)).toEqual({ status, commands: [write] });
  });

  it('PATCH of a note that is gone is 404 from the write alone', async () => {
    expect(await commandsOf(() => request(app).patch(`/notes/${id}`).set(user.auth).send({ text: 'x' }))).toEqual({
      status: 404,
      commands: ['findAndModify notes'],
    });
  });

  it('a PATCH whose body is not JSON is 415 before any database work', async () => {
    forgetUser(user.id); // not even the user is read
    expect(await commandsOf(() => request(app).patch(`/notes/${id}`).set(user.auth).set('Content-Type', 'text/plain').send('x'))).toEqual({
      status: 415,
      commands: [],
    });
  });

  it('GET /notes/abc is 404 after the token check only', async () => {
    expect(await commandsOf(() => request(app).get('/notes/abc').set(user.auth))).toEqual({ status: 404, commands: [] });
  });

  // Issue 17: ids come from the process's block (models/idBlocks.ts); the counter is written once per TN_ID_BLOCK creates.
  it('POST /notes: the insert alone while the process holds ids; the first create without a block also reserves one', async () => {
    resetIdBlocks();
    expect(await commandsOf(() => request(app).post('/notes').set(user.auth).send({ text: 'new' }))).toEqual({
      status: 201,
      commands: ['findAndModify counters', 'insert notes'],
    });
    expect(await commandsOf(() => request(app).post('/notes').set(user.auth).send({ text: 'newer' }))).toEqual({ status: 201, commands: ['insert notes'] });
  });

  it('POST /notes with an Idempotency-Key: the insert alone (the key goes in with the note); its retry: the insert, then the note the key names', async () => {
    const send = () => request(app).post('/notes').set(user.auth).set('Idempotency-Key', '"trips"').send({ text: 'keyed' });

    expect(await commandsOf(send)).toEqual({ status: 201, commands: ['insert notes'] });
    expect(await commandsOf(send)).toEqual({ status: 201, commands: ['insert notes', 'find notes'] });
  });

  it('a conditional PATCH: the read it compares with, then the write that matches only that state', async () => {
    const noteId = (await newNote(user, 'conditional')).id;
    const etag = (await request(app).get(`/notes/${noteId}`).set(user.auth)).headers.etag as string;

    expect(await commandsOf(() => request(app).patch(`/notes/${noteId}`).set(user.auth).set('If-Match', etag).send({ text: 'checked' }))).toEqual({
      status: 204,
      commands: ['find notes', 'findAndModify notes'],
    });
    expect(sent.get('findAndModify')).toMatchObject({ query: { id: noteId, owner: user.id, text: 'conditional' } });
  });

  it('a stale conditional DELETE: the read alone, then 412', async () => {
    const noteId = (await newNote(user, 'stale')).id;

    expect(await commandsOf(() => request(app).delete(`/notes/${noteId}`).set(user.auth).set('If-Match', '"stale"'))).toEqual({ status: 412, commands: ['find notes'] });
  });
});
