/**
 * Size and depth limits where data enters storage, through the real driver to the embedded
 * server on a journal: a document over 16 MiB or 100 levels is refused with MongoDB's error and
 * nothing is written; big batches of small documents (records over bson's 17 MiB scratch
 * buffer) are stored whole and survive a restart and a compaction.
 */
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { BSON } from 'bson';
import { MongoClient, MongoServerError, type Collection, type Document } from 'mongodb';
import { startEmbeddedServer, type EmbeddedServer } from '../../../src/embedded-mongo';
import { JournalPersistence } from '../../../src/embedded-mongo/storage/journal';
import { makeTempDir, removeDir } from '../../helpers/tmp';
import { captureLog, recordOffsets } from './helpers';

jest.setTimeout(120_000);

const MiB = 1024 * 1024;

let dir: string;
beforeEach(() => {
  dir = makeTempDir();
});
afterEach(() => removeDir(dir));

/** Documents with ids of any type, as these tests use. */
type AnyDoc = { _id: string | number; [field: string]: unknown };

interface Open {
  server: EmbeddedServer;
  persistence: JournalPersistence;
  client: MongoClient;
  notes: Collection<AnyDoc>;
  warnings: string[];
  close(): Promise<void>;
}

/** The embedded server on a journal in `dir`, and a driver connected to it. */
async function open(): Promise<Open> {
  const captured = captureLog();
  const persistence = new JournalPersistence({ dir, log: captured.log });
  const server = await startEmbeddedServer({ persistence });
  const client = await new MongoClient(server.uri).connect();
  return {
    server,
    persistence,
    client,
    notes: client.db('app').collection<AnyDoc>('notes'),
    // The storage's own complaints (dropped bytes, corruption); the lock's are not this file's business.
    warnings: captured.lines.filter((l) => !l.startsWith('info') && !/ LOCK | lock /.test(l)),
    async close() {
      await client.close();
      await server.close();
    },
  };
}

/** A document `{_id, n: {n: {... {leaf}}}}` of exactly `levels` levels, the document itself being level 1. */
function nested(levels: number, id = 'deep', leaf: unknown = 1): AnyDoc {
  let inner: Document = { leaf };
  for (let i = 2; i < levels; i++) inner = { n: inner };
  return levels === 1 ? { _id: id, leaf: 1 } : { _id: id, n: inner };
}

/**
 * Sends one OP_MSG straight to the server, the command in the body and `documents` as a kind-1
 * sequence of raw BSON, and returns the reply's body. The driver cannot send a 17 MiB document
 * (its own serialiser stops at bson's 17 MiB scratch buffer); any other client can.
 */
async function rawInsert(server: EmbeddedServer, command: Document, documents: Buffer[]): Promise<Document> {
  const url = new URL(server.uri);
  const socket = url.hostname.startsWith('%2F') ? net.connect(decodeURIComponent(url.hostname)) : net.connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  const body = BSON.serialize(command);
  const name = Buffer.from('documents\0', 'latin1');
  const sequence = Buffer.concat([Buffer.from([1]), int32(4 + name.length + documents.reduce((n, d) => n + d.length, 0)), name, ...documents]);
  const payload = Buffer.concat([int32(0), Buffer.from([0]), Buffer.from(body), sequence]);
  const header = Buffer.concat([int32(16 + payload.length), int32(1), int32(0), int32(2013)]);
  socket.write(Buffer.concat([header, payload]));
  let received = Buffer.alloc(0);
  for await (const chunk of socket) {
    received = Buffer.concat([received, chunk as Buffer]);
    if (received.length >= 4 && received.length >= received.readInt32LE(0)) break;
  }
  socket.destroy();
  return BSON.deserialize(received.subarray(21, received.readInt32LE(0)));
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n, 0);
  return b;
}

/** `{_id, blob: <string of n bytes>}` as raw BSON, assembled by hand because bson's serialiser stops at 17 MiB. */
function rawDocWithString(id: string, n: number): Buffer {
  const idBytes = Buffer.from(`${id}\0`, 'utf8');
  const parts = [Buffer.from([2]), Buffer.from('_id\0', 'latin1'), int32(idBytes.length), idBytes, Buffer.from([2]), Buffer.from('blob\0', 'latin1'), int32(n + 1), Buffer.alloc(n, 0x78), Buffer.from([0]), Buffer.from([0])];
  const size = 4 + parts.reduce((k, p) => k + p.length, 0);
  return Buffer.concat([int32(size), ...parts]);
}

async function codeOf(p: Promise<unknown>): Promise<{ code: unknown; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as MongoServerError;
    return { code: e.code, message: e.message };
  }
  throw new Error('expected the command to fail');
}

describe('documents over 16 MiB', () => {
  it('refuses a 17 MiB insert with BSONObjectTooLarge (10334), writes nothing, and a later acknowledged write survives a restart and a compaction', async () => {
    const first = await open();
    await first.notes.insertOne({ _id: 'before', text: 'kept' });
    const journalBefore = fs.readFileSync(path.join(dir, 'journal-1.log'));
    // 17 MiB, straight to the port, as any client can send it.
    const reply = await rawInsert(first.server, { insert: 'big', $db: 'app' }, [rawDocWithString('big', 17 * MiB)]);
    expect(reply).toMatchObject({ ok: 0, code: 10334, codeName: 'BSONObjectTooLarge' });
    expect(reply.errmsg).toMatch(/^BSONObj size: \d+ \(0x[0-9A-F]+\) is invalid\. Size must be between 0 and 16793600\(16MB\)/);
    // And 16.5 MiB through the driver, which it can still serialise.
    const refused = await codeOf(first.client.db('app').collection<AnyDoc>('big').insertOne({ _id: 'big', blob: 'x'.repeat(16.5 * MiB) }));
    expect(refused.code).toBe(10334);
    // Nothing at all: not the document, not even the collection it would have created.
    expect(fs.readFileSync(path.join(dir, 'journal-1.log')).equals(journalBefore)).toBe(true);
    expect(await first.client.db('app').listCollections({ name: 'big' }).toArray()).toEqual([]);
    await first.notes.insertOne({ _id: 'after', text: 'acknowledged after the refusal' });
    await first.close();

    const second = await open();
    expect(await second.notes.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'after', text: 'acknowledged after the refusal' },
      { _id: 'before', text: 'kept' },
    ]);
    expect(second.warnings).toEqual([]);
    await second.persistence.compact();
    await second.close();

    const third = await open();
    expect(await third.notes.countDocuments()).toBe(2);
    expect(third.warnings).toEqual([]);
    await third.close();
  });

  it('refuses a document just over 16 MiB as MongoDB does: insert BadValue (2), update 17419, upsert 17420, findAndModify 17419; the stored document is unchanged', async () => {
    const { notes, close } = await open();
    const fill = 'y'.repeat(16 * MiB - 100);
    await notes.insertOne({ _id: 1, fill: 'small' });
    const insert = await codeOf(notes.insertOne({ _id: 2, fill, more: 'z'.repeat(200) }));
    expect(insert).toEqual({ code: 2, message: expect.stringMatching(/^object to insert too large\. size in bytes: \d+, max size: 16777216$/) });
    await notes.updateOne({ _id: 1 }, { $set: { fill } });
    expect(await codeOf(notes.updateOne({ _id: 1 }, { $set: { more: 'z'.repeat(200) } }))).toEqual({ code: 17419, message: 'Resulting document after update is larger than 16777216' });
    expect(await codeOf(notes.updateOne({ _id: 3 }, { $set: { fill, more: 'z'.repeat(200) } }, { upsert: true }))).toEqual({ code: 17420, message: 'Document to upsert is larger than 16777216' });
    expect(await codeOf(notes.findOneAndUpdate({ _id: 1 }, { $set: { more: 'z'.repeat(200) } }))).toEqual({ code: 17419, message: 'Resulting document after update is larger than 16777216' });
    const stored = await notes.find({}, { projection: { more: 1 } }).toArray();
    expect(stored).toEqual([{ _id: 1 }]);
    await close();
  });

  it('stores an insertMany of many small documents totalling 17 MiB (journal records over bson’s 17 MiB scratch buffer) and keeps it across a restart and a compaction', async () => {
    const first = await open();
    // About 430 bytes each, 16.5 MiB in all: the driver sends them in two commands of at most
    // 16 MiB, and the journal record of the first, with each document's framing, passes 17 MiB.
    const docs = Array.from({ length: 40_000 }, (_, i) => ({ _id: i, owner: `user-${i % 97}`, text: `note number ${String(i).padStart(6, '0')} `.repeat(19), at: i * 1000 }));
    await first.notes.insertMany(docs);
    const offsets = recordOffsets(path.join(dir, 'journal-1.log'));
    const largest = Math.max(...offsets.slice(1).map((end, i) => end - offsets[i]));
    expect(largest).toBeGreaterThan(17 * MiB);
    await first.close();

    const second = await open();
    expect(await second.notes.countDocuments()).toBe(docs.length);
    expect(await second.notes.findOne({ _id: docs.length - 1 })).toEqual(docs[docs.length - 1]);
    expect(second.warnings).toEqual([]);
    await second.persistence.compact();
    await second.close();

    const third = await open();
    expect(await third.notes.countDocuments()).toBe(docs.length);
    expect(await third.notes.find({ _id: { $in: [0, 20_000, 39_999] } }).sort({ _id: 1 }).toArray()).toEqual([docs[0], docs[20_000], docs[39_999]]);
    expect(third.warnings).toEqual([]);
    await third.close();
  });
});

describe('documents nested deeper than 100 levels', () => {
  it('accepts 100 levels and refuses 101 with Overflow (15), on insert, update, upsert and findAndModify', async () => {
    const { notes, close } = await open();
    await notes.insertOne(nested(100, 'a'));
    expect(await notes.findOne({ _id: 'a' })).toEqual(nested(100, 'a'));
    expect(await codeOf(notes.insertOne(nested(101, 'b')))).toEqual({ code: 15, message: 'cannot insert document because it exceeds 100 levels of nesting' });
    // Empty objects and arrays do not count, as in MongoDB.
    await notes.insertOne(nested(100, 'c', {}));
    await notes.insertOne(nested(100, 'e', []));
    const deepPath = Array.from({ length: 101 }, () => 'n').join('.');
    expect(await codeOf(notes.updateOne({ _id: 'a' }, { $set: { [deepPath]: 1 } }))).toEqual({ code: 15, message: 'Document exceeds maximum nesting depth of 100' });
    expect(await codeOf(notes.replaceOne({ _id: 'a' }, { n: nested(101).n }))).toEqual({ code: 15, message: 'Document exceeds maximum nesting depth of 100' });
    expect(await codeOf(notes.updateOne({ _id: 'd' }, { $set: { n: nested(101).n } }, { upsert: true }))).toMatchObject({ code: 15 });
    expect(await codeOf(notes.findOneAndUpdate({ _id: 'a' }, { $set: { n: nested(101).n } }))).toMatchObject({ code: 15 });
    expect(await notes.findOne({ _id: 'a' })).toEqual(nested(100, 'a'));
    expect(await notes.countDocuments({ _id: { $in: ['b', 'd'] } })).toBe(0);
    expect(await notes.countDocuments({ _id: { $in: ['c', 'e'] } })).toBe(2);
    await close();
  });

  it('refuses a document thousands of levels deep, and an update path of thousands of parts, without overflowing the stack', async () => {
    const { notes, close } = await open();
    await notes.insertOne({ _id: 'x' });
    expect(await codeOf(notes.insertOne(nested(3000, 'y')))).toMatchObject({ code: 15 });
    const longPath = Array.from({ length: 50_000 }, () => 'p').join('.');
    expect(await codeOf(notes.updateOne({ _id: 'x' }, { $set: { [longPath]: 1 } }))).toMatchObject({ code: 15 });
    expect(await codeOf(notes.updateOne({ [longPath]: 1 }, { $set: { a: 1 } }, { upsert: true }))).toMatchObject({ code: 15 });
    expect(await notes.find().toArray()).toEqual([{ _id: 'x' }]);
    await close();
  });
});
