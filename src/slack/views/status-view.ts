import {
  FLEET_VIEW_SITES,
  type FleetSummary,
  HEALTH_ORDER,
  HEALTH_RANK,
  siteHealth,
  summarizeFleet,
} from '../../domain/fleet-summary.js';
import type { Health } from '../../domain/health.js';
import { escapeMrkdwn } from '../../domain/mrkdwn.js';
import type { AlarmSummary, ProbeStats, TunnelTaskState } from '../../domain/observations.js';
import type { Outcome } from '../../domain/outcome.js';
import {
  describeDisagreement,
  type SiteStatus,
  type StatusReport,
  type TunnelStatus,
} from '../../domain/status.js';

/** Slack's limits: 50 blocks per message, 3000 chars per section text, 2000 per field, 150 per header. */
export const MAX_BLOCKS = 50;
const MAX_SECTION = 2900;
const MAX_FIELD = 1900;
const MAX_TEXT = 3000;
/** Up to this many sites get full detail in one message; more become a summary. */
const DETAIL_SITES = 3;
/** The fleet view lists at most this many sites needing attention (the rest are counted, never silently cut). */
const ATTENTION_SHOWN = 100;

export type Block = Record<string, unknown>;
export interface StatusMessage {
  text: string;
  blocks: Block[];
}

const HEALTH_EMOJI: Record<Health, string> = {
  healthy: ':large_green_circle:',
  degraded: ':large_yellow_circle:',
  down: ':red_circle:',
  unknown: ':white_circle:',
};

/** Text from AWS or other features is escaped, so a reason can never become a mention or a link. */
const esc = escapeMrkdwn;
const truncate = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
const header = (text: string): Block => ({
  type: 'header',
  text: { type: 'plain_text', text: truncate(text, 150) },
});
const section = (text: string): Block => ({
  type: 'section',
  text: { type: 'mrkdwn', text: truncate(text, MAX_SECTION) },
});
const context = (text: string): Block => ({
  type: 'context',
  elements: [{ type: 'mrkdwn', text: truncate(text, MAX_SECTION) }],
});
const field = (title: string, body: string): Block => ({
  type: 'mrkdwn',
  text: truncate(`*${title}*\n${body}`, MAX_FIELD),
});
const why = <T>(o: Outcome<T>, render: (v: T) => string): string =>
  o.ok ? render(o.value) : `unknown, because ${esc(o.reason)}`;

/**
 * `/vpn status`: full detail for a few sites, one line per site up to FLEET_VIEW_SITES, else the fleet view
 * (detail of any site via `/vpn status <site>`).
 */
export function statusMessage(report: StatusReport): StatusMessage {
  if (report.sites.length <= DETAIL_SITES) {
    const blocks = report.sites.flatMap((s, i) => [...(i ? [{ type: 'divider' }] : []), ...siteBlocks(s)]);
    if (blocks.length <= MAX_BLOCKS) {
      return { text: truncate(report.sites.map(siteText).join('\n'), MAX_TEXT), blocks };
    }
  }
  if (report.sites.length <= FLEET_VIEW_SITES) return summaryMessage(report);
  return fleetMessage(summarizeFleet(report.sites));
}

function siteBlocks(site: SiteStatus): Block[] {
  const blocks: Block[] = [header(`VPN status: ${site.name} (${site.region})`), section(routesText(site))];
  for (const t of site.tunnels) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(tunnelLine(t), MAX_SECTION) },
      fields: [
        field('Probes (5 min)', why(t.probe, probeText)),
        field('ECS task', why(t.task, taskText)),
        field(
          'Instance',
          why(t.instance, (i) => `${i.instanceId} ${i.state}`),
        ),
        field('Alarms', why(t.alarms, alarmsText)),
      ],
    });
  }
  blocks.push(context(lastFailoverText(site)));
  return blocks;
}

function routesText(site: SiteStatus): string {
  if (!site.routes.ok) return `*Active tunnel:* unknown, because ${esc(site.routes.reason)}`;
  const total = site.routes.value.length;
  const active = site.activeTunnel ? `*${site.activeTunnel}*` : '*none* :rotating_light:';
  if (!site.disagreements.length)
    return `*Active tunnel:* ${active}\nAll ${total} routes point at ${site.activeTunnel}.`;
  const shown = site.disagreements.slice(0, 10).map((d) => `• ${esc(describeDisagreement(d))}`);
  const more =
    site.disagreements.length > shown.length ? `\n…and ${site.disagreements.length - shown.length} more` : '';
  const title = site.activeTunnel
    ? `:warning: ${site.disagreements.length} of ${total} routes do not point at ${site.activeTunnel}:`
    : `:warning: the route tables do not agree on a tunnel:`;
  return `*Active tunnel:* ${active}\n${title}\n${shown.join('\n')}${more}`;
}

const tunnelLine = (t: TunnelStatus): string =>
  `${HEALTH_EMOJI[t.health]} *${t.name}*${t.active ? ' (active)' : ''}: ${t.health}, ${esc(t.healthReason)}`;

function probeText(p: ProbeStats): string {
  if (p.samples === 0 || p.lossPct === null) return 'no samples';
  const recent = p.recentLossPct === null ? '' : ` (last min ${p.recentLossPct.toFixed(1)}%)`;
  const latency = p.latencyMs === null ? 'no replies' : `${Math.round(p.latencyMs)} ms`;
  return `loss ${p.lossPct.toFixed(1)}%${recent}, ${latency}, ${p.samples} samples`;
}

function taskText(t: TunnelTaskState): string {
  const pending = t.pending ? `, ${t.pending} pending` : '';
  const deploying = t.deploying ? ', deploying' : '';
  const stop = t.lastStopReason
    ? `\nlast stop: ${esc(t.lastStopReason)}${t.lastStoppedAt ? ` (${t.lastStoppedAt})` : ''}`
    : '';
  const note = t.note ? `\n_${esc(t.note)}_` : '';
  return `${t.running}/${t.desired} running${pending}${deploying}${stop}${note}`;
}

function alarmsText(alarms: AlarmSummary[]): string {
  const firing = alarms.filter((a) => a.state === 'ALARM');
  if (!firing.length)
    return alarms.length ? `none firing (${alarms.length} OK or no data)` : 'none configured';
  const shown = firing.slice(0, 5).map((a) => `:rotating_light: ${esc(a.name)} since ${esc(a.since)}`);
  return firing.length > shown.length
    ? `${shown.join('\n')}\n…and ${firing.length - shown.length} more`
    : shown.join('\n');
}

function lastFailoverText(site: SiteStatus): string {
  const f = site.lastFailover;
  if (!f) return 'No failover on record.';
  const d = f.detail ?? {};
  const move = typeof d.from === 'string' && typeof d.to === 'string' ? ` ${d.from} → ${d.to}` : '';
  const reason = typeof d.reason === 'string' ? `: ${esc(truncate(d.reason, 200))}` : '';
  const actor = /^[UW][A-Z0-9]+$/.test(f.actor) ? `<@${f.actor}>` : esc(f.actor);
  return `Last failover${move} at ${f.at} by ${actor}${reason}`;
}

function siteText(site: SiteStatus): string {
  const active = site.routes.ok ? (site.activeTunnel ?? 'none') : `unknown (${esc(site.routes.reason)})`;
  const warn = site.disagreements.length ? `, ${site.disagreements.length} route(s) disagree` : '';
  const tunnels = site.tunnels
    .map((t) => `${t.name} ${t.health} (${esc(truncate(t.healthReason, 120))})`)
    .join('; ');
  return `${site.name}: active ${active}${warn}; ${tunnels}`;
}

function summaryLine(site: SiteStatus): string {
  const active = site.routes.ok ? `*${site.activeTunnel ?? 'none'}*` : 'unknown';
  const warn = site.disagreements.length ? ` :warning: ${site.disagreements.length} route(s) disagree` : '';
  const tunnels = site.tunnels
    .map(
      (t) =>
        `${t.name} ${t.health}${t.health === 'healthy' ? '' : ` (${esc(truncate(t.healthReason, 90))})`}`,
    )
    .join(', ');
  return `${HEALTH_EMOJI[siteHealth(site)]} *${site.name}* (${site.region}) active ${active}${warn}: ${tunnels}`;
}

/** Counts by state, most urgent first, zeros left out. */
function stateCounts(byState: Record<Health, number>, emoji: boolean): string[] {
  return HEALTH_ORDER.filter((h) => byState[h] > 0).map(
    (h) => `${emoji ? `${HEALTH_EMOJI[h]} ` : ''}${byState[h]} ${h}`,
  );
}

function summaryMessage(report: StatusReport): StatusMessage {
  const sites = [...report.sites].sort((a, b) => HEALTH_RANK[siteHealth(a)] - HEALTH_RANK[siteHealth(b)]);
  const { byState } = summarizeFleet(sites);
  const blocks: Block[] = [
    header(`VPN status: ${sites.length} sites`),
    section(stateCounts(byState, true).join('   ')),
  ];
  const { sections, shown } = packLines(sites.map(summaryLine), MAX_BLOCKS - blocks.length - 1);
  if (shown < sites.length) sections[sections.length - 1] += `\n…and ${sites.length - shown} more sites`;
  blocks.push(...sections.map(section), context('Details of one site: `/vpn status <site>`'));
  const text = truncate(
    [`VPN status: ${stateCounts(byState, false).join(', ')}`, ...sites.map(siteText)].join('\n'),
    MAX_TEXT,
  );
  return { text, blocks };
}

/** Lines packed into section texts under the character limit, at most `room` sections. */
function packLines(lines: readonly string[], room: number): { sections: string[]; shown: number } {
  const sections: string[] = [];
  let current = '';
  let shown = 0;
  for (const raw of lines) {
    const line = truncate(raw, 600);
    if (current && current.length + 1 + line.length > MAX_SECTION - 80) {
      if (sections.length + 1 >= room) break;
      sections.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
    shown++;
  }
  if (current) sections.push(current);
  return { sections, shown };
}

const azLabel = (az: string | null): string => az ?? 'AZ not in tunnels.yml';

/**
 * The fleet view: counts by state, active tunnels per AZ (what one AZ going would take down), then only the
 * sites needing attention, most urgent first. Healthy sites are counted, not listed.
 */
function fleetMessage(fleet: FleetSummary): StatusMessage {
  const perAz = fleet.activesByAz.map((a) => `${esc(azLabel(a.az))}: ${a.sites}`).join(' · ');
  const noActive = fleet.sites - fleet.activesByAz.reduce((n, a) => n + a.sites, 0);
  const actives = `*Active tunnels per AZ:* ${perAz || 'none'}${noActive ? ` · no active tunnel: ${noActive}` : ''}`;
  const blocks: Block[] = [
    header(`VPN status: ${fleet.sites} sites`),
    section(`${stateCounts(fleet.byState, true).join('   ')}\n${actives}`),
  ];
  const shownAttention = fleet.attention.slice(0, ATTENTION_SHOWN);
  const lines = shownAttention.map(
    (a) =>
      `${HEALTH_EMOJI[a.health]} *${a.site.name}* (${a.site.region}) active ${a.site.activeTunnel ? `*${a.site.activeTunnel}*` : 'none'}: ${esc(truncate(a.reason, 200))}`,
  );
  const footer = context(
    'Any site in detail: `/vpn status <site>`. Every site: the status page (`/` on the bot).',
  );
  if (lines.length === 0) {
    blocks.push(section(':white_check_mark: No site needs attention.'), footer);
  } else {
    blocks.push(section(`*Needs attention (${fleet.attention.length}):*`));
    const { sections, shown } = packLines(lines, MAX_BLOCKS - blocks.length - 1);
    const left = fleet.attention.length - shown;
    if (left > 0)
      sections[sections.length - 1] += `\n…and ${left} more needing attention (the status page lists all)`;
    blocks.push(...sections.map(section), footer);
  }
  const textLines = [
    `VPN status: ${fleet.sites} sites: ${stateCounts(fleet.byState, false).join(', ')}.`,
    `Active tunnels per AZ: ${fleet.activesByAz.map((a) => `${esc(azLabel(a.az))} ${a.sites}`).join(', ') || 'none'}.`,
    fleet.attention.length
      ? `Needs attention (${fleet.attention.length}): ${fleet.attention.map((a) => `${a.site.name} (${esc(truncate(a.reason, 80))})`).join('; ')}`
      : 'No site needs attention.',
  ];
  return { text: truncate(textLines.join('\n'), MAX_TEXT), blocks };
}

/** Reply to `/vpn status <site>` for a site that is not in tunnels.yml. */
export function unknownSiteMessage(name: string, known: readonly string[]): StatusMessage {
  const list = known.map((s) => `\`${s}\``).join(', ');
  const text = truncate(`Unknown site "${name}". Known sites: ${list}`, MAX_SECTION);
  return { text, blocks: [section(`:warning: ${text}`)] };
}
