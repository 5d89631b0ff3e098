/**
 * Throughput of Model.create (insertOne) and Model.findById through mongoose against the
 * embedded server in the same process, sequential, 1,000 documents per round, 5 rounds
 * (after a warm-up); prints the median and the spread, since a shared machine is noisy.
 * Run: npx ts-node-dev --transpile-only bench/embedded-crud.ts
 */
import mongoose, { Schema } from 'mongoose';
import { startEmbeddedServer } from '../src/embedded-mongo';

const N = 1000;

/** Runs `fn` N times sequentially; returns ops/s. */
async function timed(fn: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) await fn(i);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return (N / ms) * 1000;
}

function report(label: string, rates: number[]): void {
  const sorted = [...rates].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const fmt = (r: number): string => String(Math.round(r));
  console.log(`${label.padEnd(28)} median ${fmt(median)} ops/s (${(1e6 / median).toFixed(0)} µs/op), best ${fmt(sorted[sorted.length - 1])}, worst ${fmt(sorted[0])}, rounds: ${ROUNDS} x ${N}`);
}

const ROUNDS = 5;

async function main(): Promise<void> {
  const server = await startEmbeddedServer();
  const conn = await mongoose.createConnection(server.uri, { dbName: 'bench' }).asPromise();
  const Note = conn.model('Note', new Schema({ title: String, body: String, owner: String, n: Number }, { timestamps: true }));
  await Note.init();

  // Warm-up: JIT, connection pool, mongoose's schema compilation.
  for (let i = 0; i < 300; i++) await Note.findById((await Note.create({ title: 'w', n: i }))._id);
  await Note.deleteMany({});

  const rates = { create: [] as number[], lean: [] as number[], hydrated: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    await Note.deleteMany({});
    const ids: mongoose.Types.ObjectId[] = [];
    rates.create.push(await timed(async (i) => {
      const doc = await Note.create({ title: `note ${i}`, body: 'x'.repeat(200), owner: `u${i % 10}`, n: i });
      ids.push(doc._id);
    }));
    rates.lean.push(await timed((i) => Note.findById(ids[i]).lean()));
    rates.hydrated.push(await timed((i) => Note.findById(ids[i])));
  }
  report('Model.create (insertOne)', rates.create);
  report('Model.findById().lean()', rates.lean);
  report('Model.findById (hydrated)', rates.hydrated);

  await conn.close();
  await server.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
