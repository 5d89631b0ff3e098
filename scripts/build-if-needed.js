// `npm start` runs this first: compile TypeScript when dist/ is missing or older than any source.
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// Everything `npm run build` produces, and everything it is built from.
const outputs = ['dist/src/server.js', 'dist/scripts/seed.js', 'dist/scripts/docs.js', 'dist/bench/run.js', 'client/dist/app.js'].map((f) => path.join(root, f));
const sourceDirs = ['src', 'scripts', 'bench', 'client/src'].map((d) => path.join(root, d));

function newestMtime(dir) {
  let newest = 0;
  if (!fs.existsSync(dir)) return newest;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'tmp' || entry.name === 'results') continue;
    const full = path.join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtime(full) : entry.name.endsWith('.ts') ? fs.statSync(full).mtimeMs : 0;
    if (t > newest) newest = t;
  }
  return newest;
}

const sources = Math.max(...sourceDirs.map(newestMtime));
const oldestOutput = Math.min(...outputs.map((f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0)));
if (oldestOutput === 0 || sources > oldestOutput) {
  console.log('Building (dist/ is missing or older than the sources)...');
  execSync('npm run build', { cwd: root, stdio: 'inherit' });
}
