/**
 * Fast seeding for the benchmark, straight through the mongoose models (no HTTP): users and
 * notes are inserted with `insertMany` in batches, every user sharing one argon2id hash of the
 * same password (hashing is the expensive part of registration and is not what is measured).
 * The counters are then moved past the seeded ids so `POST /notes` allocates fresh ones.
 *
 * Notes are written in rounds (note 1 of every user, then note 2 of every user, ...), so one
 * user's notes are spread through the collection as they would be in real use.
 */
import mongoose from 'mongoose';
import { hashPassword } from '../src/controllers/usersController';
import { advanceSeq } from '../src/models/Counter';
import { Note, type NoteDoc } from '../src/models/Note';
import { User, type UserDoc } from '../src/models/User';

/** `users` users with `notesPerUser` notes each. */
export interface SeedGroup {
  users: number;
  notesPerUser: number;
}

export interface SeedSpec {
  groups: SeedGroup[];
  password: string;
  batchSize?: number;
}

/** The user the benchmark logs in as: the first user of the first group. */
export interface BenchUser {
  id: string;
  name: string;
  email: string;
  password: string;
  noteCount: number;
  /** A few of this user's note ids, spread over its notes. */
  noteIds: string[];
}

export interface SeedResult {
  users: number;
  notes: number;
  hashMs: number;
  usersMs: number;
  notesMs: number;
  totalMs: number;
  benchUser: BenchUser;
}

/** Email of the n-th seeded user (1-based). */
export function benchEmail(n: number): string {
  return `bench-user-${n}@bench.example`;
}

const WORDS = ['thunder', 'note', 'remember', 'milk', 'meeting', 'deploy', 'review', 'call', 'idea', 'draft', 'read', 'plan'];

/** Deterministic text of 60–140 characters for note `seq`. */
export function noteText(seq: number): string {
  const words: string[] = [`Note ${seq}:`];
  let x = seq * 2654435761;
  const target = 60 + (seq % 81);
  while (words.join(' ').length < target) {
    x = (x * 1103515245 + 12345) % 2147483648;
    words.push(WORDS[x % WORDS.length]);
  }
  return words.join(' ').slice(0, target);
}

function log(message: string): void {
  process.stderr.write(`seed: ${message}\n`);
}

/** Builds the indexes the models declare (before inserting, as a running app would have them). */
export async function ensureIndexes(): Promise<void> {
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
}

/** Seeds an empty database according to `spec`. */
export async function seed(spec: SeedSpec): Promise<SeedResult> {
  const batchSize = spec.batchSize ?? 1000;
  const started = performance.now();
  await ensureIndexes();

  const hashStart = performance.now();
  const passwordHash = await hashPassword(spec.password);
  const hashMs = performance.now() - hashStart;

  const baseTime = Date.UTC(2026, 0, 1);

  // Users: ids 1..N over all groups, in order.
  const usersStart = performance.now();
  const groupsWithIds: Array<SeedGroup & { firstUser: number }> = [];
  let nextUser = 1;
  for (const group of spec.groups) {
    groupsWithIds.push({ ...group, firstUser: nextUser });
    nextUser += group.users;
  }
  const totalUsers = nextUser - 1;
  let userBatch: UserDoc[] = [];
  for (let n = 1; n <= totalUsers; n++) {
    const t = baseTime + n;
    userBatch.push({ id: String(n), name: `Bench User ${n}`, email: benchEmail(n), passwordHash, createdAt: t, updatedAt: t });
    if (userBatch.length === batchSize || n === totalUsers) {
      await User.insertMany(userBatch, { lean: true });
      userBatch = [];
    }
  }
  const usersMs = performance.now() - usersStart;

  // Notes: per group, in rounds over the group's users.
  const notesStart = performance.now();
  let seq = 0;
  let batch: NoteDoc[] = [];
  const benchNoteIds: string[] = [];
  const first = groupsWithIds[0];
  const totalNotes = spec.groups.reduce((sum, g) => sum + g.users * g.notesPerUser, 0);
  let nextReport = 100_000;
  const flush = async () => {
    if (batch.length === 0) return;
    await Note.insertMany(batch, { lean: true });
    batch = [];
    if (seq >= nextReport) {
      log(`${seq.toLocaleString('en-US')} / ${totalNotes.toLocaleString('en-US')} notes (${Math.round((performance.now() - notesStart) / 1000)} s)`);
      nextReport += 100_000;
    }
  };
  for (const group of groupsWithIds) {
    for (let round = 0; round < group.notesPerUser; round++) {
      for (let u = 0; u < group.users; u++) {
        seq++;
        const owner = String(group.firstUser + u);
        const t = baseTime + seq * 1000;
        batch.push({ id: String(seq), seq, owner, text: noteText(seq), createdAt: t, updatedAt: t });
        if (group === first && u === 0) benchNoteIds.push(String(seq));
        if (batch.length === batchSize) await flush();
      }
    }
  }
  await flush();
  const notesMs = performance.now() - notesStart;

  await advanceSeq('users', totalUsers);
  await advanceSeq('notes', seq);

  // Ids from the middle of the bench user's notes, so neither end of a scan is favoured.
  const pick = (fraction: number) => benchNoteIds[Math.min(benchNoteIds.length - 1, Math.floor(benchNoteIds.length * fraction))];
  return {
    users: totalUsers,
    notes: seq,
    hashMs: Math.round(hashMs),
    usersMs: Math.round(usersMs),
    notesMs: Math.round(notesMs),
    totalMs: Math.round(performance.now() - started),
    benchUser: {
      id: '1',
      name: 'Bench User 1',
      email: benchEmail(1),
      password: spec.password,
      noteCount: first.notesPerUser,
      noteIds: benchNoteIds.length ? [pick(0.5), pick(0.25), pick(0.75)] : [],
    },
  };
}
