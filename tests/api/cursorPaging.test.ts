/**
 * Cursor (keyset) paging of GET /notes: `cursor=` starts, next/prev links carry signed cursors,
 * paging is stable while notes are created and deleted, and a cursor that is not this API's for
 * this caller and this view is 400 naming `cursor`.
 */
import mongoose from 'mongoose';
import request from 'supertest';
import { app } from '../../src/app';
import { encodeCursor } from '../../src/controllers/cursor';
import { Note } from '../../src/models/Note';
import { useTestDb } from '../helpers/db';
import { errorNames, expectProblem, linkOf, newUser, rels, type TestUser } from './helpers';

useTestDb();

type Link = { rel: string; href: string; method: string; templated?: boolean };

let seqBase = 5_000_000;
/** Inserts `count` notes for `owner` directly, with distinct chosen times (text "row <n>"); returns their ids in creation order. */
async function insertNotes(owner: string, count: number, text = (n: number) => `row ${n}`, time = (n: number) => 1_000_000 + n * 10): Promise<string[]> {
  const rows = Array.from({ length: count }, (_, n) => {
    const seq = ++seqBase;
    return { id: String(seq), seq, owner, text: text(n), createdAt: time(n), updatedAt: 2_000_000 - n };
  });
  await Note.insertMany(rows);
  return rows.map((r) => r.id);
}

function ids(res: request.Response): string[] {
  return (res.body.notes as { id: string }[]).map((n) => n.id);
}

function hrefOf(res: request.Response, rel: string): string | undefined {
  return linkOf(res.body.links as Link[], rel)?.href;
}

/** Follows `rel` links from `start` until there is none; the ids in the order the pages showed them. */
async function walk(user: TestUser, start: string, rel: 'next' | 'prev', onPage?: (res: request.Response) => void): Promise<string[]> {
  const seen: string[] = [];
  let href: string | undefined = start;
  for (let guard = 0; href !== undefined && guard < 1000; guard++) {
    const res: request.Response = await request(app).get(href).set(user.auth);
    expect(res.status).toBe(200);
    onPage?.(res);
    const page = ids(res);
    seen.push(...(rel === 'next' ? page : [...page].reverse()));
    href = hrefOf(res, rel);
  }
  return seen;
}

/** Every id of the view, through offset paging (limit 100), as the reference order. */
async function allIds(user: TestUser, params: string): Promise<string[]> {
  const out: string[] = [];
  for (let page = 1; ; page++) {
    const res = await request(app).get(`/notes?${params}${params ? '&' : ''}limit=100&page=${page}`).set(user.auth);
    out.push(...ids(res));
    if (!hrefOf(res, 'next')) return out;
  }
}

describe('GET /notes?cursor=', () => {
  it('cursor= answers the first page with page {limit, totalItems, cursor}, self/add-note/search/first/next links, and X-Total-Count', async () => {
    const user = await newUser('Cursor');
    const created = await insertNotes(user.id, 5);

    const res = await request(app).get('/notes?limit=2&cursor=').set(user.auth);

    expect(res.status).toBe(200);
    // updatedAt falls as the notes were made: the default view (updatedAt asc) shows the last made first.
    expect(ids(res)).toEqual([created[4], created[3]]);
    expect(res.body.page).toEqual({ limit: 2, totalItems: 5, cursor: '' });
    expect(Object.keys(res.body)).toEqual(['notes', 'page', 'links']);
    expect(rels(res.body.links)).toEqual(['self', 'add-note', 'search', 'first', 'next']);
    expect(hrefOf(res, 'self')).toBe('/notes?limit=2&cursor=');
    expect(linkOf(res.body.links as Link[], 'search')).toEqual({ rel: 'search', href: '/notes{?q,sort,order,limit}', method: 'GET', templated: true });
    expect(hrefOf(res, 'first')).toBe('/notes?limit=2&cursor=');
    expect(hrefOf(res, 'next')).toMatch(/^\/notes\?limit=2&cursor=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(res.headers['x-total-count']).toBe('5');
    expect(res.headers.link).toContain('rel="next"');
    expect(res.headers.link).toContain('rel="first"');
  });

  it('the cursor encodes the sort key, the id and the direction, never an offset', async () => {
    const user = await newUser('Cursor');
    await insertNotes(user.id, 3);
    const reference = await allIds(user, '');

    const res = await request(app).get('/notes?limit=2&cursor=').set(user.auth);
    const cursor = decodeURIComponent((hrefOf(res, 'next') as string).split('cursor=')[1]);
    const payload = JSON.parse(Buffer.from(cursor.split('.')[0], 'base64url').toString('utf8'));

    const second = res.body.notes[1];
    expect(payload).toEqual({ v: 1, s: 'updatedAt', o: 'asc', k: second.updatedAt, i: Number(reference[1]), d: 'next' });
    expect(JSON.stringify(payload)).not.toMatch(/skip|offset|page/);
  });

  it('next links walk every note once in the offset order, and prev links walk back to the start', async () => {
    const user = await newUser('Cursor');
    await insertNotes(user.id, 23);
    const reference = await allIds(user, '');

    const forward = await walk(user, '/notes?limit=5&cursor=', 'next');
    const last = await request(app).get('/notes?limit=5&cursor=').set(user.auth);
    let href = hrefOf(last, 'next');
    let lastPage = last;
    while (href) {
      lastPage = await request(app).get(href).set(user.auth);
      href = hrefOf(lastPage, 'next');
    }
    const backward = await walk(user, hrefOf(lastPage, 'prev') as string, 'prev');

    expect(forward).toEqual(reference);
    expect(ids(lastPage)).toEqual(reference.slice(20));
    expect(rels(lastPage.body.links)).toEqual(['self', 'add-note', 'search', 'first', 'prev']);
    expect(backward.reverse()).toEqual(reference.slice(0, 20));
  });

  it.each([
    ['q', 'q=Even', (n: number) => (n % 2 === 0 ? `even ${n}` : `odd ${n}`)],
    ['sort', 'sort=createdAt', undefined],
    ['order', 'order=desc', undefined],
    ['sort and order and q', 'q=ROW%201&sort=createdAt&order=desc', undefined],
  ])('works with %s: the pages hold the view offset paging shows, and the links repeat the parameters', async (_name, params, text) => {
    const user = await newUser('Cursor');
    // createdAt rises and updatedAt falls with n, and three notes share a createdAt: ties are broken by id.
    await insertNotes(user.id, 17, text, (n) => 1_000_000 + Math.floor(n / 3) * 10);
    const reference = await allIds(user, params);

    const hrefs: string[] = [];
    const forward = await walk(user, `/notes?${params}&limit=3&cursor=`, 'next', (res) => {
      hrefs.push(hrefOf(res, 'self') as string);
      expect(res.body.page.totalItems).toBe(reference.length);
    });

    expect(reference.length).toBeGreaterThan(3);
    expect(forward).toEqual(reference);
    for (const href of hrefs) expect(href.startsWith(`/notes?${params}&limit=3&cursor=`)).toBe(true);
  });

  it('works with limit: a cursor made at one limit continues at another', async () => {
    const user = await newUser('Cursor');
    await insertNotes(user.id, 10);
    const reference = await allIds(user, '');

    const first = await request(app).get('/notes?limit=4&cursor=').set(user.auth);
    const next = (hrefOf(first, 'next') as string).replace('limit=4', 'limit=5');
    const second = await request(app).get(next).set(user.auth);

    expect(ids(first)).toEqual(reference.slice(0, 4));
    expect(ids(second)).toEqual(reference.slice(4, 9));
    expect(second.body.page).toMatchObject({ limit: 5, totalItems: 10 });
  });

  it('an empty list is one empty page with only first', async () => {
    const user = await newUser('Cursor');

    const res = await request(app).get('/notes?cursor=').set(user.auth);

    expect(res.body).toMatchObject({ notes: [], page: { limit: 10, totalItems: 0, cursor: '' } });
    expect(rels(res.body.links)).toEqual(['self', 'add-note', 'search', 'first']);
  });

  it('a next page whose notes were deleted meanwhile is empty, with a prev link back to the notes before it', async () => {
    const user = await newUser('Cursor');
    await insertNotes(user.id, 4);
    const reference = await allIds(user, '');
    const first = await request(app).get('/notes?limit=2&cursor=').set(user.auth);
    for (const id of reference.slice(2)) await request(app).delete(`/notes/${id}`).set(user.auth).expect(204);

    const empty = await request(app).get(hrefOf(first, 'next') as string).set(user.auth);
    const back = await request(app).get(hrefOf(empty, 'prev') as string).set(user.auth);

    expect(ids(empty)).toEqual([]);
    expect(rels(empty.body.links)).toEqual(['self', 'add-note', 'search', 'first', 'prev']);
    expect(ids(back)).toEqual(reference.slice(0, 2));
    expect(rels(back.body.links)).toEqual(['self', 'add-note', 'search', 'first']);
  });

  it('stays stable while 100 notes are created and some deleted concurrently: no duplicates, no note that stayed is skipped', async () => {
    const user = await newUser('Cursor');
    const before: string[] = [];
    for (let i = 0; i < 40; i++) before.push((await request(app).post('/notes').set(user.auth).send({ text: `before ${i}` })).body.id);
    const doomed = before.filter((_, i) => i % 5 === 0); // deleted while paging: may or may not be seen
    const kept = before.filter((id) => !doomed.includes(id));

    const createdDuring: string[] = [];
    const writers = (async () => {
      await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const res = await request(app).post('/notes').set(user.auth).send({ text: `during ${i}` });
          expect(res.status).toBe(201);
          createdDuring.push(res.body.id);
          if (i % 4 === 0) expect((await request(app).delete(`/notes/${res.body.id}`).set(user.auth)).status).toBe(204);
        }),
      );
    })();
    const deleters = Promise.all(doomed.map((id) => request(app).delete(`/notes/${id}`).set(user.auth).then((r) => expect(r.status).toBe(204))));
    let pages = 0;
    const seen = await walk(user, '/notes?limit=7&cursor=', 'next', () => void pages++);
    await Promise.all([writers, deleters]);

    expect(new Set(seen).size).toBe(seen.length);
    expect(kept.filter((id) => !seen.includes(id))).toEqual([]);
    expect(seen.every((id) => before.includes(id) || createdDuring.includes(id))).toBe(true);
    expect(pages).toBeGreaterThan(5);
    // And in descending order (new notes come in at the front, behind the walk).
    const desc = await walk(user, '/notes?order=desc&sort=createdAt&limit=7&cursor=', 'next');
    expect(new Set(desc).size).toBe(desc.length);
  });

  it('stays stable in descending order while notes are created and deleted concurrently', async () => {
    const user = await newUser('Cursor');
    const before: string[] = [];
    for (let i = 0; i < 30; i++) before.push((await request(app).post('/notes').set(user.auth).send({ text: `before ${i}` })).body.id);
    const writers = Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const res = await request(app).post('/notes').set(user.auth).send({ text: `during ${i}` });
        if (i % 3 === 0) await request(app).delete(`/notes/${res.body.id}`).set(user.auth);
      }),
    );
    const seen = await walk(user, '/notes?order=desc&limit=7&cursor=', 'next');
    await writers;

    expect(new Set(seen).size).toBe(seen.length);
    expect(before.filter((id) => !seen.includes(id))).toEqual([]);
  });
});

describe('GET /notes?cursor= refused', () => {
  let user: TestUser;
  let next: string;
  let cursor: string;

  beforeAll(async () => {
    user = await newUser('Cursor');
    await insertNotes(user.id, 6);
    const res = await request(app).get('/notes?limit=2&cursor=').set(user.auth);
    next = hrefOf(res, 'next') as string;
    cursor = decodeURIComponent(next.split('cursor=')[1]);
  });

  function expectCursorProblem(res: request.Response): void {
    const body = expectProblem(res, 400);
    expect(errorNames(res)).toEqual(['cursor']);
    expect(body.errors).toEqual([expect.objectContaining({ in: 'query', name: 'cursor' })]);
  }

  it('the untouched cursor works', async () => {
    expect((await request(app).get(next).set(user.auth)).status).toBe(200);
  });

  it('a cursor with one character flipped (payload or MAC) is 400 naming cursor', async () => {
    for (const at of [3, cursor.indexOf('.') + 3]) {
      const flipped = cursor.slice(0, at) + (cursor[at] === 'A' ? 'B' : 'A') + cursor.slice(at + 1);
      expectCursorProblem(await request(app).get(`/notes?limit=2&cursor=${flipped}`).set(user.auth));
    }
  });

  it('a valid-looking payload with the old MAC (another position) is 400 naming cursor', async () => {
    const [payload, mac] = cursor.split('.');
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...decoded, k: 0, i: 1 })).toString('base64url');

    const res = await request(app).get(`/notes?limit=2&cursor=${forged}.${mac}`).set(user.auth);

    expectCursorProblem(res);
    expect(res.body.detail).toMatch(/changed|another user/);
  });

  it('another user\'s cursor is 400 naming cursor', async () => {
    const other = await newUser('Other');
    await insertNotes(other.id, 3);

    expectCursorProblem(await request(app).get(next).set(other.auth));
  });

  it.each([['sort=createdAt&'], ['order=desc&'], ['q=row&']])('a cursor used with another view (%s) is 400 naming cursor', async (params) => {
    const res = await request(app).get(`/notes?${params}limit=2&cursor=${cursor}`).set(user.auth);

    expectCursorProblem(res);
    expect(res.body.detail).toMatch(/another view/);
  });

  it('a search cursor used with another q is 400', async () => {
    const searched = await request(app).get('/notes?q=row&limit=2&cursor=').set(user.auth);
    const searchNext = hrefOf(searched, 'next') as string;

    expect((await request(app).get(searchNext).set(user.auth)).status).toBe(200);
    expectCursorProblem(await request(app).get(searchNext.replace('q=row', 'q=ro')).set(user.auth));
  });

  it.each([['garbage'], ['a.b'], ['.'], ['x'.repeat(100) + '.' + 'A'.repeat(22)], ['%00'], [`${'e'.repeat(10)}.${'A'.repeat(21)}=`]])('a malformed cursor (%s) is 400 naming cursor', async (bad) => {
    expectCursorProblem(await request(app).get(`/notes?cursor=${bad}`).set(user.auth));
  });

  it('a cursor longer than 512 characters is 400 naming cursor (before any check of its signature)', async () => {
    expectCursorProblem(await request(app).get(`/notes?cursor=${'A'.repeat(513)}`).set(user.auth));
  });

  it('cursor given twice is 400', async () => {
    expectCursorProblem(await request(app).get(`/notes?cursor=${cursor}&cursor=${cursor}`).set(user.auth));
  });

  it('cursor with page is 400 naming both', async () => {
    const res = await request(app).get(`/notes?page=2&cursor=`).set(user.auth);

    expectProblem(res, 400);
    expect(errorNames(res).sort()).toEqual(['cursor', 'page']);
  });

  it('a cursor needs a token: 401 without one', async () => {
    expect((await request(app).get(next)).status).toBe(401);
  });
});

describe('a cursor page deep in a large list', () => {
  it('reads from the cursor on: a page of 10,000 notes examines about one page of documents, not everything before it', async () => {
    const user = await newUser('Many');
    const docs = Array.from({ length: 10_000 }, (_, n) => ({ id: String(9_000_000 + n), seq: 9_000_000 + n, owner: user.id, text: `bulk ${n}`, createdAt: 1_000 + Math.floor(n / 2), updatedAt: 1_000 + Math.floor(n / 2) }));
    for (let at = 0; at < docs.length; at += 2_000) await Note.insertMany(docs.slice(at, at + 2_000), { lean: true });
    const db = mongoose.connection.db!;
    // A pass-through spy: the commands still go to the server; it only records which finds were sent.
    const spy = jest.spyOn(Object.getPrototypeOf(db) as typeof db, 'command');
    const at = docs[9_001];
    // Stands on a tie (two notes share each updatedAt): the page starts at its partner.
    const cursor = encodeCursor(user.id, { sort: 'updatedAt', order: 'asc', q: undefined }, { k: at.updatedAt, i: at.seq }, 'next');
    let res: request.Response;
    let sent: Record<string, unknown>[];
    try {
      res = await request(app).get(`/notes?limit=20&cursor=${cursor}`).set(user.auth);
    } finally {
      sent = spy.mock.calls.map(([command]) => command as Record<string, unknown>);
      spy.mockRestore();
    }
    const finds = sent.filter((command) => command.find === 'notes');

    expect(res.status).toBe(200);
    expect(ids(res)).toEqual(docs.slice(9_002, 9_022).map((d) => d.id));
    expect(res.body.page.totalItems).toBe(10_000);
    expect(finds.length).toBeGreaterThanOrEqual(1);
    for (const find of finds) {
      const { find: collection, filter, sort, limit, projection } = find;
      const explained = await db.command({ explain: { find: collection, filter, sort, limit, projection }, verbosity: 'executionStats' });
      expect(explained.executionStats.totalDocsExamined).toBeLessThanOrEqual(25);
    }
  });
});
