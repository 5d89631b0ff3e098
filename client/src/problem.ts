/** Turns the API's problem+json bodies into messages a person can act on. */

/** One entry of a validation problem's `errors` array. */
export interface FieldError {
  in?: string;
  name: string;
  message: string;
}

/** What the page shows for a failed request: one line, then one line per field. */
export interface ProblemMessages {
  summary: string;
  fields: FieldError[];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function fieldErrors(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((e: unknown) => {
    if (typeof e !== 'object' || e === null) return [];
    const { in: where, name, message } = e as Record<string, unknown>;
    const msg = text(message);
    if (!msg) return [];
    return [{ in: text(where), name: text(name) ?? '', message: msg }];
  });
}

/** Reads `detail`, then `message` (the tutorial's field), then `title`; falls back to the status. */
export function problemMessages(status: number, statusText: string, body: unknown): ProblemMessages {
  const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const summary = text(b.detail) ?? text(b.message) ?? text(b.title) ?? `${status} ${statusText}`.trim();
  return { summary, fields: fieldErrors(b.errors) };
}

/** One line per field error, e.g. "password: must be at least 8 characters". */
export function describeField(error: FieldError): string {
  return error.name ? `${error.name}: ${error.message}` : error.message;
}
