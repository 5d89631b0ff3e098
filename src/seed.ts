/**
 * The tutorial's demo data: Saurabh and Arpita (password `abcd1234`) and notes 1–5 with their
 * original texts and timestamps. Loading is idempotent (upserts by id) and moves the counters
 * past the demo ids so new users and notes never collide with them.
 */
import { forgetUser, hashPassword } from './controllers/usersController';
import { advanceSeq } from './models/Counter';
import { Note } from './models/Note';
import { User } from './models/User';
import { logger } from './logger';

/** The demo password of both users. */
export const DEMO_PASSWORD = 'abcd1234';

const DEMO_USERS = [
  { id: '1', name: 'Saurabh', email: 'saurabh@example.com', createdAt: 1671494400000 },
  { id: '2', name: 'Arpita', email: 'arpita@example.com', createdAt: 1671494400000 },
] as const;

const DEMO_NOTES = [
  { id: '1', owner: '1', text: 'Shark-Tank Pitch for my disruptive Startup Idea', createdAt: 1671494400000, updatedAt: 1671926400000 },
  { id: '2', owner: '1', text: 'Exotic Vacation plan', createdAt: 1671580800000, updatedAt: 1672012800000 },
  // The tutorial never shows the texts of notes 3 and 4; these are stand-ins.
  { id: '3', owner: '1', text: 'Grocery list for the weekend', createdAt: 1671667200000, updatedAt: 1672099200000 },
  { id: '4', owner: '2', text: 'Book club reading list', createdAt: 1671753600000, updatedAt: 1672185600000 },
  { id: '5', owner: '2', text: 'Parenting 101', createdAt: 1671840000000, updatedAt: 1672272000000 },
] as const;

/** Loads the demo users and notes (replacing earlier copies of them) and advances the counters. */
export async function seedDemo(): Promise<{ users: number; notes: number }> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  for (const user of DEMO_USERS) {
    await User.updateOne(
      { id: user.id },
      { $set: { name: user.name, email: user.email, passwordHash, createdAt: user.createdAt, updatedAt: user.createdAt } },
      { upsert: true },
    );
    forgetUser(user.id); // this process may remember the user it replaced
  }
  for (const note of DEMO_NOTES) {
    await Note.updateOne(
      { id: note.id },
      { $set: { seq: Number(note.id), owner: note.owner, text: note.text, createdAt: note.createdAt, updatedAt: note.updatedAt } },
      { upsert: true },
    );
  }
  await advanceSeq('users', Math.max(...DEMO_USERS.map((u) => Number(u.id))));
  await advanceSeq('notes', Math.max(...DEMO_NOTES.map((n) => Number(n.id))));
  return { users: DEMO_USERS.length, notes: DEMO_NOTES.length };
}

/** Seeds the demo data only when there are no users yet; true when it did. */
export async function seedDemoIfEmpty(): Promise<boolean> {
  if (await User.exists({})) return false;
  const { users, notes } = await seedDemo();
  logger.info(`empty database: loaded the demo data (${users} users, ${notes} notes; password ${DEMO_PASSWORD}); TN_SEED_DEMO=false turns this off`);
  return true;
}
