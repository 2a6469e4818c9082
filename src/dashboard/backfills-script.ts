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
  // answer over a newer one, however slow the server is. It carries the key tables of the open lists only;
  // opening one it left empty asks for a refresh at once, whether or not a backfill still runs.
  var timer = null;
  var inFlight = false;
  var again = false;
  function refresh(force) {
    timer = null;
    if (inFlight) {
      again = true;
      return;
    }
    if (!force && !running()) return later();
    inFlight = true;
    var asked = openLists();
    fetch('/backfills/list?open=' + encodeURIComponent(asked.join(',')), { credentials: 'same-origin' })
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
      .then(function () {
        inFlight = false;
        // Opened while this one was on its way: its keys were not asked for (asked, they came: no loop).
        var missed = false;
        list.querySelectorAll('details[data-lazy][open]').forEach(function (details) {
          if (asked.indexOf(details.getAttribute('data-for')) === -1) missed = true;
        });
        if (again || missed) {
          again = false;
          return refresh(true);
        }
        later();
      });
  }
  function later() {
    if (timer === null) timer = setTimeout(refresh, 1500);
  }
  list.addEventListener('toggle', function (event) {
    var details = event.target;
    if (!details.open || !details.hasAttribute('data-lazy')) return;
    if (timer !== null) clearTimeout(timer);
    refresh(true);
  }, true);
  later();
})();
`;
