/**
 * The page's only stylesheet and script, served by the bot (no CDN: the NOC may be offline). The script
 * only swaps <main> with what /events sends; without it the page reloads itself every 5 s.
 */
export const PAGE_CSS = `
:root { color-scheme: dark; --bg: #0b1220; --card: #131c2e; --ink: #e5e7eb; --muted: #9ca3af; --line: #273449;
  --ok: #34d399; --warn: #fbbf24; --bad: #f87171; --unk: #9ca3af; --accent: #60a5fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header, main, footer { padding: 0 1.5rem; }
h1 { font-size: 1.4rem; margin: 1rem 0 0.25rem; }
h2 { font-size: 1.25rem; margin: 0 0 0.5rem; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(38rem, 1fr)); gap: 1rem; align-items: start; }
.asof { grid-column: 1 / -1; margin: 0.25rem 0; color: var(--muted); }
.asof .warn { color: var(--warn); }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; }
.region { color: var(--muted); font-weight: normal; font-size: 0.9rem; }
.active-line { font-size: 1.15rem; margin: 0.25rem 0; }
.active-tunnel { color: var(--accent); }
table { width: 100%; border-collapse: collapse; margin: 0.5rem 0; }
caption { text-align: left; color: var(--muted); font-size: 0.85rem; }
th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { color: var(--muted); font-weight: 600; font-size: 0.85rem; }
tr.active th, tr.active td { background: rgba(96, 165, 250, 0.12); }
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
figcaption, .muted { color: var(--muted); font-size: 0.85rem; }
footer { color: var(--muted); padding-bottom: 1rem; display: flex; gap: 1rem; align-items: center; }
footer form { margin: 0; }
a { color: var(--accent); }
button, input { font: inherit; }
button { background: var(--accent); color: #0b1220; border: 0; border-radius: 4px; padding: 0.35rem 0.9rem; cursor: pointer; }
.signin { max-width: 26rem; margin: 3rem auto; }
.signin label { display: block; margin-bottom: 0.25rem; }
.signin input { width: 100%; padding: 0.4rem; margin-bottom: 0.75rem; background: var(--bg); color: var(--ink); border: 1px solid var(--line); border-radius: 4px; }
.error { color: var(--bad); font-weight: 700; }
:focus-visible { outline: 3px solid var(--warn); outline-offset: 2px; }
`;

export const PAGE_JS = `'use strict';
(function () {
  var main = document.getElementById('overview');
  var live = document.getElementById('live');
  if (!main || !window.EventSource) return;
  var source = new EventSource('/events');
  source.addEventListener('main', function (e) {
    main.innerHTML = e.data;
    if (live) live.textContent = 'live';
  });
  source.onerror = function () {
    if (live) live.textContent = 'reconnecting…';
  };
})();
`;
