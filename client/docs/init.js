/* global window, URL, SwaggerUIBundle */
/**
 * Starts Swagger UI on the API reference page (/docs) over the API's own OpenAPI document.
 * A file of its own, not an inline script, because the app's CSP allows scripts from 'self' only.
 *
 * Two additions to Swagger UI's defaults:
 * - "Try it out" talks to the server that serves this page: its origin is put first in the
 *   document's `servers` (the document names `npm start`'s address, which need not be this one,
 *   and the CSP lets the page connect to its own origin only).
 * - A token from the API authorizes the page: when a response carries `access_token` (a 200 of
 *   POST /auth), the `bearerAuth` scheme is set to it, as if pasted into "Authorize", so the next
 *   "Try it out" of GET /notes is sent with it. The Authorize dialog still works by hand.
 */
(function startApiReference() {
  'use strict';

  const SPEC_URL = '/openapi.json';
  const SECURITY_SCHEME = 'bearerAuth';
  const THIS_SERVER = 'This server (the one serving this page)';

  /** Whether a response is the document itself (Swagger UI's interceptors see that fetch too). */
  function isSpec(res) {
    return new URL(res.url, window.location.href).href === new URL(SPEC_URL, window.location.href).href;
  }

  /** The document with this page's origin first among its servers (unless it is listed already). */
  function withThisServer(text) {
    const doc = JSON.parse(text);
    const origin = window.location.origin;
    const servers = Array.isArray(doc.servers) ? doc.servers : [];
    if (!servers.some((s) => s && s.url === origin)) {
      doc.servers = [{ url: origin, description: THIS_SERVER }].concat(servers);
    }
    return JSON.stringify(doc);
  }

  /** The token a successful response hands out, or undefined. */
  function issuedToken(res) {
    const body = res.body;
    if (!res.ok || typeof body !== 'object' || body === null) return undefined;
    return typeof body.access_token === 'string' && body.access_token ? body.access_token : undefined;
  }

  /** Swagger UI's response interceptor: rewrites the document's servers, takes issued tokens. */
  function onResponse(res) {
    if (isSpec(res)) {
      if (res.ok && typeof res.text === 'string') res.text = withThisServer(res.text);
      return res;
    }
    const token = issuedToken(res);
    if (token) window.ui.preauthorizeApiKey(SECURITY_SCHEME, token);
    return res;
  }

  window.ui = SwaggerUIBundle({
    url: SPEC_URL,
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    // Offline and under the CSP: no badge image from validator.swagger.io.
    validatorUrl: null,
    displayOperationId: true,
    displayRequestDuration: true,
    responseInterceptor: onResponse,
  });
})();
