/**
 * Users: registration (argon2id hash, race-safe unique email), the caller's profile, look-ups.
 *
 * Every authenticated request asks whether its token's user still exists. A user found is
 * remembered for `config.userCache.ttlMs` (at most one second) from the moment the read was sent,
 * in a bounded LRU cache of this process, so a busy caller costs one read a second instead of one
 * per request. A user deleted by any process is therefore refused within that second; whatever
 * changes or deletes a user in this process calls `forgetUser`, which takes effect at once.
 * Concurrent look-ups of the same user share one read. Users not found are not remembered.
 */
import argon2 from 'argon2';
import { config } from '../config';
import { findOne, timed } from '../models/commands';
import { nextSeq } from '../models/Counter';
import { User, normalizeEmail, type UserDoc } from '../models/User';
import type { Link } from '../types/hypermedia';
import { DomainError } from '../utils/DomainError';
import { LruCache } from '../utils/lruCache';
import { hashPool } from './hashPool';
import { profileLinks } from './hateoasController';

/** A user as the API shows it (never the password hash). */
export interface UserDTO {
  id: string;
  name: string;
  email: string;
  createdAt: number;
  updatedAt: number;
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

const PUBLIC_FIELDS = { _id: 0, id: 1, name: 1, email: 1, createdAt: 1, updatedAt: 1 } as const;
const CREDENTIAL_FIELDS = { ...PUBLIC_FIELDS, passwordHash: 1 } as const;

function toDTO(doc: Pick<UserDoc, 'id' | 'name' | 'email' | 'createdAt' | 'updatedAt'>): UserDTO {
  return { id: doc.id, name: doc.name, email: doc.email, createdAt: doc.createdAt, updatedAt: doc.updatedAt };
}

/** Hashes a password with argon2id at the configured cost, in the hashing pool (BusyError when it is full). */
export function hashPassword(password: string): Promise<string> {
  return hashPool.run(() => argon2.hash(password, { type: argon2.argon2id, timeCost: config.argon2.timeCost, memoryCost: config.argon2.memoryCost }));
}

/** Registers a user; the email (compared case-insensitively) must not be taken. */
export async function registerUser(input: NewUser, now: number = Date.now()): Promise<ProfileView> {
  const email = normalizeEmail(input.email);
  // A cheap pre-check spares the hash for the common case; the unique index decides races
  // (its duplicate-key error becomes the same 409 in the error middleware).
  if (await timed('find', () => User.exists({ email }))) {
    throw new DomainError('conflict', 'A user with this email already exists.', { field: 'email' });
  }
  const passwordHash = await hashPassword(input.password);
  const seq = await nextSeq('users');
  const user = await timed('insert', () => User.create({ id: String(seq), name: input.name.trim(), email, passwordHash, createdAt: now, updatedAt: now }));
  return toProfile(toDTO(user));
}

/** The profile of a user, with its links. */
function toProfile(user: UserDTO): ProfileView {
  return { id: user.id, name: user.name, email: user.email, createdAt: user.createdAt, links: profileLinks(user.id) };
}

/** The caller's own profile; any other id is the same "does not exist" as a missing user. */
export function getProfile(caller: UserDTO, id: string): { profile: ProfileView; updatedAt: number } {
  if (id !== caller.id) throw new DomainError('not-found', `User with ID '${id}' does not exist.`, { resource: 'user' });
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
