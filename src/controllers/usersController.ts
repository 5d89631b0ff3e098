/** Users: registration (argon2id hash, race-safe unique email), the caller's profile, look-ups. */
import argon2 from 'argon2';
import { config } from '../config';
import { nextSeq } from '../models/Counter';
import { User, normalizeEmail, type UserDoc } from '../models/User';
import type { Link } from '../types/hypermedia';
import { DomainError } from '../utils/DomainError';
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
  if (await User.exists({ email })) {
    throw new DomainError('conflict', 'A user with this email already exists.', { field: 'email' });
  }
  const passwordHash = await hashPassword(input.password);
  const seq = await nextSeq('users');
  const user = await User.create({ id: String(seq), name: input.name.trim(), email, passwordHash, createdAt: now, updatedAt: now });
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

/** The user with this id, or null. */
export async function findUserById(id: string): Promise<UserDTO | null> {
  const user = await User.findOne({ id }, PUBLIC_FIELDS).lean();
  return user ? toDTO(user) : null;
}

/** The user with this email and their password hash, for authentication only. */
export async function findCredentials(email: string): Promise<(UserDTO & { passwordHash: string }) | null> {
  const user = await User.findOne({ email: normalizeEmail(email) }, { ...PUBLIC_FIELDS, passwordHash: 1 }).lean();
  return user ? { ...toDTO(user), passwordHash: user.passwordHash } : null;
}
