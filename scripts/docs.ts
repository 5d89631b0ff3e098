/**
 * `npm run docs:postman`: writes the files generated from the OpenAPI document into docs/:
 *
 *   docs/openapi.json                           the document itself (what GET /openapi.json serves)
 *   docs/thunder-notes.postman_collection.json  the tutorial as a Postman collection (v2.1.0)
 *   docs/thunder-notes.http                     the same requests for editor REST clients
 *
 * `npm run docs:postman -- --check` writes nothing: it exits 1 naming each file that is missing
 * or differs from what would be generated now (CI runs it, so the checked-in files stay current).
 * The output is deterministic (no timestamps, no random ids), so an unchanged document gives
 * byte-identical files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { httpFile } from '../src/openapi/httpFile';
import { openApiDocument } from '../src/openapi/document';
import { postmanCollection } from '../src/openapi/postman';
import { PROJECT_ROOT } from '../src/utils/projectRoot';

/** One generated file: its path relative to the project root, and its content. */
export interface GeneratedFile {
  file: string;
  content: string;
}

/** Pretty JSON with a trailing newline (keys in the order the document builds them, which is fixed). */
function jsonFile(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Every file generated from the document, as it would be written now. */
export function generatedFiles(document: object = openApiDocument()): GeneratedFile[] {
  return [
    { file: 'docs/openapi.json', content: jsonFile(document) },
    { file: 'docs/thunder-notes.postman_collection.json', content: jsonFile(postmanCollection(document)) },
    { file: 'docs/thunder-notes.http', content: httpFile(document) },
  ];
}

/** The generated files whose checked-in copy is missing or different. */
export function staleFiles(root: string = PROJECT_ROOT, files: GeneratedFile[] = generatedFiles()): string[] {
  return files.filter(({ file, content }) => {
    const target = path.join(root, file);
    return !fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== content;
  }).map(({ file }) => file);
}

/** Writes the files, or with `--check` only reports the stale ones; returns the exit status. */
function main(args: string[]): number {
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`usage: npm run docs:postman [-- --check]\n(unknown: ${unknown.join(' ')})\n`);
    return 2;
  }
  const files = generatedFiles();
  if (args.includes('--check')) {
    const stale = staleFiles(PROJECT_ROOT, files);
    for (const file of stale) process.stderr.write(`${file} is not current: run \`npm run docs:postman\` and commit it\n`);
    if (stale.length === 0) process.stdout.write(`${files.length} generated files are current\n`);
    return stale.length === 0 ? 0 : 1;
  }
  for (const { file, content } of files) {
    fs.mkdirSync(path.dirname(path.join(PROJECT_ROOT, file)), { recursive: true });
    fs.writeFileSync(path.join(PROJECT_ROOT, file), content);
    process.stdout.write(`wrote ${file}\n`);
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`docs:postman failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
