/** `npm run seed`: loads the tutorial's demo data into the configured database, idempotently. */
import { config } from '../src/config';
import { connect } from '../src/db';
import { seedDemo } from '../src/seed';

async function main(): Promise<void> {
  const db = await connect({ uri: config.db.uri, dataDir: config.db.dataDir, journalMaxBytes: config.db.journalMaxBytes });
  try {
    const { users, notes } = await seedDemo();
    process.stdout.write(`Seeded ${users} users and ${notes} notes (password for both users: abcd1234).\n`);
  } finally {
    await db.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`Seeding failed: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
