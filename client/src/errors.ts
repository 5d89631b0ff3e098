/** Failed requests as errors the views can catch and show in one way. */
import { NetworkError, type ApiResult } from './api';
import { h } from './dom';
import { describeField, problemMessages, type ProblemMessages } from './problem';

/** An HTTP answer that was not the success the view asked for. */
export class ApiProblem extends Error {
  constructor(
    readonly result: ApiResult,
    readonly messages: ProblemMessages,
  ) {
    super(messages.summary);
  }
}

/** Returns the result when it succeeded, otherwise throws an ApiProblem built from its body. */
export function ensureOk(result: ApiResult): ApiResult {
  if (result.ok) return result;
  throw new ApiProblem(result, problemMessages(result.status, result.statusText, result.body));
}

/** The text lines of any error, for an error box. */
export function errorLines(err: unknown): { summary: string; fields: string[]; status?: number } {
  if (err instanceof ApiProblem) {
    return { summary: err.messages.summary, fields: err.messages.fields.map(describeField), status: err.result.status };
  }
  if (err instanceof NetworkError) return { summary: err.message, fields: [] };
  return { summary: err instanceof Error ? err.message : String(err), fields: [] };
}

/** Renders an error as an alert box: the API's message, its field errors, and the status. */
export function errorBox(err: unknown): HTMLElement {
  const { summary, fields, status } = errorLines(err);
  return h(
    'div',
    { class: 'error', role: 'alert' },
    h('p', {}, h('strong', {}, summary), status ? h('span', { class: 'status-code' }, ` (HTTP ${status})`) : null),
    fields.length > 0 ? h('ul', {}, fields.map((f) => h('li', {}, f))) : null,
  );
}
