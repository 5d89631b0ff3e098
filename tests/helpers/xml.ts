/**
 * A small strict XML parser for the tests of the bench's SVG charts: elements, attributes
 * (quoted), text, the five predefined entities and character references, comments and a
 * prolog. Anything not well-formed throws (an unclosed or mismatched tag, a duplicate attribute,
 * a bare `&` or `<` in text or attributes, more than one root), so a chart that parses here
 * parses in any XML parser. No DTDs, CDATA or processing instructions besides the prolog: the
 * charts have none.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (entities decoded), its children's not included. */
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function isNameChar(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c === '-' || c === '_' || c === ':' || c === '.';
}

function isSpace(c: string): boolean {
  return c === ' ' || c === '\n' || c === '\t' || c === '\r';
}

class Reader {
  pos = 0;
  constructor(private readonly src: string) {}

  fail(why: string): never {
    throw new Error(`XML not well-formed at ${this.pos}: ${why} (…${this.src.slice(Math.max(0, this.pos - 30), this.pos + 30)}…)`);
  }
  peek(n = 0): string {
    return this.src[this.pos + n] ?? '';
  }
  startsWith(s: string): boolean {
    return this.src.startsWith(s, this.pos);
  }
  done(): boolean {
    return this.pos >= this.src.length;
  }
  skipSpace(): void {
    while (!this.done() && isSpace(this.peek())) this.pos++;
  }
  expect(s: string): void {
    if (!this.startsWith(s)) this.fail(`expected ${JSON.stringify(s)}`);
    this.pos += s.length;
  }
  skipPast(end: string): void {
    const at = this.src.indexOf(end, this.pos);
    if (at < 0) this.fail(`no closing ${end}`);
    this.pos = at + end.length;
  }
  name(): string {
    const start = this.pos;
    const first = this.peek();
    if (!isNameChar(first) || (first >= '0' && first <= '9') || first === '-' || first === '.') this.fail('expected a name');
    while (!this.done() && isNameChar(this.peek())) this.pos++;
    return this.src.slice(start, this.pos);
  }
  /** Characters up to `stop` (not included), entities decoded; `<` is refused. */
  chars(stop: string): string {
    let out = '';
    while (!this.done() && this.peek() !== stop) {
      const c = this.peek();
      if (c === '<') this.fail('bare < ');
      if (c === '&') out += this.entity();
      else {
        out += c;
        this.pos++;
      }
    }
    return out;
  }
  entity(): string {
    const end = this.src.indexOf(';', this.pos);
    if (end < 0 || end - this.pos > 10) this.fail('bare &');
    const body = this.src.slice(this.pos + 1, end);
    this.pos = end + 1;
    if (body.startsWith('#x')) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(Number(body.slice(1)));
    if (!(body in ENTITIES)) this.fail(`unknown entity &${body};`);
    return ENTITIES[body];
  }
  /** Skips comments and whitespace between nodes. */
  misc(): void {
    for (;;) {
      this.skipSpace();
      if (this.startsWith('<!--')) this.skipPast('-->');
      else return;
    }
  }
  element(): XmlElement {
    this.expect('<');
    const el: XmlElement = { name: this.name(), attrs: {}, children: [], text: '' };
    for (;;) {
      const hadSpace = isSpace(this.peek());
      this.skipSpace();
      if (this.startsWith('/>')) {
        this.pos += 2;
        return el;
      }
      if (this.peek() === '>') {
        this.pos++;
        break;
      }
      if (!hadSpace) this.fail('expected a space before an attribute');
      const attr = this.name();
      if (attr in el.attrs) this.fail(`duplicate attribute ${attr}`);
      this.skipSpace();
      this.expect('=');
      this.skipSpace();
      const quote = this.peek();
      if (quote !== '"' && quote !== "'") this.fail('unquoted attribute value');
      this.pos++;
      el.attrs[attr] = this.chars(quote);
      this.expect(quote);
    }
    for (;;) {
      if (this.done()) this.fail(`<${el.name}> is never closed`);
      if (this.startsWith('</')) {
        this.pos += 2;
        const closing = this.name();
        if (closing !== el.name) this.fail(`</${closing}> closes <${el.name}>`);
        this.skipSpace();
        this.expect('>');
        return el;
      }
      if (this.startsWith('<!--')) this.skipPast('-->');
      else if (this.peek() === '<') el.children.push(this.element());
      else el.text += this.chars('<');
    }
  }
}

/** Parses a whole document: an optional `<?xml …?>` prolog, then exactly one root element. */
export function parseXml(src: string): XmlElement {
  const reader = new Reader(src);
  reader.skipSpace();
  if (reader.startsWith('<?xml')) reader.skipPast('?>');
  reader.misc();
  const root = reader.element();
  reader.misc();
  if (!reader.done()) reader.fail('content after the root element');
  return root;
}

/** Every element of the tree named `name`, in document order. */
export function findAll(root: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (el: XmlElement) => {
    if (el.name === name) found.push(el);
    el.children.forEach(walk);
  };
  walk(root);
  return found;
}
