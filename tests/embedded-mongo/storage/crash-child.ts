/**
 * Child process of crash.test.ts (bundled with esbuild, run with node): starts the embedded
 * server on a JournalPersistence and writes through the driver until it is SIGKILLed.
 * Every write is announced before it is sent (`try ...`) and acknowledged after the server
 * replied (`ack ...`), one line each on stdout, so the parent knows what must have survived.
 * Usage: node crash-child.js <dir> <round>
 */
import { MongoClient } from 'mongodb';
import { startEmbeddedServer } from '../../../src/embedded-mongo';
import { JournalPersistence } from '../../../src/embedded-mongo/storage/journal';
import { crashDoc, WORKERS } from './crash-model';

async function main(): Promise<void> {
  const [dir, roundText] = process.argv.slice(2);
  const round = Number(roundText);
  // A small journal limit, so that kills also land during compactions.
  const persistence = new JournalPersistence({ dir, maxJournalBytes: 48 * 1024, log: (level, msg) => process.stderr.write(`${level}: ${msg}\n`) });
  const server = await startEmbeddedServer({ persistence });
  const client = await new MongoClient(server.uri, { maxPoolSize: WORKERS }).connect();
  const notes = client.db('crash').collection<{ _id: string }>('notes');
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  say('ready');
  const worker = async (w: number): Promise<never> => {
    for (let i = 0; ; i++) {
      say(`try insert ${round} ${w} ${i}`);
      await notes.insertOne(crashDoc(round, w, i));
      say(`ack insert ${round} ${w} ${i}`);
      if (i % 5 === 4) {
        say(`try update ${round} ${w} ${i}`);
        await notes.updateOne({ _id: `w-${round}-${w}` }, { $set: { last: i } }, { upsert: true });
        say(`ack update ${round} ${w} ${i}`);
      }
      if (i % 7 === 6) {
        say(`try delete ${round} ${w} ${i - 3}`);
        await notes.deleteOne({ _id: crashDoc(round, w, i - 3)._id });
        say(`ack delete ${round} ${w} ${i - 3}`);
      }
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
}

main().catch((err: unknown) => {
  process.stderr.write(`crash-child failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
