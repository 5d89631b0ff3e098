/**
 * Database commands per request, counted with the driver's own command monitoring, so each
 * request's round trips are pinned: one to check the token's user, then one per thing the
 * request needs. A write decides "not found" from its own owner-filtered result, never from
 * a read before it.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import request from 'supertest';
import { app } from '../../src/app';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded-mongo';
import { newNote, newUser, type TestUser } from './helpers';

const HANDSHAKE = new Set(['hello', 'ismaster', 'isMaster', 'endSessions', 'ping']);
const commands: string[] = [];
let embedded: EmbeddedServer | undefined;

beforeAll(async () => {
  const uri = process.env.MONGODB_URI || (embedded = await startEmbeddedServer()).uri;
  await mongoose.connect(uri, { dbName: `tn_test_${crypto.randomBytes(6).toString('hex')}`, monitorCommands: true });
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  mongoose.connection.getClient().on('commandStarted', (event) => {
    if (!HANDSHAKE.has(event.commandName)) commands.push(`${event.commandName} ${String(event.command[event.commandName])}`);
  });
});

afterAll(async () => {
  if (!embedded) await mongoose.connection.dropDatabase();
  await mongoose.disconnect();
  await embedded?.close();
});

/** The database commands one request sends, as `name collection`. */
async function commandsOf(send: () => request.Test): Promise<{ status: number; commands: string[] }> {
  commands.length = 0;
  const res = await send();
  return { status: res.status, commands: [...commands] };
}

describe('database round trips per request', () => {
  let user: TestUser;
  let id: string;

  beforeAll(async () => {
    user = await newUser('Trips');
    for (let i = 0; i < 5; i++) await newNote(user, `note ${i}`);
    id = (await newNote(user, 'target')).id;
  });

  it('GET /notes?limit=2&page=2: the token’s user, the count, the page', async () => {
    expect(await commandsOf(() => request(app).get('/notes?limit=2&page=2').set(user.auth))).toEqual({
      status: 200,
      commands: ['find users', 'aggregate notes', 'find notes'],
    });
  });

  it('GET /notes past the last page does not query the notes', async () => {
    expect(await commandsOf(() => request(app).get('/notes?page=9').set(user.auth))).toEqual({
      status: 200,
      commands: ['find users', 'aggregate notes'],
    });
  });

  it('GET /notes/{id}: the token’s user, the note', async () => {
    expect(await commandsOf(() => request(app).get(`/notes/${id}`).set(user.auth))).toEqual({ status: 200, commands: ['find users', 'find notes'] });
  });

  it.each([
    ['PATCH', () => request(app).patch(`/notes/${id}`).set(user.auth).send({ text: 'edited' }), 204, 'update notes'],
    ['PUT', () => request(app).put(`/notes/${id}`).set(user.auth).send({ id, text: 'replaced', createdAt: 1, updatedAt: 1 }), 204, 'update notes'],
    ['DELETE', () => request(app).delete(`/notes/${id}`).set(user.auth), 204, 'delete notes'],
  ])('%s /notes/{id}: the token’s user and the write, no read before it', async (_method, send, status, write) => {
    expect(await commandsOf(send)).toEqual({ status, commands: ['find users', write] });
  });

  it('PATCH of a note that is gone is 404 from the write alone', async () => {
    expect(await commandsOf(() => request(app).patch(`/notes/${id}`).set(user.auth).send({ text: 'x' }))).toEqual({
      status: 404,
      commands: ['find users', 'update notes'],
    });
  });

  it('a PATCH whose body is not JSON is 415 before any database work', async () => {
    expect(await commandsOf(() => request(app).patch(`/notes/${id}`).set(user.auth).set('Content-Type', 'text/plain').send('x'))).toEqual({
      status: 415,
      commands: [],
    });
  });

  it('GET /notes/abc is 404 after the token check only', async () => {
    expect(await commandsOf(() => request(app).get('/notes/abc').set(user.auth))).toEqual({ status: 404, commands: ['find users'] });
  });

  it('POST /notes: the token’s user, the id counter, the insert', async () => {
    expect(await commandsOf(() => request(app).post('/notes').set(user.auth).send({ text: 'new' }))).toEqual({
      status: 201,
      commands: ['find users', 'findAndModify counters', 'insert notes'],
    });
  });
});
