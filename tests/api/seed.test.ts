import request from 'supertest';
import { app } from '../../src/app';
import { Counter } from '../../src/models/Counter';
import { Note } from '../../src/models/Note';
import { User } from '../../src/models/User';
import { RateLimit } from '../../src/models/RateLimit';
import { DEMO_PASSWORD, loadDemo, resetDemo, seedDemo, seedDemoIfEmpty } from '../../src/seed';
import { useTestDb } from '../helpers/db';

useTestDb();
beforeEach(async () => {
  await Promise.all([User.deleteMany({}), Note.deleteMany({}), Counter.deleteMany({})]);
});

async function login(email: string) {
  const res = await request(app).post('/auth').send({ email, password: DEMO_PASSWORD });
  return { status: res.status, auth: { Authorization: `Bearer ${res.body.access_token}` }, body: res.body };
}

describe('demo data', () => {
  it('seedDemoIfEmpty seeds an empty database once, then leaves it alone', async () => {
    expect(await seedDemoIfEmpty()).toBe(true);
    expect(await seedDemoIfEmpty()).toBe(false);
    expect(await User.countDocuments()).toBe(2);
    expect(await Note.countDocuments()).toBe(5);
  });

  it('seedDemoIfEmpty does nothing when a user exists', async () => {
    await request(app).post('/users').send({ name: 'First', email: 'first@example.com', password: 'password1' });

    expect(await seedDemoIfEmpty()).toBe(false);
    expect(await Note.countDocuments()).toBe(0);
  });

  it('seedDemoIfEmpty leaves a database alone whose ids were handed out: a block reserved by another process, or users since deleted', async () => {
    // Another API process of a cluster reserved a block of user ids (1..100) before this one seeds.
    await Counter.collection.insertOne({ _id: 'users', seq: 100 } as never);
    expect(await seedDemoIfEmpty()).toBe(false);
    expect(await User.countDocuments()).toBe(0);
    expect(await Note.countDocuments()).toBe(0);

    // Every account deleted since: ids 1 and 2 were someone's; the demo does not take them again.
    await Counter.deleteMany({});
    const created = await request(app).post('/users').send({ name: 'Gone', email: 'gone@example.com', password: 'password1' });
    expect(created.status).toBe(201);
    await User.deleteMany({});
    expect(await seedDemoIfEmpty()).toBe(false);
    expect(await User.countDocuments()).toBe(0);
  });

  it('seedDemoIfEmpty claims the demo ids before it writes them: the next ids come after them', async () => {
    expect(await seedDemoIfEmpty()).toBe(true);
    const user = await request(app).post('/users').send({ name: 'Next', email: 'next@example.com', password: 'password1' });
    expect(user.body.id).toBe('3');
  });

  it('loadDemo (npm run seed) loads into a fresh database, loads again where the demo is, and refuses where ids were handed out without it', async () => {
    expect(await loadDemo()).toEqual({ users: 2, notes: 5 });
    expect(await loadDemo()).toEqual({ users: 2, notes: 5 });
    expect(await User.countDocuments()).toBe(2);
    expect(await Note.countDocuments()).toBe(5);

    // A database of real users and no demo: user 1 is someone's, and must stay theirs.
    await Promise.all([User.deleteMany({}), Note.deleteMany({}), Counter.deleteMany({})]);
    const real = await request(app).post('/users').send({ name: 'Real', email: 'real@example.com', password: 'password1' });
    expect(real.body.id).toBe('1');
    expect(await loadDemo()).toBeNull();
    expect(await User.find({}, { _id: 0, id: 1, email: 1 }).lean()).toEqual([{ id: '1', email: 'real@example.com' }]);
    expect(await Note.countDocuments()).toBe(0);
  });

  it('seedDemo is idempotent: running it again keeps 2 users and 5 notes', async () => {
    expect(await seedDemo()).toEqual({ users: 2, notes: 5 });
    expect(await seedDemo()).toEqual({ users: 2, notes: 5 });

    expect(await User.countDocuments()).toBe(2);
    expect(await Note.countDocuments()).toBe(5);
  });

  it("Saurabh logs in as user 1 with abcd1234 and sees notes 1-3 with the tutorial's texts and timestamps", async () => {
    await seedDemo();
    const saurabh = await login('saurabh@example.com');

    const res = await request(app).get('/notes?sort=updatedAt').set(saurabh.auth);

    expect(saurabh.status).toBe(200);
    expect(saurabh.body.user).toEqual({ id: '1', name: 'Saurabh', email: 'saurabh@example.com' });
    const notes = res.body.notes as { id: string; text: string; createdAt: number; updatedAt: number }[];
    expect(notes.map((n) => n.id)).toEqual(['1', '2', '3']);
    expect(notes[0]).toMatchObject({ text: 'Shark-Tank Pitch for my disruptive Startup Idea', createdAt: 1671494400000, updatedAt: 1671926400000 });
    expect(notes[1]).toMatchObject({ text: 'Exotic Vacation plan', createdAt: 1671580800000, updatedAt: 1672012800000 });
    expect(notes[2]).toMatchObject({ createdAt: 1671408000000, updatedAt: 1672099200000 });
  });

  it('Arpita logs in as user 2 and sees notes 4 and 5', async () => {
    await seedDemo();
    const arpita = await login('arpita@example.com');

    const res = await request(app).get('/notes?sort=updatedAt').set(arpita.auth);

    expect(arpita.body.user.id).toBe('2');
    expect(res.body.notes).toEqual([
      expect.objectContaining({ id: '4', createdAt: 1671926400000, updatedAt: 1672185600000 }),
      expect.objectContaining({ id: '5', text: 'Parenting 101', createdAt: 1671840000000, updatedAt: 1672272000000 }),
    ]);
  });

  it('moves the counters past the demo ids: the next note is 6 and the next user is 3', async () => {
    await seedDemo();
    const saurabh = await login('saurabh@example.com');

    const note = await request(app).post('/notes').set(saurabh.auth).send({ text: 'after the seed' });
    const user = await request(app).post('/users').send({ name: 'New', email: 'new.after.seed@example.com', password: 'password1' });

    expect(note.body.id).toBe('6');
    expect(user.body.id).toBe('3');
  });

  it('re-seeding does not move counters backwards', async () => {
    await seedDemo();
    const saurabh = await login('saurabh@example.com');
    await request(app).post('/notes').set(saurabh.auth).send({ text: 'after the seed' });
    await seedDemo();

    const note = await request(app).post('/notes').set(saurabh.auth).send({ text: 'later still' });

    expect(note.body.id).toBe('7');
  });

  it('sorting by createdAt gives another order than by updatedAt (the default), for each demo user (issue 15)', async () => {
    await seedDemo();
    const ids = async (email: string, sort: string) => {
      const user = await login(email);
      const res = await request(app).get(`/notes?sort=${sort}`).set(user.auth);
      return (res.body.notes as { id: string }[]).map((n) => n.id);
    };

    expect(await ids('saurabh@example.com', 'updatedAt')).toEqual(['1', '2', '3']);
    expect(await ids('saurabh@example.com', 'createdAt')).toEqual(['3', '1', '2']);
    expect(await ids('arpita@example.com', 'updatedAt')).toEqual(['4', '5']);
    expect(await ids('arpita@example.com', 'createdAt')).toEqual(['5', '4']);
  });

  it('resetDemo empties the database (users, notes, counters, rate-limit counts) and loads the demo data: the same ids as the first time', async () => {
    await seedDemo();
    const saurabh = await login('saurabh@example.com');
    await request(app).post('/notes').set(saurabh.auth).send({ text: 'written after the seed' });
    await request(app).patch('/notes/1').set(saurabh.auth).send({ text: 'changed' });
    await request(app).delete('/notes/2').set(saurabh.auth);
    const stranger = await request(app).post('/users').send({ name: 'Stranger', email: 'stranger@example.com', password: 'password1' });
    expect(stranger.body.id).toBe('3');

    expect(await resetDemo()).toEqual({ users: 2, notes: 5 });

    expect(await User.countDocuments()).toBe(2);
    expect((await Note.find({}, { id: 1, text: 1 }).lean().sort({ seq: 1 })).map((n) => [n.id, n.text])).toEqual([
      ['1', 'Shark-Tank Pitch for my disruptive Startup Idea'],
      ['2', 'Exotic Vacation plan'],
      ['3', 'Grocery list for the weekend'],
      ['4', 'Book club reading list'],
      ['5', 'Parenting 101'],
    ]);
    expect(await RateLimit.countDocuments()).toBe(0);
    const again = await login('saurabh@example.com');
    expect((await request(app).post('/notes').set(again.auth).send({ text: 'first again' })).body.id).toBe('6');
    expect((await request(app).post('/users').send({ name: 'Stranger', email: 'stranger@example.com', password: 'password1' })).body.id).toBe('3');
  });
});
