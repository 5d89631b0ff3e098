/**
 * A depth limit for JSON request bodies, checked on the raw bytes before `JSON.parse` runs, with
 * one loop and a counter: no recursion, and no deep structure is ever built. Every body the API
 * accepts is one level deep; 32 leaves room for any reasonable client while keeping every later
 * walk over a body (key checks, schema parsing) short.
 */
import { AppError } from '../utils/AppError';

/** The deepest nesting of arrays and objects a JSON body may have: `{}` is 1, `{"a":[]}` is 2. */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Whether UTF-8 JSON text nests arrays and objects deeper than `max`. Brackets inside strings
 * do not count. Stops at the first level past `max`, so its cost is bounded by the body's size.
 * Malformed text is left for `JSON.parse` to refuse.
 */
export function exceedsJsonDepth(text: Uint8Array, max: number = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const byte = text[i];
    if (inString) {
      if (byte === BACKSLASH) i++; // the escaped character cannot end the string
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/** The body as UTF-8 bytes: as sent for UTF-8 (bytes below 0x80 are ASCII only there), re-encoded for UTF-16. */
function utf8Bytes(body: Buffer, charset: string): Uint8Array {
  const name = charset.toLowerCase();
  if (name === 'utf-8' || name === 'utf8') return body;
  // body-parser has already refused charsets not starting with "utf-"; TextDecoder knows the
  // UTF-16 family. The rest (UTF-7, UTF-32) are refused as unsupported rather than left unchecked.
  let text: string;
  try {
    text = new TextDecoder(name).decode(body);
  } catch {
    throw new AppError(415, 'The request body has an unsupported encoding or charset.');
  }
  return Buffer.from(text, 'utf8');
}

/**
 * `verify` hook for `express.json`: refuses a body nested deeper than MAX_JSON_DEPTH with a 400
 * problem before it is parsed. (body-parser keeps the status of an error that carries one.)
 */
export function verifyJsonDepth(_req: unknown, _res: unknown, body: Buffer, charset: string): void {
  if (exceedsJsonDepth(utf8Bytes(body, charset))) {
    throw new AppError(400, `The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`, {
      errors: [{ in: 'body', name: 'body', message: `must not nest arrays and objects deeper than ${MAX_JSON_DEPTH} levels` }],
    });
  }
}
