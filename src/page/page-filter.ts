/** The sites' filter (a name part and a state): parsed from a query, shown as a form, applied to the site parts. */
import { HEALTH_ORDER } from '../domain/fleet-summary.js';
import { escapeHtml as h } from '../render/escape-html.js';

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

export function filterForm(f: SiteFilter): string {
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
export function matches(part: string, f: SiteFilter): boolean {
  const name = /data-site="([^"]*)"/.exec(part)?.[1] ?? '';
  const state = /data-state="([^"]*)"/.exec(part)?.[1] ?? '';
  const attention = part.includes('data-attention="1"');
  if (f.q && !name.toLowerCase().includes(h(f.q.toLowerCase()))) return false;
  if (f.state === 'all') return true;
  return f.state === 'attention' ? attention : state === f.state;
}

export const hide = (part: string): string => part.replace(/^<(tr|section) /, '<$1 hidden ');
