/** Unique values for test data, so that no two tests (or test files, or runs) share a user. */
import crypto from 'node:crypto';

/** An email address no other test uses: `<prefix>-<12 random hex digits>@example.com`. */
export function uniqueEmail(prefix = 'user'): string {
  return `${prefix}-${crypto.randomBytes(6).toString('hex')}@example.com`;
}
