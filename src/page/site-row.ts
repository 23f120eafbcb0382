import { siteHealth } from '../domain/fleet-summary.js';
import type { SiteStatus } from '../domain/status.js';
import { escapeHtml as h } from '../render/escape-html.js';
import { cells, HEALTH, siteId } from './page-html.js';

/** A site's row in a fleet's list: state, active tunnel and its AZ, why it needs attention, and a detail link. */
export function siteRow(s: SiteStatus, why: string | null): string {
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
