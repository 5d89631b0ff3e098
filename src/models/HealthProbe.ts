/**
 * The readiness probe's own collection: `GET /ready` upserts one small document to prove that
 * the database accepts and acknowledges writes (for the embedded server: that the journal is
 * writable and fsyncs succeed), and pings the server.
 */
import { Schema, model } from 'mongoose';
import { timed } from './commands';

interface HealthProbeDoc {
  _id: string;
  at: Date;
}

const healthProbeSchema = new Schema<HealthProbeDoc>(
  { _id: { type: String, required: true }, at: { type: Date, required: true } },
  { versionKey: false, collection: 'health' },
);

export const HealthProbe = model<HealthProbeDoc>('HealthProbe', healthProbeSchema);

/** One acknowledged write: the probe document's `at` set to now. Every process shares the document. */
export async function writeProbe(now: Date = new Date()): Promise<void> {
  await timed('update', () => HealthProbe.updateOne({ _id: 'ready' }, { $set: { at: now } }, { upsert: true }));
}

/** The server's answer to `ping`. */
export async function pingDatabase(): Promise<void> {
  const db = HealthProbe.db.db;
  if (!db) throw new Error('not connected');
  await timed('ping', () => db.command({ ping: 1 }));
}

/** Whether mongoose currently has a connection (no command is sent). */
export function isConnected(): boolean {
  return HealthProbe.db.readyState === 1;
}
