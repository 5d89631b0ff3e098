/**
 * The layered-system constraint, drawn for one exchange: the layers the request crossed
 * (browser → API → database server over its socket) with the time spent in each, read from the
 * response's `Server-Timing` header. The browser only ever talks to the API; it cannot tell
 * whether a database, a cache or another server sits behind it, and the header is the API's
 * own account of what happened on its side.
 */
import { h } from '../dom';
import type { LogEntry } from '../log';
import { layerTimings, type LayerTimings } from '../servertiming';

function ms(value: number | undefined): string {
  return value === undefined ? 'not reported' : `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One box of the drawing: a layer's name, what it is, and its time. */
function layer(kind: string, name: string, role: string, time: string): HTMLElement {
  return h(
    'li',
    { class: `layer layer-${kind}` },
    h('span', { class: 'layer-name' }, name),
    h('span', { class: 'layer-role' }, role),
    h('span', { class: 'layer-time' }, time),
  );
}

/** The arrow between two layers: how they talk. */
function hop(kind: string, label: string): HTMLElement {
  return h('li', { class: `layer-hop hop-${kind}` }, h('span', { class: 'hop-arrow', 'aria-hidden': 'true' }, '→'), h('span', { class: 'hop-label' }, label));
}

/** What happened outside the API: the whole round trip minus the API's own time. */
function outsideMs(entry: LogEntry, timings: LayerTimings): number | undefined {
  if (entry.durationMs === undefined || timings.appMs === undefined) return undefined;
  return Math.max(0, entry.durationMs - timings.appMs);
}

function dbLabel(timings: LayerTimings): string {
  const commands = timings.dbCommands === undefined ? 'commands not reported' : plural(timings.dbCommands, 'command');
  return `${ms(timings.dbMs)} · ${commands}`;
}

/**
 * The layers view of a logged exchange, or null when its response carries no `Server-Timing`
 * (timing is off, or the exchange has no answer yet).
 */
export function renderLayers(entry: LogEntry): HTMLElement | null {
  if (entry.pending) return null;
  const timings = layerTimings(entry.responseHeaders);
  if (!timings) return null;
  const appOnly = timings.appMs !== undefined && timings.dbMs !== undefined ? Math.max(0, timings.appMs - timings.dbMs) : undefined;
  const outside = outsideMs(entry, timings);
  const commands = timings.dbCommands ?? 0;
  return h(
    'figure',
    { class: 'layers' },
    h('figcaption', {}, 'Layers this request crossed (from the Server-Timing header)'),
    h(
      'ol',
      { class: 'layer-row' },
      layer('browser', 'Browser', 'this page', entry.durationMs === undefined ? 'round trip not measured' : `${entry.durationMs} ms round trip`),
      hop('http', 'HTTP'),
      layer('api', 'API', 'Node.js, Express', `${ms(timings.appMs)} in the app`),
      hop('socket', commands > 0 ? 'socket' : 'socket (not used)'),
      layer('db', 'Database server', 'MongoDB wire protocol', dbLabel(timings)),
    ),
    h(
      'p',
      { class: 'layers-note small muted' },
      `Of the ${ms(timings.appMs)} the API spent, ${ms(timings.dbMs)} went to ${plural(commands, 'database command')}` +
        (appOnly !== undefined ? ` and ${ms(appOnly)} to its own work` : '') +
        (outside !== undefined ? `; about ${ms(outside)} went to the network and the browser.` : '.') +
        ' The page only talks to the API: what lies behind it is the API\u2019s business.',
    ),
  );
}
