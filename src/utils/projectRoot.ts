/** The project's root folder, the same whether running from `src/` (ts) or `dist/src/` (compiled). */
import fs from 'node:fs';
import path from 'node:path';

function findRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
  return dir;
}

/** Absolute path of the folder holding package.json. */
export const PROJECT_ROOT = findRoot(__dirname);
