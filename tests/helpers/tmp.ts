/** Temporary directories for tests that need real files: one per test file or test, removed afterwards. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh directory under the OS temp dir, named `<prefix>XXXXXX`; remove it with `removeDir`. */
export function makeTempDir(prefix = 'tn-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Deletes a directory made by `makeTempDir` and everything in it; a missing one is fine. */
export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
