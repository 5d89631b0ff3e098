/**
 * `npm run seed`: loads the tutorial's demo data into the configured database, idempotently; a
 * database whose ids were handed out without the demo data is refused (exit code 2, nothing
 * written: ids 1–5 may be real users' and notes').
 * `npm run seed -- --reset`: first empties the database (every user, note, id counter and
 * rate-limit count), so that a walkthrough starts again from exactly the demo data and gets the
 * same ids; development only (NODE_ENV=development), refused with exit code 2 anywhere else. With
 * the embedded database, the server must be stopped: the data directory has one owner at a time.
 */
import { config } from '../src/config';
import { connect } from '../src/db';
import { DEMO_PASSWORD, loadDemo, resetDemo } from '../src/seed';

const USAGE = 'usage: npm run seed [-- --reset]';

/** What the command line asks for, or a line saying why it cannot be done. */
function parseArgs(args: readonly string[], env: string): { reset: boolean } | { refusal: string } {
  const unknown = args.filter((arg) => arg !== '--reset');
  if (unknown.length > 0) return { refusal: `unknown argument ${unknown[0]}; ${USAGE}` };
  const reset = args.includes('--reset');
  if (reset && env !== 'development') {
    return { refusal: `--reset deletes every user and note: it runs only with NODE_ENV=development, and NODE_ENV is ${env}. Nothing was changed.` };
  }
  return { reset };
}

/** The failure's message, with what to do when the server holds the data directory. */
function explain(err: Error): string {
  if (/is locked by/.test(err.message)) return `${err.message}\n(the server is running on ${config.db.dataDir}: stop it, run this again, then start it)`;
  return err.message;
}

async function main(): Promise<number> {
  const asked = parseArgs(process.argv.slice(2), config.env);
  if ('refusal' in asked) {
    process.stderr.write(`npm run seed: ${asked.refusal}\n`);
    return 2;
  }
  const db = await connect({ uri: config.db.uri, dataDir: config.db.dataDir, journalMaxBytes: config.db.journalMaxBytes });
  try {
    const loaded = asked.reset ? await resetDemo() : await loadDemo();
    if (!loaded) {
      process.stderr.write('npm run seed: this database has ids handed out without the demo data: ids 1-5 may be real users\' and notes\'. Nothing was changed. (In development, `npm run seed -- --reset` starts over from the demo data.)\n');
      return 2;
    }
    const { users, notes } = loaded;
    const what = asked.reset ? 'Reset the database to the demo data' : 'Seeded';
    process.stdout.write(`${what}: ${users} users and ${notes} notes (password for both users: ${DEMO_PASSWORD}).\n`);
    return 0;
  } finally {
    await db.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`Seeding failed: ${explain(err as Error)}\n`);
    process.exit(1);
  },
);
