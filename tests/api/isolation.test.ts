import request from 'supertest';
import { app } from '../../src/app';
import { useTestDb } from '../helpers/db';
import { expectProblem, newNote, newUser, type NoteBody, type TestUser } from './helpers';

useTestDb();
let alice: TestUser;
let bob: TestUser;
let bobsNote: NoteBody;
beforeAll(async () => {
  alice = await newUser('Alice');
  bob = await newUser('Bob');
  await newNote(alice, "Alice's secret");
  bobsNote = await newNote(bob, "Bob's secret");
});

async function bobsNoteUnchanged(): Promise<void> {
  const res = await request(app).get(`/notes/${bobsNote.id}`).set(bob.auth);
  expect(res.status).toBe(200);
  expect(res.body.text).toBe("Bob's secret");
  expect(res.body.updatedAt).toBe(bobsNote.updatedAt);
}

describe("isolation: one user never sees or changes another's notes", () => {
  it('GET /notes lists only the caller’s notes and counts only them', async () => {
    const res = await request(app).get('/notes').set(alice.auth);

    expect((res.body.notes as NoteBody[]).map((n) => n.text)).toEqual(["Alice's secret"]);
    expect(res.headers['x-total-count']).toBe('1');
  });

  it("GET /notes?q= does not find another user's note", async () => {
    const res = await request(app).get('/notes?q=Bob').set(alice.auth);

    expect(res.body.notes).toEqual([]);
  });

  it.each([
    ['GET', () => request(app).get(`/notes/${bobsNote.id}`)],
    ['HEAD', () => request(app).head(`/notes/${bobsNote.id}`)],
    ['PUT', () => request(app).put(`/notes/${bobsNote.id}`).send({ id: bobsNote.id, text: 'pwned', createdAt: 1, updatedAt: 1 })],
    ['PATCH', () => request(app).patch(`/notes/${bobsNote.id}`).send({ text: 'pwned' })],
    ['DELETE', () => request(app).delete(`/notes/${bobsNote.id}`)],
  ])("%s on another user's note is 404 as if it did not exist, and changes nothing", async (method, make) => {
    const res = await make().set(alice.auth);

    expect(res.status).toBe(404);
    if (method !== 'HEAD') {
      expectProblem(res, 404);
      expect(res.body.detail).toBe(`Note with ID '${bobsNote.id}' does not exist.`);
    }
    await bobsNoteUnchanged();
  });

  it("PUT of the caller's own note naming another user's id in the body writes neither", async () => {
    const own = await newNote(alice, 'mine');

    const res = await request(app).put(`/notes/${own.id}`).set(alice.auth).send({ id: bobsNote.id, text: 'pwned', createdAt: 1, updatedAt: 1 });

    expectProblem(res, 400);
    await bobsNoteUnchanged();
    expect((await request(app).get(`/notes/${own.id}`).set(alice.auth)).body.text).toBe('mine');
  });

  it("GET /users/{id} of another user is 404", async () => {
    const res = await request(app).get(`/users/${bob.id}`).set(alice.auth);

    expectProblem(res, 404);
  });
});
