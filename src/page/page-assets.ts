/**
 * The page's only stylesheet and script, served by the bot (no CDN: the NOC may be offline). The script
 * swaps the parts of <main> that /events sends, filters the sites and fetches a site's detail; without it the
 * page reloads itself every 5 s and the filter and detail are plain links and a form.
 */
export const PAGE_CSS = `
/* Light by default, dark when the system asks for it (prefers-color-scheme); the graph follows (.g-* below). */
:root { color-scheme: light dark; --bg: #f3f4f6; --card: #ffffff; --ink: #111827; --muted: #4b5563;
  --line: #d1d5db; --ok: #047857; --warn: #b45309; --bad: #b91c1c; --unk: #4b5563; --accent: #1d4ed8;
  --active-row: rgba(29, 78, 216, 0.08); --on-accent: #ffffff;
  --s0: #0072b2; --s1: #b36b00; --s2: #007a5a; --s3: #b0578d; --s4: #2b7bb9; --s5: #b34700; --failover: #c81e1e; }
@media (prefers-color-scheme: dark) {
  :root { --bg: #0b1220; --card: #131c2e; --ink: #e5e7eb; --muted: #9ca3af; --line: #273449;
    --ok: #34d399; --warn: #fbbf24; --bad: #f87171; --unk: #9ca3af; --accent: #60a5fa;
    --active-row: rgba(96, 165, 250, 0.12); --on-accent: #0b1220;
    --s0: #56b4e9; --s1: #e69f00; --s2: #2fc79a; --s3: #e08cc0; --s4: #9ad0f5; --s5: #ff7a3d; --failover: #f87171; }
}
* { box-sizing: border-box; }
/* A filtered-out site stays hidden whatever display a phone's table layout gives rows. */
[hidden] { display: none !important; }
/* Site cards and the panels sit in <main>'s grid as if their wrappers were not there (reordered as a block). */
.cards, .panels { display: contents; }
.summary, .filter, .fleet, .detail { grid-column: 1 / -1; }
.summary p { margin: 0.25rem 0; }
.summary .counts .health { margin-right: 1rem; }
.warn { color: var(--warn); }
.filter { display: flex; flex-wrap: wrap; gap: 0.5rem 0.75rem; align-items: center; }
.filter input, .filter select { padding: 0.3rem; background: var(--bg); color: var(--ink); border: 1px solid var(--line); border-radius: 4px; }
.detail > section { border-color: var(--accent); }
/* A fleet's attention table is left out while no site needs attention (the summary says so). */
table.attention:has(> tbody:empty) { display: none; }
details > summary { cursor: pointer; font-weight: 600; margin: 0.5rem 0; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header, main, footer { padding: 0 1.5rem; }
h1 { font-size: 1.4rem; margin: 1rem 0 0.25rem; }
h2 { font-size: 1.25rem; margin: 0 0 0.5rem; }
/* One column on a phone, as many 38rem columns as fit on a wall screen; nothing is wider than the screen. */
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(38rem, 100%), 1fr)); gap: 1rem; align-items: start; }
.asof { grid-column: 1 / -1; margin: 0.25rem 0; color: var(--muted); }
.asof .warn { color: var(--warn); }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; min-width: 0; }
p, li { overflow-wrap: anywhere; }
/* Words stay whole in table cells (anywhere would shrink a column to one letter); a long name still breaks. */
td, th { overflow-wrap: break-word; }
.region { color: var(--muted); font-weight: normal; font-size: 0.9rem; }
.active-line { font-size: 1.15rem; margin: 0.25rem 0; }
.active-tunnel { color: var(--accent); }
table { width: 100%; border-collapse: collapse; margin: 0.5rem 0; }
caption { text-align: left; color: var(--muted); font-size: 0.85rem; }
th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { color: var(--muted); font-weight: 600; font-size: 0.85rem; }
tr.active th, tr.active td { background: var(--active-row); }
.badge-active { color: var(--accent); font-weight: 700; }
.health { font-weight: 700; white-space: nowrap; }
.health-healthy { color: var(--ok); }
.health-degraded { color: var(--warn); }
.health-down { color: var(--bad); }
.health-unknown { color: var(--unk); }
.routes { margin: 0.25rem 0; font-weight: 600; }
.routes ul { font-weight: normal; margin: 0.25rem 0; }
figure.graph { margin: 0.5rem 0 0; }
figure.graph svg { width: 100%; height: auto; border-radius: 4px; display: block; }
/* The graph's colours by role (the SVG's presentation attributes are the light ones; these rules win). */
svg.graph rect.g-bg { fill: var(--card); }
svg.graph text.g-ink { fill: var(--ink); }
svg.graph line.g-ink { stroke: var(--ink); }
svg.graph line.g-grid { stroke: var(--line); }
svg.graph line.g-failover { stroke: var(--failover); }
svg.graph text.g-failover { fill: var(--failover); }
svg.graph .g-s0 { stroke: var(--s0); } svg.graph rect.g-s0 { fill: var(--s0); }
svg.graph .g-s1 { stroke: var(--s1); } svg.graph rect.g-s1 { fill: var(--s1); }
svg.graph .g-s2 { stroke: var(--s2); } svg.graph rect.g-s2 { fill: var(--s2); }
svg.graph .g-s3 { stroke: var(--s3); } svg.graph rect.g-s3 { fill: var(--s3); }
svg.graph .g-s4 { stroke: var(--s4); } svg.graph rect.g-s4 { fill: var(--s4); }
svg.graph .g-s5 { stroke: var(--s5); } svg.graph rect.g-s5 { fill: var(--s5); }
svg.graph rect[class^="g-s"] { stroke: none; }
figcaption, .muted { color: var(--muted); font-size: 0.85rem; }
footer { color: var(--muted); padding-bottom: 1rem; display: flex; flex-wrap: wrap; gap: 0 1rem; align-items: center; }
footer form { margin: 0; }
a { color: var(--accent); }
button, input, select { font: inherit; }
button { background: var(--accent); color: var(--on-accent); border: 0; border-radius: 4px; padding: 0.35rem 0.9rem; cursor: pointer; }
.signin { max-width: 26rem; margin: 3rem auto; }
.signin label { display: block; margin-bottom: 0.25rem; }
.signin input { width: 100%; padding: 0.4rem; margin-bottom: 0.75rem; background: var(--bg); color: var(--ink); border: 1px solid var(--line); border-radius: 4px; }
.error { color: var(--bad); font-weight: 700; }
:focus-visible { outline: 3px solid var(--warn); outline-offset: 2px; }
/* A phone: tighter margins, and each table row becomes a card of "column: value" lines (no sideways scroll). */
@media (max-width: 40rem) {
  header, main, footer { padding: 0 0.75rem; }
  section { padding: 0.75rem; }
  .signin { margin: 1.5rem auto; }
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  table.stack, table.stack caption, table.stack tbody, table.stack tr { display: block; }
  table.stack tr { border-bottom: 1px solid var(--line); padding: 0.35rem 0; }
  table.stack th, table.stack td { display: grid; grid-template-columns: 7.5rem minmax(0, 1fr); gap: 0.5rem; border: 0; padding: 0.1rem 0.25rem; }
  table.stack th[data-label]::before, table.stack td[data-label]::before { content: attr(data-label); color: var(--muted); font-size: 0.85rem; font-weight: 600; }
  table.stack tr.active { background: var(--active-row); }
}
`;

export const PAGE_JS = `'use strict';
(function () {
  var main = document.getElementById('overview');
  var live = document.getElementById('live');
  if (!main) return;
  var q = document.getElementById('filter-q');
  var state = document.getElementById('filter-state');
  var form = document.getElementById('filter');
  var detail = document.getElementById('detail');
  var detailSite = new URLSearchParams(location.search).get('site');
  // The same rule as the server's (render-page.ts matches): name contains the text, and the state fits.
  function wanted(el) {
    var name = (el.getAttribute('data-site') || '').toLowerCase();
    var text = q ? q.value.trim().toLowerCase() : '';
    var s = state ? state.value : 'all';
    if (text && name.indexOf(text) < 0) return false;
    if (s === 'all') return true;
    if (s === 'attention') return el.getAttribute('data-attention') === '1';
    return el.getAttribute('data-state') === s;
  }
  // A fleet's rows sit in two tables (needing attention, the others in a closed list); a small fleet's cards in one list.
  var list = document.getElementById('sites');
  var others = document.getElementById('other-sites');
  // The sites' display order: as the server rendered it, then as the 'order' part says.
  var order = [];
  var rendered = list ? list.querySelectorAll('[data-site]') : [];
  for (var r = 0; r < rendered.length; r++) order.push(rendered[r].id);
  function home(el) {
    var id = el.getAttribute('data-attention') === '1' ? 'attention-rows' : 'other-rows';
    return document.getElementById(id) || list;
  }
  function applyOrder() {
    for (var i = 0; list && i < order.length; i++) {
      var row = document.getElementById(order[i]);
      if (row) home(row).appendChild(row);
    }
  }
  function filterAll() {
    if (!list) return;
    var all = list.querySelectorAll('[data-site]');
    for (var i = 0; i < all.length; i++) all[i].hidden = !wanted(all[i]);
    // A name or a state other than the default looks through every site: the closed list opens.
    var s = state ? state.value : 'all';
    if (others && ((q && q.value.trim()) || (s !== 'all' && s !== 'attention'))) others.open = true;
  }
  if (form) {
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      filterAll();
      history.replaceState(null, '', '?' + new URLSearchParams(new FormData(form)).toString());
    });
    if (q) q.addEventListener('input', filterAll);
    if (state) state.addEventListener('change', filterAll);
  }
  function showDetail(name) {
    detailSite = name;
    fetch('/site?name=' + encodeURIComponent(name), { credentials: 'same-origin' })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        if (detailSite !== name || !detail) return;
        detail.innerHTML = html;
        detail.hidden = false;
      });
  }
  main.addEventListener('click', function (e) {
    var a = e.target && e.target.closest ? e.target.closest('a[data-detail]') : null;
    if (!a || !detail) return;
    e.preventDefault();
    showDetail(a.getAttribute('data-detail'));
    detail.scrollIntoView();
  });
  // The detail's graph moves by the minute: fetched again while it is shown.
  setInterval(function () { if (detailSite && detail && !detail.hidden) showDetail(detailSite); }, 15000);
  if (!window.EventSource) return;
  var since = main.getAttribute('data-since') || '';
  var source = new EventSource('/events?since=' + encodeURIComponent(since));
  // Each event is one part of the page: its element id on the first line, its HTML after.
  source.addEventListener('main', function (e) {
    var nl = e.data.indexOf('\\n');
    var id = nl < 0 ? e.data : e.data.slice(0, nl);
    var html = nl < 0 ? '' : e.data.slice(nl + 1);
    if (id === 'order') {
      order = JSON.parse(html);
      applyOrder();
    } else if (id !== 'layout') {
      var el = document.getElementById(id);
      if (el) el.outerHTML = html;
      else if (list && id.indexOf('site-') === 0) {
        var t = document.createElement('template');
        t.innerHTML = html;
        if (t.content.firstElementChild) home(t.content.firstElementChild).appendChild(t.content.firstElementChild);
      }
      var now = document.getElementById(id);
      if (now && now.hasAttribute('data-site')) {
        // A site that started or stopped needing attention moves to the other table, in the order's place.
        if (now.parentNode !== home(now)) applyOrder();
        if (now.parentNode !== home(now)) home(now).appendChild(now);
        now.hidden = !wanted(now);
        if (detailSite && now.getAttribute('data-site') === detailSite) showDetail(detailSite);
      }
    }
    if (live) live.textContent = 'live';
  });
  source.onerror = function () {
    if (live) live.textContent = 'reconnecting…';
  };
})();
`;
