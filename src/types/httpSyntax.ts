/**
 * Small pieces of HTTP header syntax (RFC 9110 §5.6) shared by the API and the bundled page:
 * splitting a header on a separator outside quoted strings, and unquoting a value. It imports
 * nothing, so the page's bundle can include it (like hypermedia.ts).
 */

/** Splits on a separator outside quoted strings (RFC 9110 §5.6.4), so `"a,b"` stays one piece. */
export function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\' && i + 1 < text.length) {
      current += c + text[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/** A parameter value without its quotes and escapes (a token is returned trimmed, as it is). */
export function unquote(raw: string): string {
  const value = raw.trim();
  return value.startsWith('"') && value.endsWith('"') && value.length >= 2 ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
}
