/**
 * The /backfills page's script, served as /assets/backfills.js (assets.ts):
 * while a backfill runs it swaps in the list 1.5 s after the last refresh, keeping open the
 * key lists the reader opened; and it sets the From and To placeholders to
 * the chosen kind's example keys (each kind's option carries them). The page
 * works without it: the list is current at each load, the placeholders
 * those of the kind chosen when the page was made.
 */
export const BACKFILLS_SCRIPT_NAME = 'backfills.js';

export const BACKFILLS_SCRIPT = `(function () {
  var kind = document.getElementById('kind');
  function followKind() {
    var option = kind.options[kind.selectedIndex];
    document.getElementById('from').placeholder = option.getAttribute('data-from');
    document.getElementById('to').placeholder = option.getAttribute('data-to');
  }
  if (kind) {
    kind.addEventListener('change', followKind);
    // A kind chosen before this (deferred) script ran, or restored by the browser on Back.
    followKind();
  }
  var list = document.getElementById('backfill-list');
  if (!list) return;
  function running() {
    var ol = list.querySelector('ol');
    return ol && ol.getAttribute('data-running') === 'true';
  }
  function openLists() {
    var open = [];
    list.querySelectorAll('details[data-for]').forEach(function (details) {
      if (details.open) open.push(details.getAttribute('data-for'));
    });
    return open;
  }
  // The next refresh is asked for 1.5 s after the last one answered: never two in flight, never an older
  // answer over a newer one, however slow the server is.
  function refresh() {
    if (!running()) return later();
    fetch('/backfills/list', { credentials: 'same-origin' })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var open = openLists();
        list.innerHTML = html;
        list.querySelectorAll('details[data-for]').forEach(function (details) {
          if (open.indexOf(details.getAttribute('data-for')) !== -1) details.open = true;
        });
      })
      .catch(function () {})
      .then(later);
  }
  function later() {
    setTimeout(refresh, 1500);
  }
  later();
})();
`;
