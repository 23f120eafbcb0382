import { type CertEntry, expiryLevel, utcMinute } from '../domain/cert-expiry.js';
import { siteHealth } from '../domain/fleet-summary.js';
import type { HealthGraph } from '../domain/health-graph.js';
import { describeDisagreement, type SiteStatus, type TunnelStatus } from '../domain/status.js';
import { escapeHtml as h } from '../render/escape-html.js';
import { healthGraphScene } from '../render/graph-scene.js';
import { sceneSvg } from '../render/scene-svg.js';
import { cells, fmt, HEALTH, siteId } from './page-html.js';

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
