/** Registered users. `email` is stored normalized (trimmed, lower-case) under a unique index. */
import { Schema, model } from 'mongoose';

export interface UserDoc {
  id: string;
  name: string;
  email: string;
  passwordHash: string;
  createdAt: number;
  updatedAt: number;
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
  },
  { versionKey: false, collection: 'users' },
);

export const User = model<UserDoc>('User', userSchema);

/** The form an email is stored and looked up in. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
