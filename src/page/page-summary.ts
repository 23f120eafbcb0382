import { type FleetSummary, HEALTH_ORDER } from '../domain/fleet-summary.js';
import type { Overview } from '../domain/overview.js';
import { escapeHtml as h } from '../render/escape-html.js';
import { HEALTH } from './page-html.js';

/** The fleet at a glance: sites by state, active tunnels per AZ, how many need attention, alarms, requests. */
export function summary(fleet: FleetSummary, o: Overview): string {
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
