import type { Site } from '../config/topology-schema.js';
import { TunnelOpsError } from './errors.js';
import type { RouteObservation } from './observations.js';

/** The name infra/ gives a site's on-prem prefix list (routeDestination: prefix-list); adapters find its id by it. */
export const onPremPrefixListName = (site: Pick<Site, 'name'>): string => `tunnelops-${site.name}-on-prem`;

/**
 * What each of the site's route tables has a route for: every on-prem CIDR, or (routeDestination: prefix-list)
 * the one prefix list that holds them, by name. A route's `cidr` (RouteSlot, RouteObservation) is one of these.
 */
export const routeDestinations = (site: Site): string[] =>
  site.routeDestination === 'prefix-list' ? [onPremPrefixListName(site)] : site.onPremCidrs;

/** Whether a route destination of the site is its prefix list (rather than a CIDR). */
export const isPrefixListRoute = (site: Site, destination: string): boolean =>
  site.routeDestination === 'prefix-list' && destination === onPremPrefixListName(site);

/** One route (route table x destination: an on-prem CIDR or the site's prefix list) and the tunnel it points at now. */
export interface RouteSlot {
  routeTableId: string;
  cidr: string;
  /** Current tunnel, or null when the route is missing, blackholed or points elsewhere. */
  tunnel: string | null;
  /** The table has no route for the CIDR at all: it must be created, not replaced. */
  missing?: boolean;
}

/**
 * Every route table x destination the topology names, matched with what was observed.
 * A pair the adapter did not report counts as pointing nowhere, so it gets changed (and then verified).
 */
export function routeSlots(site: Site, observed: readonly RouteObservation[]): RouteSlot[] {
  const seen = new Map(observed.map((o) => [`${o.routeTableId} ${o.cidr}`, o]));
  const slots: RouteSlot[] = [];
  for (const routeTableId of site.routeTableIds) {
    for (const cidr of routeDestinations(site)) {
      const o = seen.get(`${routeTableId} ${cidr}`);
      const tunnel = o && !o.blackhole && !o.missing ? o.tunnel : null;
      // A pair the adapter did not report is treated as present: replace() says so if it is missing.
      slots.push(o?.missing ? { routeTableId, cidr, tunnel, missing: true } : { routeTableId, cidr, tunnel });
    }
  }
  return slots;
}

/** The routes that do not yet point at the target. */
export const slotsToChange = (slots: readonly RouteSlot[], to: string): RouteSlot[] =>
  slots.filter((s) => s.tunnel !== to);

/** The tunnel most of the given routes pointed at (what we move away from), or null. */
export function mostCommonTunnel(slots: readonly RouteSlot[]): string | null {
  const counts = new Map<string, number>();
  for (const s of slots) if (s.tunnel !== null) counts.set(s.tunnel, (counts.get(s.tunnel) ?? 0) + 1);
  let best: string | null = null;
  let bestCount = 0;
  for (const [tunnel, n] of counts) {
    if (n > bestCount) {
      best = tunnel;
      bestCount = n;
    }
  }
  return best;
}

export const describeSlot = (s: { routeTableId: string; cidr: string }): string =>
  `${s.routeTableId} ${s.cidr}`;

/** Route writes are scoped to the site's own tables and destinations, like the IAM policy: anything else is refused. */
export function assertSiteRoute(site: Site, routeTableId: string, cidr: string): void {
  if (!site.routeTableIds.includes(routeTableId) || !routeDestinations(site).includes(cidr))
    throw new TunnelOpsError('not_found', `no route ${cidr} in ${routeTableId} of site ${site.name}`);
}
