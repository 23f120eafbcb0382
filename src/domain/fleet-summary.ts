import type { Health } from './health.js';
import type { SiteStatus } from './status.js';

/**
 * Up to this many sites, both fleet views show every site in full (`/vpn status`: a line each; the page: a
 * card each with its graph); past it, a summary and only the sites needing attention (the page lists every
 * site as a row, detail on demand). Ten lines or cards still read at a glance on a phone or in one Slack
 * section; past that the healthy ones bury the one that matters, and 500 graphs took the page 2.7 s.
 */
export const FLEET_VIEW_SITES = 10;

/** Most urgent first: the order both fleet views list sites in. */
export const HEALTH_RANK: Record<Health, number> = { down: 0, degraded: 1, unknown: 2, healthy: 3 };
export const HEALTH_ORDER: readonly Health[] = ['down', 'degraded', 'unknown', 'healthy'];

/** The state of a site in one word: its active tunnel's health, or down when no tunnel carries traffic. */
export function siteHealth(site: SiteStatus): Health {
  if (!site.routes.ok) return 'unknown';
  const active = site.tunnels.find((t) => t.active);
  if (!active) return 'down';
  if (site.disagreements.length && active.health === 'healthy') return 'degraded';
  return active.health;
}

/**
 * Why a site needs someone to look at it, or null when it does not: traffic at risk (its state), routes that
 * disagree, or a standby that could not take over (a site running on its last tunnel).
 */
export function attentionReason(site: SiteStatus): string | null {
  const health = siteHealth(site);
  if (health !== 'healthy') {
    const active = site.tunnels.find((t) => t.active);
    if (!site.routes.ok) return `routes unknown: ${site.routes.reason}`;
    if (!active) return 'no tunnel carries traffic (routes split or missing)';
    if (site.disagreements.length) return `${site.disagreements.length} route(s) disagree`;
    return `active ${active.name} ${active.health}: ${active.healthReason}`;
  }
  const standby = site.tunnels.find((t) => !t.active && t.health !== 'healthy');
  if (standby) return `standby ${standby.name} ${standby.health}: ${standby.healthReason}`;
  return null;
}

export interface FleetSummary {
  sites: number;
  byState: Record<Health, number>;
  /** Sites whose active tunnel's server sits in each AZ; `null` AZ: not named in tunnels.yml, or no active. */
  activesByAz: Array<{ az: string | null; sites: number }>;
  /** The sites needing attention, most urgent first, then by name. */
  attention: Array<{ site: SiteStatus; health: Health; reason: string }>;
}

/** The fleet at a glance: what `/vpn status` and the status page show above (or instead of) the sites. */
export function summarizeFleet(sites: readonly SiteStatus[]): FleetSummary {
  const byState: Record<Health, number> = { down: 0, degraded: 0, unknown: 0, healthy: 0 };
  const perAz = new Map<string | null, number>();
  const attention: FleetSummary['attention'] = [];
  for (const site of sites) {
    const health = siteHealth(site);
    byState[health]++;
    const active = site.tunnels.find((t) => t.active);
    if (active) {
      const az = active.availabilityZone ?? null;
      perAz.set(az, (perAz.get(az) ?? 0) + 1);
    }
    const reason = attentionReason(site);
    if (reason !== null) attention.push({ site, health, reason });
  }
  attention.sort(
    (a, b) => HEALTH_RANK[a.health] - HEALTH_RANK[b.health] || a.site.name.localeCompare(b.site.name),
  );
  const activesByAz = [...perAz]
    .map(([az, n]) => ({ az, sites: n }))
    .sort((a, b) => (a.az === null ? 1 : b.az === null ? -1 : a.az.localeCompare(b.az)));
  return { sites: sites.length, byState, activesByAz, attention };
}
