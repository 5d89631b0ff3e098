/**
 * Registered users. `email` is stored normalized (trimmed, lower-case) under a unique index.
 * `tokenVersion` counts password changes: tokens carry the version they were issued under, and
 * one issued under an older version is refused, so a password change ends every session.
 */
import { Schema, model } from 'mongoose';

export interface UserDoc {
  id: string;
  name: string;
  email: string;
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
  /** Missing in documents written before it existed: read as 0, the version of their tokens. */
  tokenVersion?: number;
  /** The Idempotency-Key the user registered with, if any (controllers/idempotency.ts). */
  idem?: { key: string; hash: string; at: number };
}

const userSchema = new Schema<UserDoc>(
  {
    id: { type: String, required: true, unique: true },
    name: { type: String, required: true },
    // Normalized before it is stored: the embedded server has no collations, so case-insensitive
    // uniqueness is a unique index on the lower-cased value.
    email: { type: String, required: true, unique: true },
    passwordHash: { type: String, required: true },
    createdAt: { type: Number, required: true },
    updatedAt: { type: Number, required: true },
    tokenVersion: { type: Number, default: 0 },
    idem: { key: String, hash: String, at: Number },
  },
  { versionKey: false, collection: 'users' },
);

// An Idempotency-Key of a registration names at most one user; users without one are not indexed.
userSchema.index({ 'idem.key': 1 }, { unique: true, sparse: true });

export const User = model<UserDoc>('User', userSchema);

/** The form an email is stored and looked up in. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
