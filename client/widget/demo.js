/**
 * The widget demo page's own script (no inline script: the API's CSP allows scripts from its
 * origin only). It takes the access token from the URL fragment (`#token=…`, which browsers never
 * send to a server) and removes it from the address bar at once, or from the form, then runs the
 * widget. The token is kept nowhere: reloading the page asks for it again.
 */
/* global window, document, URLSearchParams */
(function () {
  'use strict';

  var form = document.getElementById('token-form');
  var input = document.getElementById('token');
  var target = document.getElementById('widget');

  function show(token) {
    // A failure is shown in the card itself; nothing else to do here.
    window.ThunderNotesWidgets.latestNotes({ element: target, token: token }).catch(function () {});
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var token = input.value.trim();
    if (token !== '') show(token);
  });

  var fromFragment = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (fromFragment) {
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    show(fromFragment);
  }
})();
