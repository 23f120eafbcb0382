import { FLEET_VIEW_SITES, summarizeFleet } from '../domain/fleet-summary.js';
import type { Overview } from '../domain/overview.js';
import { escapeHtml as h } from '../render/escape-html.js';
import { filterForm, hide, matches, type SiteFilter } from './page-filter.js';
import { clock, siteId } from './page-html.js';
import { layout } from './page-layout.js';
import { panels } from './page-panels.js';
import { summary } from './page-summary.js';
import { siteCard } from './site-card.js';
import { siteRow } from './site-row.js';

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
  parts.set('panels', panels(o, person));
  return parts;
}
