/**
 * The page is hypermedia-driven: it knows the entry point `/` and nothing else. This test
 * reads every string in the client's source and markup and fails on anything that looks like
 * an API path, so a hard-coded `'/notes'` or `` `${base}/users/${id}` `` cannot creep in.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const CLIENT = path.resolve(__dirname, '..', '..', 'client');

// A literal that starts like a root-relative path, or names one of the API's resources
// anywhere (so concatenations such as `${href}/notes` are caught as well).
const ROOT_RELATIVE = /^\/[^/\s]/;
const API_SEGMENT = /\/(notes|auth|users|client)\b/i;

function looksLikeApiPath(text: string): boolean {
  return text !== '/' && (ROOT_RELATIVE.test(text) || API_SEGMENT.test(text));
}

/**
 * Every string literal and template piece of a TypeScript source, except module specifiers
 * (`import … from './views/notes'` names a file, not a URL). Comments and regexes are not strings.
 */
function literalsInTs(source: string, fileName = 'file.ts'): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || (ts.isExportDeclaration(node) && node.moduleSpecifier)) return;
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      found.push(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The literals of a TypeScript source that look like API paths. */
function pathLiteralsInTs(source: string, fileName = 'file.ts'): string[] {
  return literalsInTs(source, fileName).filter(looksLikeApiPath);
}

/** Attribute values (href, src, action, …) and text in HTML that look like API paths. */
function pathLiteralsInHtml(html: string): string[] {
  const found: string[] = [];
  for (const match of html.matchAll(/\s[\w-]+\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    const value = match[2] ?? match[3] ?? '';
    if (looksLikeApiPath(value)) found.push(value);
  }
  for (const match of html.matchAll(new RegExp(API_SEGMENT.source, 'gi'))) found.push(match[0]);
  return found;
}

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The relative module specifiers (`./x`, `../../src/y`) a TypeScript source imports or re-exports. */
function relativeImports(source: string, fileName: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  return file.statements.flatMap((node) => {
    const specifier = ts.isImportDeclaration(node) || ts.isExportDeclaration(node) ? node.moduleSpecifier : undefined;
    return specifier && ts.isStringLiteral(specifier) && specifier.text.startsWith('.') ? [specifier.text] : [];
  });
}

/**
 * Everything the bundle is built from that the project wrote: every .ts file under client/src,
 * plus whatever those import by relative path from elsewhere in the repository (such as the
 * hypermedia types shared with the API), followed transitively. Packages are not followed.
 */
function pageSources(): string[] {
  const found = new Set(tsFiles(path.join(CLIENT, 'src')));
  const queue = [...found];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    for (const specifier of relativeImports(fs.readFileSync(file, 'utf8'), file)) {
      const base = path.resolve(path.dirname(file), specifier);
      const target = [base, `${base}.ts`, path.join(base, 'index.ts')].find((candidate) => candidate.endsWith('.ts') && fs.existsSync(candidate));
      if (!target) throw new Error(`${path.relative(CLIENT, file)} imports ${specifier}, which resolves to no .ts file`);
      if (!found.has(target)) {
        found.add(target);
        queue.push(target);
      }
    }
  }
  return [...found].sort();
}

describe('the client knows no API path but the entry point', () => {
  it('has no string literal that looks like an API path in client/src or the modules it imports', () => {
    const files = pageSources();
    expect(files.length).toBeGreaterThan(5);
    const offenders = files.flatMap((file) =>
      pathLiteralsInTs(fs.readFileSync(file, 'utf8'), file).map((literal) => `${path.relative(CLIENT, file)}: ${literal}`),
    );
    expect(offenders).toEqual([]);
  });

  it('has no API path in client/index.html', () => {
    expect(pathLiteralsInHtml(fs.readFileSync(path.join(CLIENT, 'index.html'), 'utf8'))).toEqual([]);
  });

  it('scans the modules outside client/src that the page bundles', () => {
    expect(pageSources()).toEqual(expect.arrayContaining([path.resolve(CLIENT, '..', 'src', 'types', 'hypermedia.ts')]));
  });

  it('declares the entry point "/" exactly once, in entry.ts', () => {
    const files = pageSources().filter((file) => literalsInTs(fs.readFileSync(file, 'utf8')).includes('/'));
    expect(files.map((file) => path.relative(CLIENT, file))).toEqual([path.join('src', 'entry.ts')]);
  });

  describe('the scanner itself', () => {
    it.each([
      ["fetch('/notes')", '/notes'],
      ['const url = "/users/" + id;', '/users/'],
      ['send("GET", `/notes/${id}`)', '/notes/'],
      ['send("GET", `${base}/auth`)', '/auth'],
      ["const c = '/client/';", '/client/'],
      ["const other = '/api/v2/things';", '/api/v2/things'],
      ["import x from './x'; const u = '/users';", '/users'],
    ])('flags %s', (source, literal) => {
      expect(pathLiteralsInTs(source)).toEqual([literal]);
    });

    it('lets the entry point, relative names, regexes and comments through', () => {
      const source = [
        "const ENTRY = '/';",
        "const re = /\\/notes/;",
        '// follows the /notes link',
        "const css = 'styles.css';",
        "const text = 'PUT on the collection';",
      ].join('\n');
      expect(pathLiteralsInTs(source)).toEqual([]);
    });

    it('flags a root-relative href or an API segment in HTML', () => {
      expect(pathLiteralsInHtml('<a href="/notes">notes</a>')).toEqual(['/notes', '/notes']);
      expect(pathLiteralsInHtml('<script src="dist/app.js"></script><link href="styles.css">')).toEqual([]);
    });
  });
});
