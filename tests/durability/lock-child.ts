/**
 * Child process of lock-namespaces.test.ts (bundled with esbuild, run with node, usually as PID 1
 * of its own PID namespace under `unshare`): opens the embedded server on a JournalPersistence in
 * <dir> with a lease of <leaseMs>, then follows commands on stdin, one per line:
 *   insert <id>  writes { _id: <id> } through the driver; answers `ack <id>` once the server
 *                acknowledged it, or `fail <id> <message>`
 *   list         answers `ids <JSON array of every stored _id>`
 * Prints `ready <pid> <pid namespace>` once open. A refused start prints the error on stderr and
 * exits 1. Journal log lines go to stderr as `<level>: <message>`.
 * Usage: node lock-child.js <dir> <leaseMs>
 */
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import { MongoClient } from 'mongodb';
import { startEmbeddedServer } from '../../src/embedded-mongo';
import { JournalPersistence } from '../../src/embedded-mongo/storage/journal';

async function main(): Promise<void> {
  const [dir, leaseText] = process.argv.slice(2);
  const persistence = new JournalPersistence({ dir, lockLeaseMs: Number(leaseText), log: (level, msg) => process.stderr.write(`${level}: ${msg}\n`) });
  const server = await startEmbeddedServer({ persistence });
  // No retries: a refused write must surface as refused, not be sent again.
  const client = await new MongoClient(server.uri, { retryWrites: false, retryReads: false }).connect();
  const notes = client.db('lock').collection<{ _id: string }>('notes');
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  say(`ready ${process.pid} ${fs.readlinkSync('/proc/self/ns/pid')}`);
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const [command, id] = line.split(' ');
    if (command === 'insert') {
      try {
        await notes.insertOne({ _id: id });
        say(`ack ${id}`);
      } catch (err) {
        say(`fail ${id} ${(err as Error).message.replace(/\n/g, ' ')}`);
      }
    } else if (command === 'list') {
      const ids = (await notes.find({}, { projection: { _id: 1 } }).toArray()).map((d) => d._id);
      say(`ids ${JSON.stringify(ids)}`);
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`lock-child failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
