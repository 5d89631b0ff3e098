/**
 * The tutorial's demo data: Saurabh and Arpita (password `abcd1234`) and notes 1–5 with their
 * original texts and timestamps (notes 3 and 4 are stand-ins). Loading is idempotent (upserts by
 * id). The demo's ids are claimed before they are written (claimSeq: the counters start past
 * them), so they can never be ids some process already handed out or holds in a block; a
 * database whose ids were handed out without the demo gets no demo data (loadDemo refuses).
 * `resetDemo` (`npm run seed -- --reset`, development only) empties the database first, so a
 * walkthrough can start again from exactly the same state and get the same ids.
 *
 * The orders differ on purpose (issue 15): each user's notes were last updated in id order (the
 * list's default order, by `updatedAt`) but created in another (Saurabh: 3, 1, 2; Arpita: 5, 4),
 * so sorting by `createdAt` instead visibly changes a list.
 */
import { forgetUser, hashPassword } from './controllers/usersController';
import { Counter, advanceSeq, claimSeq, resetIdBlocks } from './models/Counter';
import { Note } from './models/Note';
import { RateLimit } from './models/RateLimit';
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
  // The tutorial never shows notes 3 and 4; stand-ins, created at other times than their ids suggest
  // (as if imported), so that sorting by createdAt and by updatedAt give different orders.
  { id: '3', owner: '1', text: 'Grocery list for the weekend', createdAt: 1671408000000, updatedAt: 1672099200000 },
  { id: '4', owner: '2', text: 'Book club reading list', createdAt: 1671926400000, updatedAt: 1672185600000 },
  { id: '5', owner: '2', text: 'Parenting 101', createdAt: 1671840000000, updatedAt: 1672272000000 },
] as const;

/** The highest id of a list of demo records. */
function maxId(records: readonly { id: string }[]): number {
  return Math.max(...records.map((r) => Number(r.id)));
}

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
    // By owner and id, like every command on notes (the shard key first, docs/scaling.md).
    await Note.updateOne(
      { owner: note.owner, id: note.id },
      { $set: { seq: Number(note.id), text: note.text, createdAt: note.createdAt, updatedAt: note.updatedAt } },
      { upsert: true },
    );
  }
  await advanceSeq('users', maxId(DEMO_USERS));
  await advanceSeq('notes', maxId(DEMO_NOTES));
  return { users: DEMO_USERS.length, notes: DEMO_NOTES.length };
}

/**
 * Seeds the demo data only into a database that never had a user or a note: no users yet, and
 * both id sequences still unclaimed (claimSeq starts them past the demo ids, atomically). A
 * database whose ids were ever handed out keeps them: the demo's ids 1–5 would be reused.
 * True when it seeded.
 */
export async function seedDemoIfEmpty(): Promise<boolean> {
  if (await User.exists({})) return false;
  if (!(await claimDemoIds())) {
    logger.info('no demo data: ids were handed out in this database before (by another process, or to users since deleted)');
    return false;
  }
  const { users, notes } = await seedDemo();
  logger.info(`empty database: loaded the demo data (${users} users, ${notes} notes; password ${DEMO_PASSWORD}); TN_SEED_DEMO=false turns this off`);
  return true;
}

/** Claims the demo's ids: true when both sequences were still unused and now start past them. */
async function claimDemoIds(): Promise<boolean> {
  return (await claimSeq('users', maxId(DEMO_USERS))) && (await claimSeq('notes', maxId(DEMO_NOTES)));
}

/** Whether every demo user is there under its own id and email (the demo was loaded before). */
async function demoLoaded(): Promise<boolean> {
  const found = await User.countDocuments({ $or: DEMO_USERS.map((u) => ({ id: u.id, email: u.email })) });
  return found === DEMO_USERS.length;
}

/**
 * `npm run seed`: loads the demo data again where it was loaded before (idempotent), or into a
 * database whose ids were never handed out (claimed first). Anywhere else ids 1–5 may be real
 * users' and notes', or sit in a running process's block: nothing is written and null comes back.
 */
export async function loadDemo(): Promise<{ users: number; notes: number } | null> {
  if ((await demoLoaded()) || (await claimDemoIds())) return seedDemo();
  return null;
}

/** The collections a reset empties: everything the API stores (accounts, notes, id counters, rate-limit counts). */
const RESET_MODELS = [User, Note, Counter, RateLimit] as const;

/**
 * Puts the whole development database back to the demo data: every user, note, id counter and
 * rate-limit count goes (indexes stay), then the demo data is loaded, so ids start again after
 * the demo ones. Callers check that this is development (scripts/seed.ts refuses in production).
 */
export async function resetDemo(): Promise<{ users: number; notes: number }> {
  const gone = await User.find({}, { id: 1 }).lean();
  for (const model of RESET_MODELS) await model.collection.deleteMany({});
  resetIdBlocks(); // this process's blocks of ids came from the counters just deleted
  for (const user of gone) forgetUser(user.id); // this process may remember users that no longer exist
  return seedDemo();
}
