/** Users persistence: registration (argon2id hash, race-safe unique email) and look-ups. */
import argon2 from 'argon2';
import { config } from '../config';
import { nextSeq } from '../models/Counter';
import { User, normalizeEmail, type UserDoc } from '../models/User';
import { AppError } from '../utils/AppError';

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

const PUBLIC_FIELDS = { _id: 0, id: 1, name: 1, email: 1, createdAt: 1, updatedAt: 1 } as const;

function toDTO(doc: Pick<UserDoc, 'id' | 'name' | 'email' | 'createdAt' | 'updatedAt'>): UserDTO {
  return { id: doc.id, name: doc.name, email: doc.email, createdAt: doc.createdAt, updatedAt: doc.updatedAt };
}

/** Hashes a password with argon2id at the configured cost. */
export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id, timeCost: config.argon2.timeCost, memoryCost: config.argon2.memoryCost });
}

function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

/** Registers a user; 409 when the email (compared case-insensitively) is taken. */
export async function registerUser(input: NewUser, now: number = Date.now()): Promise<UserDTO> {
  const email = normalizeEmail(input.email);
  const emailTaken = () =>
    new AppError(409, 'A user with this email already exists.', {
      errors: [{ in: 'body', name: 'email', message: 'is already registered' }],
    });
  // A cheap pre-check spares the hash for the common case; the unique index decides races.
  if (await User.exists({ email })) throw emailTaken();
  const passwordHash = await hashPassword(input.password);
  const seq = await nextSeq('users');
  try {
    const user = await User.create({ id: String(seq), name: input.name.trim(), email, passwordHash, createdAt: now, updatedAt: now });
    return toDTO(user);
  } catch (err) {
    if (isDuplicateKey(err)) throw emailTaken();
    throw err;
  }
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
