import type { FailoverRun } from '../domain/audit.js';
import type { Health } from '../domain/health.js';
import type { FiringAlarm, Overview } from '../domain/overview.js';
import type { PendingRequest } from '../domain/pending.js';
import { describeDisagreement, type SiteStatus, type TunnelStatus } from '../domain/status.js';
import { escapeHtml as h } from '../render/escape-html.js';
import { healthGraphScene } from '../render/graph-scene.js';
import { sceneSvg } from '../render/scene-svg.js';

/** Every health state has a symbol and a word beside its colour, so it reads without colour too. */
const HEALTH: Record<Health, { symbol: string; label: string }> = {
  healthy: { symbol: '✓', label: 'healthy' },
  degraded: { symbol: '!', label: 'degraded' },
  down: { symbol: '✗', label: 'down' },
  unknown: { symbol: '?', label: 'unknown' },
};

/** The whole page: works without JavaScript (a refresh every 5 s); /page.js swaps <main> in place from /events. */
export function renderPage(o: Overview, opts: { signOut: boolean }): string {
  return layout(
    'tunnelops status',
    `<noscript><meta http-equiv="refresh" content="5"></noscript>`,
    `<main id="overview">${renderMain(o)}</main>
<footer><p>Updates by itself: <span id="live">every 5 s (reload)</span>. Read-only. JSON: <a href="/api/overview">/api/overview</a>.</p>
${opts.signOut ? '<form method="post" action="/signout"><button type="submit">Sign out</button></form>' : ''}</footer>`,
  );
}

/** The live part of the page (sent again whenever it changes). */
export function renderMain(o: Overview): string {
  const person = (id: string) => (o.people[id] ? `@${o.people[id]}` : id);
  const degraded = o.status.sites.filter((s) => s.tunnels.some((t) => t.active && t.health !== 'healthy'));
  const summary = `${o.status.sites.length} site(s); ${o.alarms.length} alarm(s) in ALARM; ${o.pending.length} open request(s)`;
  return `<p class="asof">As of <time datetime="${h(o.generatedAt)}">${h(clock(o.generatedAt))}</time> (UTC). ${h(summary)}.${
    degraded.length
      ? ` <strong class="warn">Attention: ${h(degraded.map((s) => s.name).join(', '))}</strong>`
      : ''
  }</p>
${o.status.sites.map((s) => site(s, o)).join('\n')}
${alarms(o.alarms)}
${pending(o.pending, person)}
${failovers(o.failovers, person)}`;
}

function site(s: SiteStatus, o: Overview): string {
  const graph = o.graphs[s.name];
  const id = `site-${slug(s.name)}`;
  return `<section class="site" aria-labelledby="${id}" data-site="${h(s.name)}">
<h2 id="${id}">${h(s.name)} <span class="region">${h(s.region)}</span></h2>
<p class="active-line">Active tunnel: <strong class="active-tunnel" data-active-tunnel="${h(s.activeTunnel ?? '')}">${h(s.activeTunnel ?? 'none (routes split or missing)')}</strong></p>
${routes(s)}
<table class="tunnels stack"><caption>Tunnels of ${h(s.name)}</caption>
<thead><tr><th scope="col">Tunnel</th><th scope="col">Carries traffic</th><th scope="col">Health</th><th scope="col">Why</th><th scope="col">Loss (5 min)</th><th scope="col">Latency</th></tr></thead>
<tbody>${s.tunnels.map(tunnelRow).join('')}</tbody></table>
${
  graph
    ? `<figure class="graph">${sceneSvg(healthGraphScene(graph), `${s.name} health graph`)}<figcaption>Probe loss and latency per tunnel, last hour; dashed red lines are failovers.</figcaption></figure>`
    : '<p class="muted">No health graph: the probe series could not be read.</p>'
}
</section>`;
}

function routes(s: SiteStatus): string {
  if (!s.routes.ok)
    return `<p class="routes health-unknown">? Routes unknown, because ${h(s.routes.reason)}</p>`;
  const total = s.routes.value.length;
  if (s.activeTunnel !== null && s.disagreements.length === 0)
    return `<p class="routes health-healthy">✓ Routes consistent: all ${total} point at ${h(s.activeTunnel)}</p>`;
  return `<div class="routes health-down"><p>✗ Routes inconsistent: ${s.disagreements.length} of ${total} do not point at the active tunnel</p><ul>${s.disagreements
    .map((d) => `<li>${h(describeDisagreement(d))}</li>`)
    .join('')}</ul></div>`;
}

function tunnelRow(t: TunnelStatus): string {
  const health = HEALTH[t.health];
  const probe = t.probe.ok ? t.probe.value : null;
  const loss = probe?.lossPct === null || probe?.lossPct === undefined ? '—' : `${fmt(probe.lossPct)}%`;
  const latency =
    probe?.latencyMs === null || probe?.latencyMs === undefined ? '—' : `${fmt(probe.latencyMs)} ms`;
  return `<tr data-tunnel="${h(t.name)}"${t.active ? ' class="active"' : ''}><th scope="row" data-label="Tunnel">${h(t.name)}</th>${cells(
    ['Carries traffic', 'Health', 'Why', 'Loss (5 min)', 'Latency'],
    [
      t.active ? '<span class="badge-active">● active</span>' : 'standby',
      `<span class="health health-${t.health}">${health.symbol} ${health.label}</span>`,
      h(t.healthReason),
      loss,
      latency,
    ],
  )}</tr>`;
}

function alarms(list: FiringAlarm[]): string {
  if (!list.length) return section('alarms', 'Alarms in ALARM', '<p>✓ None.</p>');
  return section(
    'alarms',
    `Alarms in ALARM (${list.length})`,
    table(
      ['Alarm', 'Site / tunnel', 'Since', 'Reason'],
      list.map((a) => [
        `<span class="health health-down">✗</span> ${h(a.name)}`,
        h(a.site ? `${a.site}${a.tunnel ? `/${a.tunnel}` : ''}` : 'not mapped to a site'),
        time(a.since),
        h(a.reason),
      ]),
    ),
  );
}

function pending(list: PendingRequest[], person: (id: string) => string): string {
  if (!list.length) return section('pending', 'Open requests', '<p>None waiting.</p>');
  return section(
    'pending',
    `Open requests (${list.length})`,
    table(
      ['Request', 'What', 'Asked by', 'State', 'Expires', 'Reason'],
      list.map((p) => [
        h(p.id),
        h(
          p.action === 'failover'
            ? `fail over ${p.site} to ${p.to ?? 'the other tunnel'}`
            : `redeploy ${p.site}/${p.tunnel ?? '?'}`,
        ),
        h(person(p.requester)),
        h(p.state),
        time(p.expiresAt),
        h(p.reason ?? ''),
      ]),
    ),
  );
}

function failovers(list: FailoverRun[], person: (id: string) => string): string {
  if (!list.length) return section('failovers', 'Last failovers', '<p>None in the audit log.</p>');
  return section(
    'failovers',
    'Last failovers',
    table(
      ['When', 'Site', 'From', 'To', 'By'],
      list.map((f) => [
        time(new Date(f.at).toISOString()),
        h(f.site),
        h(f.from ?? '?'),
        h(f.to ?? '?'),
        h(person(f.actor)),
      ]),
    ),
  );
}

function section(id: string, title: string, body: string): string {
  return `<section class="panel" aria-labelledby="${id}"><h2 id="${id}">${h(title)}</h2>${body}</section>`;
}

/** Cells are already escaped HTML; each carries its column's name, which a phone shows beside it. */
function table(head: string[], rows: string[][]): string {
  return `<table class="stack"><thead><tr>${head.map((c) => `<th scope="col">${h(c)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${cells(head, r)}</tr>`)
    .join('')}</tbody></table>`;
}

const cells = (head: string[], row: string[]): string =>
  row.map((c, i) => `<td data-label="${h(head[i] ?? '')}">${c}</td>`).join('');

/** The shell every page shares: strict CSP-friendly (no inline script or style), one stylesheet, one script. */
export function layout(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title><link rel="stylesheet" href="/page.css"><script src="/page.js" defer></script>${head}</head>
<body><header><h1>${h(title)}</h1></header>
${body}
</body></html>`;
}

const time = (iso: string): string => `<time datetime="${h(iso)}">${h(clock(iso))}</time>`;
const clock = (iso: string): string =>
  Number.isNaN(Date.parse(iso)) ? iso : new Date(iso).toISOString().slice(0, 19).replace('T', ' ');
const fmt = (n: number): string => (Math.round(n * 10) / 10).toString();
const slug = (s: string): string => s.replace(/[^a-zA-Z0-9_-]/g, '_');

/** The sign-in form (when TUNNELOPS_API_TOKEN is set): a POST, so the token never lands in a URL or a log. */
export function renderSignIn(error?: string): string {
  return layout(
    'tunnelops status: sign in',
    '',
    `<main><section class="signin" aria-labelledby="signin-title"><h2 id="signin-title">Sign in</h2>
<p>This page needs the API token (TUNNELOPS_API_TOKEN), as /api/* does.</p>
${error ? `<p class="error" role="alert">✗ ${h(error)}</p>` : ''}
<form method="post" action="/signin"><label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required maxlength="512">
<button type="submit">Sign in</button></form></section></main>`,
  );
}
