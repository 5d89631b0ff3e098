/**
 * Thunder Notes "my latest notes" widget — code on demand (REST's optional constraint): the API
 * serves this script, and any page that loads it can show its user's three latest notes.
 *
 *   <div id="notes-card"></div>
 *   <script src="https://notes.example/client/widget/latest-notes.js"></script>
 *   <script src="your-page.js"></script>   // calls ThunderNotesWidgets.latestNotes({ element, token })
 *
 * It knows one URL, the API's entry point (the origin it was loaded from), and follows links from
 * there: `/` → `notes` → the collection's `search` template, filled with sort=updatedAt,
 * order=desc, limit. It never uses eval or inline code and writes text with `textContent` only
 * (a note cannot inject markup), so it runs under a strict Content Security Policy; its styles are
 * a constructed style sheet inside a shadow root, which CSP does not restrict and the host page's
 * styles do not reach.
 */
/* global window, document, fetch, URL, CSSStyleSheet */
(function () {
  'use strict';

  // document.currentScript is only set while the script first runs.
  var loadedFrom = document.currentScript && document.currentScript.src ? document.currentScript.src : window.location.href;
  var DEFAULT_API = new URL('/', loadedFrom).href;

  var STYLES = [
    ':host { display: block; font: 15px/1.4 system-ui, sans-serif; color: #1d2330; }',
    '.card { border: 1px solid #c9d1e0; border-radius: 10px; padding: 12px 16px; background: #fff; max-width: 28rem; box-shadow: 0 1px 3px rgba(0,0,0,.08); }',
    'h2 { font-size: 1.05rem; margin: 0 0 8px; }',
    'ol { margin: 0; padding-left: 1.2rem; }',
    'li { margin: 4px 0; }',
    'time { display: block; color: #5a6478; font-size: .82rem; }',
    '.status { color: #5a6478; margin: 0; }',
    '.error { color: #a01818; margin: 0; }',
    '.from { color: #5a6478; font-size: .75rem; margin: 8px 0 0; }',
  ].join('\n');

  /** Fills an RFC 6570 template of the forms the API uses: `/path{?a,b,c}` (form-style query). */
  function expand(template, values) {
    return template.replace(/\{\?([^}]+)\}/, function (_match, names) {
      var parts = names.split(',').filter(function (name) {
        return values[name] !== undefined;
      }).map(function (name) {
        return encodeURIComponent(name) + '=' + encodeURIComponent(String(values[name]));
      });
      return parts.length > 0 ? '?' + parts.join('&') : '';
    });
  }

  /** The link with this rel in a JSON body's `links`, or an error naming it. */
  function linkOf(body, rel) {
    var found = (body && Array.isArray(body.links) ? body.links : []).find(function (l) {
      return l.rel === rel;
    });
    if (!found) throw new Error('the API offered no "' + rel + '" link');
    return found;
  }

  /** GET as JSON; a refusal becomes an error carrying the API's own message. */
  async function getJson(url, token) {
    var headers = { Accept: 'application/json' };
    if (token) headers.Authorization = 'Bearer ' + token;
    var res = await fetch(url, { headers: headers, credentials: 'omit' });
    var body = await res.json().catch(function () {
      return null;
    });
    if (!res.ok) {
      var error = new Error((body && (body.detail || body.message)) || 'HTTP ' + res.status);
      error.status = res.status;
      throw error;
    }
    return body;
  }

  /** The caller's latest notes: by following links from the entry point. */
  async function fetchLatest(api, token, limit) {
    var root = await getJson(api, undefined);
    var notesUrl = new URL(linkOf(root, 'notes').href, api).href;
    var collection = await getJson(notesUrl, token);
    var search = linkOf(collection, 'search');
    var latestUrl = new URL(expand(search.href, { sort: 'updatedAt', order: 'desc', limit: limit }), api).href;
    return (await getJson(latestUrl, token)).notes || [];
  }

  function el(name, className, text) {
    var node = document.createElement(name);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function cardIn(element) {
    var shadow = element.shadowRoot || element.attachShadow({ mode: 'open' });
    if ('adoptedStyleSheets' in shadow && typeof CSSStyleSheet === 'function') {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(STYLES);
      shadow.adoptedStyleSheets = [sheet];
    }
    var card = el('section', 'card');
    card.setAttribute('aria-label', 'My latest notes');
    shadow.replaceChildren(card);
    return card;
  }

  function render(card, notes, api) {
    var list = el('ol');
    notes.forEach(function (note) {
      var item = el('li');
      item.appendChild(el('span', 'text', note.text));
      var updated = new Date(note.updatedAt);
      var time = el('time', '', 'updated ' + updated.toLocaleString());
      time.dateTime = updated.toISOString();
      item.appendChild(time);
      list.appendChild(item);
    });
    card.replaceChildren(el('h2', '', 'My latest notes'));
    card.appendChild(notes.length > 0 ? list : el('p', 'status', 'No notes yet.'));
    card.appendChild(el('p', 'from', 'Code on demand from ' + new URL(api).host));
  }

  /**
   * Mounts the card into `element` and shows the latest notes of the token's user.
   * options: { element, token, limit = 3, api = the origin this script came from }.
   * Resolves with the notes shown; on a refusal (an expired token: 401) the card says why.
   */
  async function latestNotes(options) {
    var api = new URL(options.api || DEFAULT_API).href;
    var limit = options.limit || 3;
    var card = cardIn(options.element);
    card.replaceChildren(el('p', 'status', 'Loading your latest notes…'));
    try {
      var notes = await fetchLatest(api, options.token, limit);
      render(card, notes, api);
      return notes;
    } catch (err) {
      var hint = err.status === 401 ? ' Log in again for a fresh token.' : '';
      card.replaceChildren(el('h2', '', 'My latest notes'), el('p', 'error', 'Could not load the notes: ' + err.message + hint));
      card.querySelector('.error').setAttribute('role', 'alert');
      throw err;
    }
  }

  window.ThunderNotesWidgets = Object.freeze({ latestNotes: latestNotes, version: 1 });
})();
