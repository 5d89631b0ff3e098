/**
 * The peer: the same notes from the same database served by a generic REST layer,
 * express-restify-mongoose (erm), used unmodified with its defaults, in a process of its own.
 * It connects to the API child's embedded server (connection string in BENCH_PEER_DB_URI: the
 * server's private Unix socket, open to processes of the same user; database name in
 * BENCH_PEER_DB_NAME) with mongoose 8, the major erm is built for (installed as the `mongoose8`
 * alias next to the API's mongoose 9), over the same `notes` collection and its indexes, and serves
 *
 * - `GET /api/v1/Note/{id}`: one note by its `id` (erm's `idProperty`, the field the API reads by);
 * - `GET /api/v1/Note?limit=10&skip=…&sort=…&query={"owner":…}`: one owner's page.
 *
 * There is no authentication (erm has none) and no count, links or ETags: erm's out-of-the-box
 * work for the same read, which is what "a generic REST layer" costs. Nothing is written and the
 * model does not build indexes (autoIndex off). The one index the peer adds is `peer_id_1`
 * (`{id: 1}`) for its by-id read, which names no owner: the API's indexes all start with the
 * owner since issue 17 (src/models/Note.ts), and without it the embedded server would answer the
 * peer with a collection scan, so the comparison would measure the planner, not erm. Only the
 * in-memory run has a peer, so it never reaches a database on disk.
 */
import type { AddressInfo } from 'node:net';
import express from 'express';
import { serve } from 'express-restify-mongoose';
import { reportFatal, reportReady, serveIpc } from './ipc';

// mongoose's typings declare the ambient module 'mongoose', so the `mongoose8` alias has no
// importable types of its own: it is required and typed with the API's mongoose 9 typings,
// which match mongoose 8 for the few calls made here (createConnection, Schema, model).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const mongoose = require('mongoose8') as typeof import('mongoose');

/** The API's note fields (src/models/Note.ts), declared again for mongoose 8. */
function noteSchema() {
  return new mongoose.Schema(
    {
      id: { type: String, required: true },
      seq: { type: Number, required: true },
      owner: { type: String, required: true },
      text: { type: String, required: true },
      createdAt: { type: Number, required: true },
      updatedAt: { type: Number, required: true },
    },
    { versionKey: false, collection: 'notes', autoIndex: false, autoCreate: false },
  );
}

/** One collection call erm made through mongoose. */
export interface CapturedQuery {
  collection: string;
  method: string;
  filter: unknown;
  options: unknown;
}

const captured: CapturedQuery[] = [];

/** Starts recording erm's collection calls (mongoose's debug hook sees each call's filter and options). */
export function captureStart(): void {
  captured.length = 0;
  mongoose.set('debug', (collection: string, method: string, filter: unknown, options: unknown) => {
    if (captured.length < 20) captured.push({ collection, method, filter, options });
  });
}

/** Stops recording and returns the calls seen since captureStart. */
export function captureStop(): CapturedQuery[] {
  mongoose.set('debug', false);
  return captured.splice(0);
}

/** erm's app over `conn`'s `notes`: erm's documented set-up, the API's public id as the resource id. */
export function createPeerApp(conn: import('mongoose').Connection) {
  const Note = conn.model('Note', noteSchema());
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '100kb' }));
  // erm's typings name the model type of its own mongoose 8 copy; the model is a mongoose 8 model.
  serve(app, Note as unknown as Parameters<typeof serve>[1], { idProperty: 'id' });
  return app;
}

/** The index of the peer's by-id read (`GET /api/v1/Note/{id}`: `{id}` alone, see the module comment). */
export async function indexPeerReads(conn: import('mongoose').Connection): Promise<void> {
  await conn.collection('notes').createIndex({ id: 1 }, { name: 'peer_id_1' });
}

/** Connects mongoose 8 to `uri` (database `dbName`). */
export function connectPeer(uri: string, dbName: string): Promise<import('mongoose').Connection> {
  return mongoose.createConnection(uri, { dbName, serverSelectionTimeoutMS: 10_000 }).asPromise();
}

async function main(): Promise<void> {
  const uri = process.env.BENCH_PEER_DB_URI;
  if (!uri) throw new Error('BENCH_PEER_DB_URI is not set');
  const conn = await connectPeer(uri, process.env.BENCH_PEER_DB_NAME || 'thunder-notes');
  await indexPeerReads(conn);
  const app = createPeerApp(conn);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  serveIpc(
    {
      // The queries erm sends for one request, so the orchestrator can ask the database how it runs them.
      captureStart: () => {
        captureStart();
        return null;
      },
      captureStop: () => captureStop(),
    },
    async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await conn.close();
    },
  );
  reportReady((server.address() as AddressInfo).port, { peer: 'express-restify-mongoose', versions: versions() });
}

/** The versions in use, for the report. */
export function versions(): Record<string, string> {
  const read = (name: string): string => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      return 'unknown';
    }
  };
  return { 'express-restify-mongoose': read('express-restify-mongoose'), mongoose: read('mongoose8'), express: read('express') };
}

if (require.main === module) main().catch(reportFatal);
