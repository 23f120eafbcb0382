// length: not split yet (issue 19 follow-up: one module per part)
import type { FailoverRun } from '../domain/audit.js';
import { type CertEntry, expiryLevel, utcMinute } from '../domain/cert-expiry.js';
import {
  FLEET_VIEW_SITES,
  type FleetSummary,
  HEALTH_ORDER,
  siteHealth,
  summarizeFleet,
} from '../domain/fleet-summary.js';
import type { Health } from '../domain/health.js';
import type { HealthGraph } from '../domain/health-graph.js';
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

/** What a page request asks for: a filter over the sites, and a site shown in detail. */
export interface PageRequest {
  filter: SiteFilter;
  /** The site shown in detail (its card with the graph), above the list. */
  detail?: string;
}

/** The whole page: works without JavaScript (a refresh every 5 s); /page.js swaps the parts in place from /events. */
export function renderPage(
  parts: ReadonlyMap<string, string>,
  opts: { signOut: boolean; since: string; request: PageRequest; detail?: string },
): string {
  return layout(
    'tunnelops status',
    `<noscript><meta http-equiv="refresh" content="5"></noscript>`,
    `<main id="overview" data-since="${h(opts.since)}">${renderMain(parts, opts.request, opts.detail)}</main>
<footer><p>Updates by itself: <span id="live">every 5 s (reload)</span>. Read-only. JSON: <a href="/api/overview">/api/overview</a>, <a href="/api/status">/api/status</a>.</p>
${opts.signOut ? '<form method="post" action="/signout"><button type="submit">Sign out</button></form>' : ''}</footer>`,
  );
}

/** The live part of the page, from its parts (pageParts), with the request's filter and detail applied. */
export function renderMain(parts: ReadonlyMap<string, string>, request: PageRequest, detail = ''): string {
  const order = parseOrder(parts.get(ORDER_PART));
  const small = parts.get(LAYOUT_PART) === 'cards';
  const shown = order
    .map((id) => parts.get(id) ?? '')
    .map((part) => (matches(part, request.filter) ? part : hide(part)));
  const list = small
    ? `<div id="sites" class="cards">${shown.join('\n')}</div>`
    : fleetList(shown, request.filter);
  return `${parts.get('asof') ?? ''}
${parts.get('summary') ?? ''}
${filterForm(request.filter)}
<section id="detail" class="detail" aria-live="polite"${detail ? '' : ' hidden'}>${detail}</section>
${list}
${parts.get('panels') ?? ''}`;
}

const ROWS_HEAD =
  '<thead><tr><th scope="col">Site</th><th scope="col">Region</th><th scope="col">State</th><th scope="col">Active tunnel</th><th scope="col">Why</th><th scope="col">Detail</th></tr></thead>';

/**
 * A fleet's rows: those needing attention in a table shown at once, every other site in a list closed until
 * asked for (or a filter narrows it). A browser lays out none of a closed list's rows, and 500 table rows are
 * most of a cold page load's time.
 */
function fleetList(rows: string[], filter: SiteFilter): string {
  // Joined without whitespace: an attention table whose rows all moved out is :empty again (CSS leaves it out).
  const attention = rows.filter((r) => r.includes('data-attention="1"'));
  const others = rows.filter((r) => !r.includes('data-attention="1"'));
  const open = filter.q !== '' || (filter.state !== 'all' && filter.state !== 'attention');
  return `<section class="panel fleet" aria-labelledby="sites-title"><h2 id="sites-title">Sites</h2>
<div id="sites">
<table class="stack sites attention"><caption>Sites needing attention, most urgent first. Detail: a site's graph and tunnels.</caption>
${ROWS_HEAD}<tbody id="attention-rows">${attention.join('')}</tbody></table>
<details id="other-sites"${open ? ' open' : ''}><summary>Sites not needing attention, by name</summary>
<table class="stack sites"><caption>Detail: a site's graph and tunnels.</caption>
${ROWS_HEAD}<tbody id="other-rows">${others.join('')}</tbody></table></details>
</div></section>`;
}

/** The part listing the site parts' ids in display order (JSON), and the one saying rows or cards. */
const ORDER_PART = 'order';
const LAYOUT_PART = 'layout';

function parseOrder(json: string | undefined): string[] {
  try {
    const ids: unknown = JSON.parse(json ?? '[]');
    return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The page as parts, by element id, each sent to open pages only when it changed: the time, the fleet summary,
 * one part per site (a table row past FLEET_VIEW_SITES, else the site's card with its graph), their order, and
 * the alarms / requests / failovers panels. A site's row shows nothing that moves while it is healthy (no probe
 * figures), so an idle fleet sends only the time.
 */
export function pageParts(o: Overview): Map<string, string> {
  const person = (id: string) => (o.people[id] ? `@${o.people[id]}` : id);
  const fleet = summarizeFleet(o.status.sites);
  const attention = new Map(fleet.attention.map((a) => [a.site.name, a.reason]));
  const small = o.status.sites.length <= FLEET_VIEW_SITES;
  const ordered = [
    ...fleet.attention.map((a) => a.site),
    ...o.status.sites.filter((s) => !attention.has(s.name)).sort((a, b) => a.name.localeCompare(b.name)),
  ];
  const parts = new Map<string, string>();
  parts.set(
    'asof',
    `<p class="asof" id="asof">As of <time datetime="${h(o.generatedAt)}">${h(clock(o.generatedAt))}</time> (UTC).</p>`,
  );
  parts.set('summary', summary(fleet, o));
  parts.set(LAYOUT_PART, small ? 'cards' : 'rows');
  parts.set(ORDER_PART, JSON.stringify(ordered.map((s) => siteId(s.name))));
  for (const s of ordered) {
    const why = attention.get(s.name) ?? null;
    parts.set(
      siteId(s.name),
      small ? siteCard(s, o.graphs[s.name], why, o.nearestExpiry[s.name]) : siteRow(s, why),
    );
  }
  parts.set(
    'panels',
    `<div id="panels" class="panels">${alarms(o.alarms)}
${pending(o.pending, person)}
${failovers(o.failovers, person)}</div>`,
  );
  return parts;
}

const siteId = (name: string): string => `site-${slug(name)}`;

function summary(fleet: FleetSummary, o: Overview): string {
  const counts = HEALTH_ORDER.filter((s) => fleet.byState[s] > 0)
    .map(
      (s) =>
        `<span class="health health-${s}">${HEALTH[s].symbol} ${fleet.byState[s]} ${HEALTH[s].label}</span>`,
    )
    .join(' ');
  const perAz = fleet.activesByAz.map((a) => `${h(a.az ?? 'AZ not in tunnels.yml')}: ${a.sites}`).join(' · ');
  const attention = fleet.attention.length
    ? `<p><strong class="warn">Needs attention: ${fleet.attention.length} site(s)</strong> (listed first).</p>`
    : '<p>No site needs attention.</p>';
  return `<section class="panel summary" id="summary" aria-labelledby="summary-title"><h2 id="summary-title">${fleet.sites} site(s)</h2>
<p class="counts">${counts || 'No sites.'}</p>
<p>Active tunnels per AZ: ${perAz || 'none'}</p>
${attention}
<p>${o.alarms.length} alarm(s) in ALARM; ${o.pending.length} open request(s).</p></section>`;
}

const STATES = ['all', 'attention', ...HEALTH_ORDER] as const;
export type SiteFilter = { q: string; state: (typeof STATES)[number] };

/** The filter from a query string, bounded: unknown states read as all, the name part is cut at 64 chars. */
export function parseFilter(query: URLSearchParams): SiteFilter {
  const state = query.get('state') ?? 'all';
  return {
    q: (query.get('q') ?? '').slice(0, 64).trim(),
    state: (STATES as readonly string[]).includes(state) ? (state as SiteFilter['state']) : 'all',
  };
}

function filterForm(f: SiteFilter): string {
  const options = STATES.map(
    (s) =>
      `<option value="${s}"${s === f.state ? ' selected' : ''}>${s === 'attention' ? 'needs attention' : s}</option>`,
  ).join('');
  return `<form class="panel filter" id="filter" method="get" action="/" role="search">
<label for="filter-q">Site name</label><input id="filter-q" name="q" type="search" maxlength="64" value="${h(f.q)}" autocomplete="off">
<label for="filter-state">State</label><select id="filter-state" name="state">${options}</select>
<button type="submit">Filter</button></form>`;
}

/** A site part matches the filter by its data attributes (the page script applies the same rule). */
function matches(part: string, f: SiteFilter): boolean {
  const name = /data-site="([^"]*)"/.exec(part)?.[1] ?? '';
  const state = /data-state="([^"]*)"/.exec(part)?.[1] ?? '';
  const attention = part.includes('data-attention="1"');
  if (f.q && !name.toLowerCase().includes(h(f.q.toLowerCase()))) return false;
  if (f.state === 'all') return true;
  return f.state === 'attention' ? attention : state === f.state;
}

const hide = (part: string): string => part.replace(/^<(tr|section) /, '<$1 hidden ');

function siteRow(s: SiteStatus, why: string | null): string {
  const state = siteHealth(s);
  const health = HEALTH[state];
  const active = s.tunnels.find((t) => t.active);
  const activeText = active
    ? `${h(active.name)}${active.availabilityZone ? ` <span class="muted">${h(active.availabilityZone)}</span>` : ''}`
    : '<span class="health-down">none</span>';
  return `<tr id="${siteId(s.name)}" data-site="${h(s.name)}" data-state="${state}" data-attention="${why ? 1 : 0}"><th scope="row" data-label="Site">${h(s.name)}</th>${cells(
    ['Region', 'State', 'Active tunnel', 'Why', 'Detail'],
    [
      h(s.region),
      `<span class="health health-${state}">${health.symbol} ${health.label}</span>`,
      activeText,
      why ? h(why) : '—',
      `<a href="/?site=${encodeURIComponent(s.name)}#detail" data-detail="${h(s.name)}">Detail</a>`,
    ],
  )}</tr>`;
}

/** A site in full: routes, tunnels with their figures, the health graph (cards of a small fleet, the detail). */
export function siteCard(
  s: SiteStatus,
  graph: HealthGraph | null | undefined,
  why: string | null,
  nearest?: CertEntry | null,
): string {
  const id = siteId(s.name);
  return `<section class="site" id="${id}" aria-labelledby="${id}-title" data-site="${h(s.name)}" data-state="${siteHealth(s)}" data-attention="${why ? 1 : 0}">
<h2 id="${id}-title">${h(s.name)} <span class="region">${h(s.region)}</span></h2>
<p class="active-line">Active tunnel: <strong class="active-tunnel" data-active-tunnel="${h(s.activeTunnel ?? '')}">${h(s.activeTunnel ?? 'none (routes split or missing)')}</strong></p>
${routes(s)}
${certLine(nearest)}
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

/** The site's certificate nearest to expiry, warned inside 30 days (the Slack message has the fix). */
function certLine(e: CertEntry | null | undefined): string {
  if (!e) return '<p class="cert-expiry muted">Nearest certificate expiry: no server has reported yet.</p>';
  const level = expiryLevel(e);
  const cls = level === 'expired' || level === '7d' ? 'health-down' : level ? 'health-degraded' : 'muted';
  const mark = level === 'expired' || level === '7d' ? '✗' : level ? '!' : '✓';
  const left = e.revoked
    ? 'revoked'
    : e.daysLeft < 0
      ? `expired ${-e.daysLeft} day(s) ago`
      : `in ${e.daysLeft} day(s)`;
  const what = e.tunnel ? `${e.tunnel} ${e.role}` : e.role;
  return `<p class="cert-expiry ${cls}" data-cert-days="${e.daysLeft}">${mark} Nearest certificate expiry: <strong>${h(what)}</strong> ${h(e.subject.replace(/^CN=/, ''))}, ${h(utcMinute(new Date(e.notAfter)))} (${left})</p>`;
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
