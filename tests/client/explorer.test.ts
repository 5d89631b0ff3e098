/**
 * Unit tests of the explorer's pure modules: the links table (JSON, HAL, HAL-FORMS, Link
 * header), "Copy as curl" (quoting checked by real shells) and the address-bar routes.
 */
import { execFileSync } from 'node:child_process';
import { curlCommand, shellQuote } from '../../client/src/curl';
import { linkRows, parseLinkHeader } from '../../client/src/explorer-links';
import { hashFor, isSameOrigin, routeFromHash, type Route } from '../../client/src/hash-route';

describe('linkRows', () => {
  it('lists the JSON links of the body and of every item in it, with where they were found', () => {
    const body = {
      notes: [{ id: '1', links: [{ rel: 'self', href: '/notes/1', method: 'GET' }] }],
      links: [
        { rel: 'add-note', href: '/notes', method: 'POST' },
        { rel: 'search', href: '/notes{?q}', method: 'GET', templated: true },
        { rel: 'broken', href: 3, method: 'GET' },
      ],
    };
    expect(linkRows(body, null)).toEqual([
      { rel: 'add-note', method: 'POST', methodStated: true, href: '/notes', templated: false, source: 'json', at: '' },
      { rel: 'search', method: 'GET', methodStated: true, href: '/notes{?q}', templated: true, source: 'json', at: '' },
      { rel: 'self', method: 'GET', methodStated: true, href: '/notes/1', templated: false, source: 'json', at: 'notes[0]' },
    ]);
  });

  it('takes a HAL link’s method from the HAL-FORMS template of its rel, else assumes GET and says so', () => {
    const body = {
      _links: {
        self: { href: '/notes/1' },
        'tn:update': { href: '/notes/1' },
        'tn:notes': { href: '/notes' },
        curies: [{ name: 'tn', href: '/rels/{rel}', templated: true }],
      },
      _templates: {
        default: { method: 'PUT', target: '/notes/1', properties: [] },
        update: { method: 'PUT', target: '/notes/1', properties: [] },
        delete: { method: 'DELETE', properties: [] },
      },
    };
    const rows = linkRows(body, undefined).map(({ rel, method, methodStated, href, source }) => [rel, method, methodStated, href, source]);
    expect(rows).toEqual([
      ['self', 'GET', false, '/notes/1', 'hal'],
      ['tn:update', 'PUT', true, '/notes/1', 'hal'],
      ['tn:notes', 'GET', false, '/notes', 'hal'],
      // `default` repeats `update`; a template without target acts on the resource itself.
      ['update', 'PUT', true, '/notes/1', 'hal-forms'],
      ['delete', 'DELETE', true, '/notes/1', 'hal-forms'],
    ]);
  });

  it('reads embedded HAL resources and arrays of links under one rel', () => {
    const body = { _links: { item: [{ href: '/a' }, { href: '/b' }] }, _embedded: { item: [{ _links: { self: { href: '/notes/9' } } }] } };
    expect(linkRows(body, null).map((r) => `${r.at}|${r.rel}|${r.href}`)).toEqual(['|item|/a', '|item|/b', '_embedded.item[0]|self|/notes/9']);
  });

  it('reads the Link header: several items, several rels, the method in the title', () => {
    const header = '</openapi.json>; rel="service-desc", </docs>; rel=service-doc, </notes/1>; rel="http://h/rels/update edit"; title="PUT", <bad';
    expect(linkRows('not json', header).map((r) => [r.rel, r.method, r.methodStated, r.href, r.source])).toEqual([
      ['service-desc', 'GET', false, '/openapi.json', 'header'],
      ['service-doc', 'GET', false, '/docs', 'header'],
      ['http://h/rels/update', 'PUT', true, '/notes/1', 'header'],
      ['edit', 'PUT', true, '/notes/1', 'header'],
    ]);
  });

  it('keeps commas and semicolons inside the target and quoted values', () => {
    expect(parseLinkHeader('</a?x=1,2;3>; rel="next"; title="a, b; c"')).toEqual([{ href: '/a?x=1,2;3', params: { rel: 'next', title: 'a, b; c' } }]);
  });

  it('gives no rows for bodies without links', () => {
    expect(linkRows(undefined, null)).toEqual([]);
    expect(linkRows({ message: 'hi' }, '')).toEqual([]);
  });
});

/** What a shell makes of a word: the argument printf receives. */
function throughShell(shell: string, word: string): string {
  return execFileSync(shell, ['-c', `printf %s ${word}`], { encoding: 'utf8' });
}

describe('curl', () => {
  const awkward = [`it's "quoted" $HOME \`id\` !! \\ back`, 'line one\nline two', '', 'plain-word', '{"text":"a \'b\' c"}', '*.ts ; rm -rf x &'];

  it.each(['bash', 'sh'])('shellQuote gives %s back every string as it was', (shell) => {
    for (const value of awkward) expect(throughShell(shell, shellQuote(value))).toBe(value);
  });

  it('builds a command with the method, every header, the body and the absolute URL', () => {
    const command = curlCommand({
      method: 'PUT',
      url: 'http://localhost:3000/notes/1',
      headers: [
        ['Accept', 'application/json'],
        ['Authorization', 'Bearer abc.def.ghi'],
        ['If-Match', '"x1"'],
      ],
      body: '{"text":"it\'s"}',
    });
    expect(command).toBe(
      [
        'curl -i',
        '-X PUT',
        "-H 'Accept: application/json'",
        "-H 'Authorization: Bearer abc.def.ghi'",
        `-H 'If-Match: "x1"'`,
        `--data-raw '{"text":"it'\\''s"}'`,
        'http://localhost:3000/notes/1',
      ].join(' \\\n  '),
    );
  });

  it('leaves out -X for GET and the body when there is none', () => {
    expect(curlCommand({ method: 'GET', url: 'http://h/notes?q=a&limit=2', headers: [] })).toBe("curl -i \\\n  'http://h/notes?q=a&limit=2'");
  });
});

describe('hash routes', () => {
  const routes: Array<[Route, string]> = [
    [{ kind: 'resource', href: '/notes/3' }, '#/notes/3'],
    [{ kind: 'resource', href: '/notes?limit=2&page=2' }, '#/notes?limit=2&page=2'],
    [{ kind: 'explorer', href: '/notes?q=a b&x=%2F' }, '#/explore/%2Fnotes%3Fq%3Da%20b%26x%3D%252F'],
    [{ kind: 'walkthrough' }, '#walkthrough'],
  ];

  it.each(routes)('%j is written as %s and read back the same', (route, hash) => {
    expect(hashFor(route)).toBe(hash);
    expect(routeFromHash(hash)).toEqual(route);
  });

  it('writes an href that cannot stand as it is (another host) as an explorer route', () => {
    expect(routeFromHash(hashFor({ kind: 'resource', href: '//evil.example/x' }))).toEqual({ kind: 'explorer', href: '//evil.example/x' });
  });

  it('reads no route from other fragments', () => {
    for (const hash of ['', '#', '#view', '#//evil.example/x', '#/explore/', '#/explore/%E0%A4%A']) expect(routeFromHash(hash)).toBeUndefined();
  });

  it('isSameOrigin keeps the page on its own origin', () => {
    const page = 'http://localhost:3000/client/#/notes';
    expect(isSameOrigin('/notes/1', page)).toBe(true);
    expect(isSameOrigin('http://localhost:3000/x', page)).toBe(true);
    expect(isSameOrigin('//evil.example/x', page)).toBe(false);
    expect(isSameOrigin('https://localhost:3000/x', page)).toBe(false);
    expect(isSameOrigin('http://[', page)).toBe(false);
  });
});
