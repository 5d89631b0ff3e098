/**
 * "Copy as curl": a command line that sends a logged request again, byte for byte: its method,
 * its absolute URL, every header it carried (the real token, not the masked one the log
 * shows) and its body. Every argument is quoted for a POSIX shell, so quotes, `$`, backticks,
 * `!` and newlines in a body reach curl unchanged. Pure, so it is unit-tested in Node.
 */

// Characters a POSIX shell never treats specially in an unquoted word.
const SAFE_WORD = /^[\w@%+=:,./-]+$/;

/** One argument for a POSIX shell: as it is when it is safe, else in single quotes (`'` written `'\''`). */
export function shellQuote(value: string): string {
  if (SAFE_WORD.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** What a curl command needs to know of a request. */
export interface CurlRequest {
  method: string;
  /** Absolute URL. */
  url: string;
  headers: ReadonlyArray<readonly [string, string]>;
  body?: string;
}

/**
 * The curl command line for a request. `-i` prints the response's status line and headers as
 * the log shows them; `--data-raw` sends the body as it is (no `@file` reading); `-X` is given
 * for every method but GET, because a body alone would make curl send POST.
 */
export function curlCommand(request: CurlRequest): string {
  const args: string[] = ['curl -i'];
  if (request.method !== 'GET') args.push(`-X ${shellQuote(request.method)}`);
  for (const [name, value] of request.headers) args.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  if (request.body !== undefined) args.push(`--data-raw ${shellQuote(request.body)}`);
  args.push(shellQuote(request.url));
  return args.join(' \\\n  ');
}
