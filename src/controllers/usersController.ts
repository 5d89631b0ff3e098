/**
 * Users: registration (argon2id hash, race-safe unique email), the caller's profile and its
 * changes (name, password, deletion of the account with its notes), look-ups.
 *
 * Every authenticated request asks whether its token's user still exists. A user found is
 * remembered for `config.userCache.ttlMs` (at most one second) from the moment the read was sent,
 * in a bounded LRU cache of this process, so a busy caller costs one read a second instead of one
 * per request. A user deleted by any process is therefore refused within that second; whatever
 * changes or deletes a user in this process calls `forgetUser`, which takes effect at once.
 * Concurrent look-ups of the same user share one read. Users not found are not remembered.
 */
import argon2 from 'argon2';
import type { z } from 'zod';
import { config } from '../config';
import { findOne, timed } from '../models/commands';
import { nextSeq } from '../models/Counter';
import { Note } from '../models/Note';
import { User, normalizeEmail, type UserDoc } from '../models/User';
import { currentPassword as currentPasswordSchema, newPassword as newPasswordSchema, userName as userNameSchema } from '../schemas/userSchemas';
import type { Link } from '../types/hypermedia';
import { DomainError } from '../utils/DomainError';
import { LruCache } from '../utils/lruCache';
import { isConditional, representationEtag, writeInState, type Preconditions, type ReadState } from './conditionalWrites';
import { hashPool } from './hashPool';
import { isDuplicateKey, judgeStoredKey, type IdempotencyKey, type StoredKey } from './idempotency';
import { profileLinks } from './hateoasController';

/** A user as the app knows it (never the password hash); the profile shows a part of it. */
export interface UserDTO {
  id: string;
  name: string;
  email: string;
  createdAt: number;
  updatedAt: number;
  /** The password changes so far: a token issued under another version is refused. */
  tokenVersion: number;
}

/** What registration needs. */
export interface NewUser {
  name: string;
  email: string;
  password: string;
}

/** The profile as `GET /users/{id}` shows it. */
export interface ProfileView {
  id: string;
  name: string;
  email: string;
  createdAt: number;
  links: Link[];
}

const PUBLIC_FIELDS = { _id: 0, id: 1, name: 1, email: 1, createdAt: 1, updatedAt: 1, tokenVersion: 1 } as const;
const CREDENTIAL_FIELDS = { ...PUBLIC_FIELDS, passwordHash: 1 } as const;

function toDTO(doc: Pick<UserDoc, 'id' | 'name' | 'email' | 'createdAt' | 'updatedAt' | 'tokenVersion'>): UserDTO {
  // Users stored before tokens had versions have none: 0, the version their tokens carry.
  return { id: doc.id, name: doc.name, email: doc.email, createdAt: doc.createdAt, updatedAt: doc.updatedAt, tokenVersion: doc.tokenVersion ?? 0 };
}

/** Hashes a password with argon2id at the configured cost, in the hashing pool (BusyError when it is full). */
export function hashPassword(password: string): Promise<string> {
  return hashPool.run(() => argon2.hash(password, { type: argon2.argon2id, timeCost: config.argon2.timeCost, memoryCost: config.argon2.memoryCost }));
}

/** Whether `password` is the one `hash` was made of, checked in the hashing pool (BusyError when it is full); a malformed hash is a mismatch. */
export function verifyPassword(hash: string, password: string): Promise<boolean> {
  return hashPool.run(() => argon2.verify(hash, password).catch(() => false));
}

/** Registers a user; the email (compared case-insensitively) must not be taken. */
export async function registerUser(input: NewUser, now: number = Date.now(), idem?: StoredKey): Promise<ProfileView> {
  const email = normalizeEmail(input.email);
  // A cheap pre-check spares the hash for the common case; the unique index decides races
  // (its duplicate-key error becomes the same 409 in the error middleware).
  if (await timed('find', () => User.exists({ email }))) {
    throw new DomainError('conflict', 'A user with this email already exists.', { field: 'email' });
  }
  const passwordHash = await hashPassword(input.password);
  const seq = await nextSeq('users');
  const user = await timed('insert', () => User.create({ id: String(seq), name: input.name.trim(), email, passwordHash, createdAt: now, updatedAt: now, ...(idem ? { idem } : {}) }));
  return toProfile(toDTO(user));
}

/**
 * Registers a user once per Idempotency-Key (scoped to registrations): a retry with the same key
 * and body within 24 hours gets the same profile back (`replayed`) instead of a 409 for its own
 * email; the same key with another body is 422 (see controllers/idempotency.ts). Concurrent
 * duplicates: one insert wins (the unique email and key), the others answer with its user.
 */
export async function registerUserOnce(input: NewUser, idempotency: IdempotencyKey, now: number = Date.now()): Promise<{ profile: ProfileView; replayed: boolean }> {
  const key = `register:${idempotency.key}`;
  const registered = async (): Promise<{ profile: ProfileView; replayed: boolean } | undefined> => {
    const first = await findOne<UserDoc>(User, { 'idem.key': key }, { ...PUBLIC_FIELDS, idem: 1 });
    if (!first?.idem) return undefined;
    if (judgeStoredKey(first.idem, idempotency, now) === 'replay') return { profile: toProfile(toDTO(first)), replayed: true };
    await timed('update', () => User.collection.updateOne({ 'idem.key': key, 'idem.at': first.idem?.at }, { $unset: { idem: '' } }));
    return undefined;
  };
  const earlier = await registered();
  if (earlier) return earlier;
  try {
    return { profile: await registerUser(input, now, { key, hash: idempotency.fingerprint, at: now }), replayed: false };
  } catch (err) {
    // A concurrent duplicate got there first (its email or its key is taken): answer as it was answered.
    const lostRace = isDuplicateKey(err) || (err instanceof DomainError && err.kind === 'conflict') || (err as { code?: unknown }).code === 11000;
    if (lostRace) {
      const winner = await registered();
      if (winner) return winner;
    }
    throw err;
  }
}

/** The profile of a user, with its links. */
function toProfile(user: UserDTO): ProfileView {
  return { id: user.id, name: user.name, email: user.email, createdAt: user.createdAt, links: profileLinks(user.id) };
}

/** The failure for a user that does not exist or is not the caller: the same to the caller. */
function userNotFound(id: string): DomainError {
  return new DomainError('not-found', `User with ID '${id}' does not exist.`, { resource: 'user' });
}

/** The caller's own profile; any other id is the same "does not exist" as a missing user. */
export function getProfile(caller: UserDTO, id: string): { profile: ProfileView; updatedAt: number } {
  if (id !== caller.id) throw userNotFound(id);
  return { profile: toProfile(caller), updatedAt: caller.updatedAt };
}

/** A remembered look-up: the user (or the read still running) and until when it may be trusted. */
interface CachedUser {
  user: UserDTO | Promise<UserDTO | null>;
  /** `performance.now()` after which the entry is not used: the read's start plus the TTL. */
  trustedUntil: number;
}

const userCache = new LruCache<string, CachedUser>(config.userCache.ttlMs > 0 ? config.userCache.maxEntries : 0);

/** Reads a user from the database, without the cache. */
async function readUser(id: string): Promise<UserDTO | null> {
  const user = await findOne<UserDoc>(User, { id }, PUBLIC_FIELDS);
  return user ? toDTO(user) : null;
}

/**
 * The user with this id, or null. A user found by a read sent less than `config.userCache.ttlMs`
 * ago (at most a second) is answered from memory; see the module comment.
 */
export function findUserById(id: string): Promise<UserDTO | null> | UserDTO {
  const now = performance.now();
  const cached = userCache.get(id);
  if (cached && cached.trustedUntil > now) return cached.user;
  if (userCache.maxEntries === 0) return readUser(id);
  // The deadline counts from before the read: whatever the read sees was true at or after `now`.
  const entry: CachedUser = { user: readUser(id), trustedUntil: now + config.userCache.ttlMs };
  userCache.set(id, entry);
  const pending = entry.user as Promise<UserDTO | null>;
  pending.then(
    (user) => {
      // Only if no forgetUser() or newer read replaced the entry meanwhile.
      if (userCache.peek(id) !== entry) return;
      if (user) entry.user = user;
      else userCache.delete(id);
    },
    () => {
      if (userCache.peek(id) === entry) userCache.delete(id);
    },
  );
  return pending;
}

/**
 * Forgets what this process remembers about a user, so its next request reads the database.
 * Whatever changes or deletes a user calls it (other processes notice within `ttlMs`).
 */
export function forgetUser(id: string): void {
  userCache.delete(id);
}

/** The user with this email and their password hash, for authentication only. */
export async function findCredentials(email: string): Promise<(UserDTO & { passwordHash: string }) | null> {
  const user = await findOne<UserDoc>(User, { email: normalizeEmail(email) }, CREDENTIAL_FIELDS);
  return user ? { ...toDTO(user), passwordHash: user.passwordHash } : null;
}

// --- Changes to the account ----------------------------------------------------------------

/** What a PATCH of the profile asks for, once its members have been checked. */
export interface ProfileChange {
  name?: string;
  /** A new password, with the current one that proves the caller may set it. */
  password?: { next: string; current: string };
}

/** The profile after a write: its representation (as GET shows it) and that representation's ETag. */
export interface WrittenProfile {
  profile: ProfileView;
  etag: string;
}

/** The members of the profile's representation that only the server sets. */
const READ_ONLY_MEMBERS = ['id', 'email', 'createdAt', 'links'] as const;

type FieldErrors = Array<{ name: string; message: string }>;

function unprocessable(detail: string, errors: FieldErrors): DomainError {
  return new DomainError('unprocessable', detail, { errors });
}

/** The value of a member if it is valid, with its errors added to `errors` otherwise. */
function checked<T>(schema: z.ZodType<T>, name: string, value: unknown, errors: FieldErrors): T | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  errors.push(...result.error.issues.map((issue) => ({ name, message: issue.message })));
  return undefined;
}

/**
 * The change a PATCH document asks of the profile: a JSON object (an application/json body,
 * already validated, or a merge patch, RFC 7396) naming `name`, or `password` with
 * `currentPassword`, or both. Anything else is 422 naming every member that is wrong: read-only
 * or unknown members, `null` (a merge patch's removal: a profile keeps its name and password),
 * invalid values, `password` without `currentPassword` or the other way round, nothing to change.
 */
export function profileChangeOf(patch: unknown): ProfileChange {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw unprocessable('The patch would replace the profile with something that is not a profile: send a JSON object with the members to change.', [
      { name: 'body', message: 'must be a JSON object' },
    ]);
  }
  const members = patch as Record<string, unknown>;
  const errors: FieldErrors = [];
  const change: ProfileChange = {};
  let next: string | undefined;
  let current: string | undefined;
  for (const [key, value] of Object.entries(members)) {
    if ((READ_ONLY_MEMBERS as readonly string[]).includes(key)) errors.push({ name: key, message: 'is read-only (set by the server)' });
    else if (key !== 'name' && key !== 'password' && key !== 'currentPassword') errors.push({ name: key, message: 'is not a member of the profile' });
    else if (value === null && key !== 'currentPassword') errors.push({ name: key, message: 'cannot be removed' });
    else if (key === 'name') change.name = checked(userNameSchema, key, value, errors)?.trim();
    else if (key === 'password') next = checked(newPasswordSchema, key, value, errors);
    else current = checked(currentPasswordSchema, key, value, errors);
  }
  if ('password' in members && !('currentPassword' in members)) errors.push({ name: 'currentPassword', message: 'is required to change the password' });
  if ('currentPassword' in members && !('password' in members)) errors.push({ name: 'currentPassword', message: 'is only used with password' });
  if (Object.keys(members).length === 0) errors.push({ name: 'body', message: 'must name name or password: an empty patch changes nothing' });
  if (errors.length > 0) throw unprocessable('The patch cannot be applied to the profile; nothing was changed.', errors);
  if (next !== undefined && current !== undefined) change.password = { next, current };
  return change;
}

/** A user as stored now, with the password's hash, read from the database (never from the cache): a write compares with it. */
async function storedUser(id: string): Promise<(UserDTO & { passwordHash: string }) | null> {
  const user = await findOne<UserDoc>(User, { id }, CREDENTIAL_FIELDS);
  return user ? { ...toDTO(user), passwordHash: user.passwordHash } : null;
}

/**
 * A filter that matches the user only while it is exactly in this state: every stored field its
 * representation is made of (id, name, email, createdAt), its date (which If-Unmodified-Since
 * compares) and its password's hash (so two password changes proven by the same old password
 * cannot both be made).
 */
function inState(user: UserDTO & { passwordHash: string }): Record<string, unknown> {
  return { id: user.id, name: user.name, email: user.email, createdAt: user.createdAt, updatedAt: user.updatedAt, passwordHash: user.passwordHash };
}

/** The user as stored now, with the ETag and date its preconditions are compared with. */
async function currentUser(id: string): Promise<ReadState<UserDTO & { passwordHash: string }>> {
  const state = await storedUser(id);
  if (!state) throw userNotFound(id);
  return { state, etag: representationEtag(toProfile(state)), lastModified: state.updatedAt };
}

/**
 * Changes the caller's profile as the PATCH document says (see `profileChangeOf`). Only the
 * caller's own id; any other is 404. The user is read from the database, the preconditions are
 * compared with it (412 with the current ETag when they fail), a password change is proven with
 * the current password (403 when it is wrong), and the write matches only the state that was
 * read, so a concurrent writer in between makes it match nothing: then it starts over, at most
 * WRITE_ATTEMPTS times (conditionalWrites.writeInState). `updatedAt` moves forward on every change. A new password increments the
 * token version, which ends every session: the caller logs in again with it.
 */
export async function editProfile(caller: UserDTO, id: string, patch: unknown, preconditions: Preconditions, now: number = Date.now()): Promise<WrittenProfile> {
  if (id !== caller.id) throw userNotFound(id);
  const change = profileChangeOf(patch);
  return writeInState(
    'user',
    preconditions,
    () => currentUser(id),
    async (before) => {
      // Strictly after the last change, even within one millisecond or behind another process's clock.
      const set: Record<string, unknown> = { updatedAt: Math.max(now, before.updatedAt + 1) };
      if (change.name !== undefined) set.name = change.name;
      const update: Record<string, unknown> = { $set: set };
      if (change.password) {
        if (!(await verifyPassword(before.passwordHash, change.password.current))) {
          throw new DomainError('forbidden', 'currentPassword is not the current password; nothing was changed.');
        }
        set.passwordHash = await hashPassword(change.password.next);
        update.$inc = { tokenVersion: 1 };
      }
      const doc = (await timed('findAndModify', () =>
        User.collection.findOneAndUpdate(inState(before), update, { returnDocument: 'after', projection: PUBLIC_FIELDS }),
      )) as UserDoc | null;
      if (!doc) return undefined;
      forgetUser(id);
      const profile = toProfile(toDTO(doc));
      return { profile, etag: representationEtag(profile) };
    },
    'The profile changed during this write several times in a row; nothing was written. Try again.',
  );
}

/**
 * Deletes the caller's account and then all of their notes. Only the caller's own id; any
 * other is 404. With preconditions, the user is read, compared, and deleted only in the state
 * compared (compare-and-swap, as for a PATCH). Once the user is gone, its tokens are refused
 * (at once in this process, within `config.userCache.ttlMs` in others) and its notes cannot be
 * reached by anyone: ids are never reused, so no later user becomes their owner. The email is
 * free to register again.
 */
export async function deleteAccount(caller: UserDTO, id: string, preconditions: Preconditions): Promise<void> {
  if (id !== caller.id) throw userNotFound(id);
  if (!isConditional(preconditions)) {
    const result = await timed('delete', () => User.collection.deleteOne({ id }));
    if (result.deletedCount === 0) throw userNotFound(id);
  } else {
    await writeInState(
      'user',
      preconditions,
      () => currentUser(id),
      async (before) => ((await timed('delete', () => User.collection.deleteOne(inState(before)))).deletedCount === 1 ? true : undefined),
      'The profile changed during this delete several times in a row; nothing was deleted. Try again.',
    );
  }
  forgetUser(id);
  // After the user: a crash in between leaves notes nobody can reach (their owner's id is never
  // given again), never a user without the notes they had.
  await timed('delete', () => Note.collection.deleteMany({ owner: id }));
}
