// Bundles the browser page: client/src/main.ts (and url-template) into client/dist/app.js.
// esbuild only strips types; `npm run typecheck` checks them with client/tsconfig.json.
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');

esbuild
  .build({
    entryPoints: [path.join(root, 'client', 'src', 'main.ts')],
    outfile: path.join(root, 'client', 'dist', 'app.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    sourcemap: true,
    logLevel: 'warning',
  })
  .catch(() => process.exit(1));
