import request from 'supertest';
import { app } from '../../src/app';
import { setFacetPlanning } from '../../src/models/commands';
import { Note } from '../../src/models/Note';
import { useTestDb } from '../helpers/db';
import { expectProblem, linkOf, newNote, newUser, rels, type NoteBody, type TestUser } from './helpers';

useTestDb();

type Link = { rel: string; href: string; method: string; templated?: boolean };

/** A user with `count` notes whose texts are "note 1"…; created in order. */
async function userWithNotes(count: number): Promise<{ user: TestUser; notes: NoteBody[] }> {
  const user = await newUser('Lister');
  const notes: NoteBody[] = [];
  for (let i = 1; i <= count; i += 1) notes.push(await newNote(user, `note ${i}`));
  return { user, notes };
}

/** Inserts notes directly with chosen timestamps (the API always stamps "now"). */
async function insertNotes(owner: string, rows: { seq: number; text: string; createdAt: number; updatedAt: number }[]) {
  await Note.insertMany(rows.map((r) => ({ ...r, id: String(r.seq), owner })));
}

function ids(res: request.Response): string[] {
  return (res.body.notes as { id: string }[]).map((n) => n.id);
}

describe('GET /notes', () => {
  it('answers 200 with notes, page, links, X-Total-Count, ETag and private caching', async () => {
    const { user, notes } = await userWithNotes(2);

    const res = await request(app).get('/notes').set(user.auth);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      notes: notes.map((n) => ({
        id: n.id,
        text: n.text,
        createdAt: n.createdAt,
        updatedAt: n.updatedAt,
        links: [{ rel: 'self', href: `/notes/${n.id}`, method: 'GET' }],
      })),
      page: { number: 1, limit: 10, totalItems: 2, totalPages: 1 },
      links: [
        { rel: 'self', href: '/notes', method: 'GET' },
        { rel: 'add-note', href: '/notes', method: 'POST' },
        { rel: 'search', href: '/notes{?q,sort,order,limit}', method: 'GET', templated: true },
      ],
    });
    expect(res.headers['x-total-count']).toBe('2');
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(res.headers['cache-control']).toBe('private, no-cache');
    expect(res.headers.vary).toMatch(/Authorization/);
    expect(res.headers['last-modified']).toBeUndefined();
    expect(res.headers.link).toBeUndefined();
  });

  it('with no notes answers one empty page', async () => {
    const user = await newUser();

    const res = await request(app).get('/notes').set(user.auth);

    expect(res.body.notes).toEqual([]);
    expect(res.body.page).toEqual({ number: 1, limit: 10, totalItems: 0, totalPages: 1 });
    expect(rels(res.body.links)).toEqual(['self', 'add-note', 'search']);
  });

  it('answers 304 on a matching If-None-Match, and a new ETag after a delete', async () => {
    const { user, notes } = await userWithNotes(2);
    const first = await request(app).get('/notes').set(user.auth);

    const same = await request(app).get('/notes').set(user.auth).set('If-None-Match', first.headers.etag);
    await request(app).delete(`/notes/${notes[0].id}`).set(user.auth);
    const after = await request(app).get('/notes').set(user.auth).set('If-None-Match', first.headers.etag);

    expect(same.status).toBe(304);
    expect(same.headers.etag).toBe(first.headers.etag);
    expect(same.headers['cache-control']).toBe('private, no-cache');
    expect(after.status).toBe(200);
    expect(after.headers.etag).not.toBe(first.headers.etag);
  });

  it('walking next links from the first page sees every note exactly once', async () => {
    const { user, notes } = await userWithNotes(23);
    const seen: string[] = [];
    let href: string | undefined = '/notes?limit=5';
    let pages = 0;

    while (href !== undefined) {
      const res: request.Response = await request(app).get(href).set(user.auth);
      expect(res.status).toBe(200);
      seen.push(...ids(res));
      pages += 1;
      href = linkOf(res.body.links as Link[], 'next')?.href;
    }

    expect(pages).toBe(5);
    expect(seen).toEqual(notes.map((n) => n.id));
  });

  it('sorts all matching notes before cutting pages (sort=updatedAt&order=desc across pages)', async () => {
    const user = await newUser();
    const base = 1_700_000_000_000;
    // updatedAt order differs from both id and createdAt order.
    const updated = [5, 1, 4, 2, 6, 3];
    await insertNotes(
      user.id,
      updated.map((u, i) => ({ seq: 500 + i, text: `n${i}`, createdAt: base + i, updatedAt: base + u * 1000 })),
    );
    const expected = [...updated.keys()].sort((a, b) => updated[b] - updated[a]).map((i) => String(500 + i));

    const pages: string[] = [];
    for (const page of [1, 2, 3]) {
      const res = await request(app).get(`/notes?sort=updatedAt&order=desc&limit=2&page=${page}`).set(user.auth);
      pages.push(...ids(res));
    }

    expect(pages).toEqual(expected);
  });

  it('sort=createdAt orders by creation, unlike the default updatedAt', async () => {
    const user = await newUser();
    await insertNotes(user.id, [
      { seq: 601, text: 'old, recently edited', createdAt: 1000, updatedAt: 9000 },
      { seq: 602, text: 'new, never edited', createdAt: 2000, updatedAt: 2000 },
    ]);

    const byCreated = await request(app).get('/notes?sort=createdAt').set(user.auth);
    const byUpdated = await request(app).get('/notes').set(user.auth);
    const byCreatedDesc = await request(app).get('/notes?sort=createdAt&order=desc').set(user.auth);

    expect(ids(byCreated)).toEqual(['601', '602']);
    expect(ids(byUpdated)).toEqual(['602', '601']);
    expect(ids(byCreatedDesc)).toEqual(['602', '601']);
  });

  it('breaks ties by numeric id, so "99999" comes before "100000" and pages do not overlap', async () => {
    const user = await newUser();
    await insertNotes(user.id, [
      { seq: 100000, text: 'b', createdAt: 5, updatedAt: 5 },
      { seq: 99999, text: 'a', createdAt: 5, updatedAt: 5 },
      { seq: 100001, text: 'c', createdAt: 5, updatedAt: 5 },
    ]);

    const asc = await request(app).get('/notes').set(user.auth);
    const page1 = await request(app).get('/notes?limit=1&page=1&order=desc').set(user.auth);
    const page2 = await request(app).get('/notes?limit=1&page=2&order=desc').set(user.auth);

    expect(ids(asc)).toEqual(['99999', '100000', '100001']);
    expect([...ids(page1), ...ids(page2)]).toEqual(['100001', '100000']);
  });

  it('q matches a case-insensitive substring and counts only matches', async () => {
    const user = await newUser();
    for (const text of ['Europe Trip', 'trip to the zoo', 'Groceries']) await newNote(user, text);

    const res = await request(app).get('/notes?q=TRIP').set(user.auth);

    expect((res.body.notes as NoteBody[]).map((n) => n.text)).toEqual(['Europe Trip', 'trip to the zoo']);
    expect(res.headers['x-total-count']).toBe('2');
    expect(res.body.page.totalItems).toBe(2);
  });

  it.each([
    ['a.c', ['a.c literal']],
    ['.*', ['dot-star .* here']],
    ['(', ['open ( paren']],
    ['[a-z]', ['class [a-z] text']],
    ['$', ['costs $5']],
  ])('q=%p is matched literally, regex characters have no meaning', async (q, expected) => {
    const user = await newUser();
    for (const text of ['a.c literal', 'abc', 'dot-star .* here', 'open ( paren', 'class [a-z] text', 'costs $5']) await newNote(user, text);

    const res = await request(app).get('/notes').query({ q }).set(user.auth);

    expect(res.status).toBe(200);
    expect((res.body.notes as NoteBody[]).map((n) => n.text)).toEqual(expected);
  });

  it("links keep the caller's q, sort, order and limit; first/prev only after page 1, next/last only before the last", async () => {
    const user = await newUser();
    for (let i = 1; i <= 5; i += 1) await newNote(user, `trip ${i}`);

    const res = await request(app).get('/notes?q=trip&sort=createdAt&order=asc&limit=2&page=2').set(user.auth);

    const q = 'q=trip&sort=createdAt&order=asc&limit=2';
    expect(res.body.links).toEqual([
      { rel: 'self', href: `/notes?${q}&page=2`, method: 'GET' },
      { rel: 'add-note', href: '/notes', method: 'POST' },
      { rel: 'search', href: '/notes{?q,sort,order,limit}', method: 'GET', templated: true },
      { rel: 'first', href: `/notes?${q}&page=1`, method: 'GET' },
      { rel: 'prev', href: `/notes?${q}&page=1`, method: 'GET' },
      { rel: 'next', href: `/notes?${q}&page=3`, method: 'GET' },
      { rel: 'last', href: `/notes?${q}&page=3`, method: 'GET' },
    ]);
    expect(res.headers.link).toBe(
      `</notes?${q}&page=1>; rel="first", </notes?${q}&page=1>; rel="prev", </notes?${q}&page=3>; rel="next", </notes?${q}&page=3>; rel="last"`,
    );
  });

  it('encodes q in links so a filled link returns the same view', async () => {
    const user = await newUser();
    for (let i = 1; i <= 3; i += 1) await newNote(user, `a&b c ${i}`);

    const first = await request(app).get('/notes').query({ q: 'a&b c', limit: 1 }).set(user.auth);
    const next = await request(app).get(linkOf(first.body.links as Link[], 'next')!.href).set(user.auth);

    expect(next.body.page).toEqual({ number: 2, limit: 1, totalItems: 3, totalPages: 3 });
  });

  it('the last page has first and prev but no next or last', async () => {
    const { user } = await userWithNotes(3);

    const res = await request(app).get('/notes?limit=2&page=2').set(user.auth);

    expect(rels(res.body.links)).toEqual(['self', 'add-note', 'search', 'first', 'prev']);
    expect(ids(res)).toHaveLength(1);
  });

  it('a page past the last answers 200 with no notes, and first and prev links', async () => {
    const { user } = await userWithNotes(3);

    const res = await request(app).get('/notes?limit=2&page=7').set(user.auth);

    expect(res.status).toBe(200);
    expect(res.body.notes).toEqual([]);
    expect(res.body.page).toEqual({ number: 7, limit: 2, totalItems: 3, totalPages: 2 });
    expect(rels(res.body.links)).toEqual(['self', 'add-note', 'search', 'first', 'prev']);
    expect(linkOf(res.body.links as Link[], 'prev')?.href).toBe('/notes?limit=2&page=2');
  });

  it('the largest page number answers 200 with no notes (the database is asked to skip that far)', async () => {
    const { user } = await userWithNotes(1);

    const res = await request(app).get(`/notes?limit=100&page=${Number.MAX_SAFE_INTEGER}`).set(user.auth);

    expect(res.status).toBe(200);
    expect(res.body.notes).toEqual([]);
    expect(res.body.page).toEqual({ number: Number.MAX_SAFE_INTEGER, limit: 100, totalItems: 1, totalPages: 1 });
  });

  it('ignores unknown query parameters', async () => {
    const { user } = await userWithNotes(1);

    const res = await request(app).get('/notes?foo=bar&%24where=1&page=1').set(user.auth);

    expect(res.status).toBe(200);
    expect(res.body.notes).toHaveLength(1);
    expect(linkOf(res.body.links as Link[], 'self')?.href).toBe('/notes?page=1');
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=1e2', 'limit'],
    ['limit=Infinity', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=', 'limit'],
    ['limit=%205', 'limit'],
    ['limit=2&limit=3', 'limit'],
    ['page=0', 'page'],
    ['page=-2', 'page'],
    ['page=2.5', 'page'],
    ['page=Infinity', 'page'],
    ['page=99999999999999999999', 'page'],
    ['sort=text', 'sort'],
    ['sort=createdAt&sort=updatedAt', 'sort'],
    ['order=up', 'order'],
    ['order[$ne]=asc', 'order'],
    ['q[]=x', 'q'],
    ['q[$gt]=', 'q'],
    ['q=a&q=b', 'q'],
  ])('?%s answers 400 naming %s in query', async (query, name) => {
    const user = await newUser();

    const res = await request(app).get(`/notes?${query}`).set(user.auth);

    expectProblem(res, 400);
    expect(res.body.errors).toEqual([{ in: 'query', name, message: expect.any(String) }]);
  });

  it('names every bad parameter in one 400', async () => {
    const user = await newUser();

    const res = await request(app).get('/notes?limit=0&page=0&sort=x&order=y').set(user.auth);

    expectProblem(res, 400);
    expect((res.body.errors as { name: string }[]).map((e) => e.name)).toEqual(['sort', 'order', 'limit', 'page']);
  });

  // Which commands a list sends (the count and the page, together; sort, skip and limit in the
  // find) is pinned at the wire, by the driver's command monitoring, in roundTrips.test.ts.

  it('accepts the bounds limit=1 and limit=100', async () => {
    const { user } = await userWithNotes(2);

    const one = await request(app).get('/notes?limit=1').set(user.auth);
    const hundred = await request(app).get('/notes?limit=100').set(user.auth);

    expect(one.body.page).toMatchObject({ limit: 1, totalPages: 2 });
    expect(hundred.body.page).toMatchObject({ limit: 100, totalPages: 1 });
  });
});

describe('GET /notes through either database path', () => {
  // The embedded server answers a list with one planned [$match, $facet]; a MongoDB server gets
  // a count and a find. Both must give the same responses, byte for byte.
  afterEach(async () => {
    // Back to what the database itself says.
    setFacetPlanning(Note, (await Note.db.db!.command({ buildInfo: 1 })).embeddedFeatures?.includes('plannedFacet') === true);
  });

  it('the same bodies, headers and ETags for pages, searches, sorts and a page past the end', async () => {
    const user = await newUser('Paths');
    const rows = Array.from({ length: 23 }, (_, i) => ({ seq: 900_000 + i, text: i % 3 === 0 ? `fish ${i}` : `note ${i}`, createdAt: 1_700_000_000_000 + ((i * 7) % 23) * 1000, updatedAt: 1_700_000_000_000 + (i % 5) * 1000 }));
    await insertNotes(user.id, rows);
    const urls = ['/notes', '/notes?limit=5&page=2', '/notes?limit=4&page=6', '/notes?q=FISH&limit=3', '/notes?sort=createdAt&order=desc&limit=7&page=3', '/notes?page=99', '/notes?q=nothing'];

    const answers = async () =>
      Promise.all(
        urls.map(async (url) => {
          const res = await request(app).get(url).set(user.auth);
          return { url, status: res.status, body: res.body as unknown, etag: res.headers.etag, total: res.headers['x-total-count'], link: res.headers.link };
        }),
      );
    setFacetPlanning(Note, true);
    const planned = await answers();
    setFacetPlanning(Note, false);
    const split = await answers();

    expect(planned.map((a) => a.status)).toEqual(urls.map(() => 200));
    expect(planned.find((a) => a.url === '/notes?q=FISH&limit=3')?.total).toBe('8');
    expect(split).toEqual(planned);
  });
});
