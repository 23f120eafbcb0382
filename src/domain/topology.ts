import type { Site, Topology, Tunnel } from '../config/topology-schema.js';
import { type ErrorCode, TunnelOpsError } from './errors.js';

/** Key of a tunnel across sites: "dc1/primary". */
export const tunnelKey = (site: string, tunnel: string): string => `${site}/${tunnel}`;

export function findSite(topology: Topology, name: string): Site | undefined {
  return topology.sites.find((s) => s.name === name);
}

/**
 * The named site, or the one "unknown site" error, naming the sites there are: not_found for a site in a path
 * or query (an unknown site is not an empty one), bad_request where it is a field of a request's body.
 */
export function requireSite(topology: Topology, name: string, code: ErrorCode = 'not_found'): Site {
  const site = findSite(topology, name);
  if (site) return site;
  const known = topology.sites.map((s) => s.name).join(', ');
  throw new TunnelOpsError(code, `unknown site "${name.slice(0, 64)}" (sites: ${known})`);
}

export function findTunnel(site: Site, name: string): Tunnel | undefined {
  return site.tunnels.find((t) => t.name === name);
}

/** The named tunnel of the site, or the one "unknown tunnel" error, naming the site's tunnels (see requireSite). */
export function requireTunnel(site: Site, name: string, code: ErrorCode = 'not_found'): Tunnel {
  const tunnel = findTunnel(site, name);
  if (tunnel) return tunnel;
  const known = site.tunnels.map((t) => t.name).join(', ');
  throw new TunnelOpsError(
    code,
    `site ${site.name} has no tunnel "${name.slice(0, 64)}" (tunnels: ${known})`,
  );
}

/** The other tunnel of the site's pair. */
export function otherTunnel(site: Site, name: string): Tunnel {
  const other = site.tunnels.find((t) => t.name !== name);
  if (!other) throw new Error(`site ${site.name} has no tunnel other than ${name}`);
  return other;
}

/** The site's primary (first listed) tunnel: where routes point at creation. */
export const primaryTunnel = (site: Site): Tunnel => site.tunnels[0]!;

/** Sites grouped by region, so adapters batch one call per region rather than per tunnel. */
export function sitesByRegion(sites: readonly Site[]): Map<string, Site[]> {
  const byRegion = new Map<string, Site[]>();
  for (const site of sites) {
    const list = byRegion.get(site.region) ?? [];
    list.push(site);
    byRegion.set(site.region, list);
  }
  return byRegion;
}

/**
 * The topology narrowed to one site: what a site's own failover controller sees, so it evaluates, reconciles
 * and reacts to events of that site only (its IAM covers nothing else). Undefined when the site is unknown.
 */
export function siteOnly(topology: Topology, name: string): Topology | undefined {
  const site = findSite(topology, name);
  return site ? { ...topology, sites: [site] } : undefined;
}
