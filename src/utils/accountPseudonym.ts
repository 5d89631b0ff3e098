/**
 * The name under which an account appears in rate-limit keys and audit lines: the first 16 hex
 * digits of SHA-256 over the normalized email. Neither the database's counters nor the logs then
 * hold an address, yet every line about one account carries the same value (and an operator who
 * suspects an address can compute it).
 */
import crypto from 'node:crypto';
import { normalizeEmail } from '../models/User';

/** `acct-<16 hex>` for an email, equal for every spelling that normalizes alike. */
export function accountPseudonym(email: string): string {
  return `acct-${crypto.createHash('sha256').update(normalizeEmail(email)).digest('hex').slice(0, 16)}`;
}
