import type { Site, Topology } from '../config/topology-schema.js';
import type { RouteObservation } from '../domain/observations.js';
import { type Outcome, ok } from '../domain/outcome.js';
import { assertSiteRoute, routeDestinations } from '../domain/route-plan.js';
import { findTunnel, primaryTunnel, tunnelKey } from '../domain/topology.js';
import { RouteExistsError, RouteMissingError, type RouteTables } from '../ports/route-tables.js';
import { type SandboxTunnels, sandboxId } from './sandbox-tunnels.js';

/** `${site}|${routeTableId}|${cidr}` -> the tunnel the route points at. */
export type SandboxRoutes = Map<string, string>;

const routeKey = (site: string, rtb: string, cidr: string) => `${site}|${rtb}|${cidr}`;

/** Every route of every site: where an earlier run saved it (when its tunnel still exists), else at the primary. */
export function initialRoutes(topology: Topology, saved?: Record<string, string>): SandboxRoutes {
  const routes: SandboxRoutes = new Map();
  for (const site of topology.sites) {
    for (const rtb of site.routeTableIds) {
      for (const cidr of routeDestinations(site)) {
        const key = routeKey(site.name, rtb, cidr);
        const tunnel = saved?.[key];
        routes.set(key, tunnel && findTunnel(site, tunnel) ? tunnel : primaryTunnel(site).name);
      }
    }
  }
  return routes;
}

/**
 * The simulated route tables: `replace` really moves a route and completes once saved, like a real ReplaceRoute.
 * Like EC2, replace needs an existing route and create a missing one; both only on the site's own routes.
 */
export function sandboxRouteTables(
  tunnels: SandboxTunnels,
  routes: SandboxRoutes,
  save: () => Promise<void>,
): RouteTables {
  const writable = (site: Site, routeTableId: string, cidr: string, tunnel: string): string => {
    assertSiteRoute(tunnels.site(site.name), routeTableId, cidr);
    tunnels.key(site.name, tunnel);
    return routeKey(site.name, routeTableId, cidr);
  };
  return {
    async observe(sites) {
      const out = new Map<string, Outcome<RouteObservation[]>>();
      for (const site of sites) {
        const list: RouteObservation[] = [];
        for (const routeTableId of site.routeTableIds) {
          for (const cidr of routeDestinations(site)) {
            const tunnel = routes.get(routeKey(site.name, routeTableId, cidr)) ?? null;
            const target = tunnel ? sandboxId('eni', tunnelKey(site.name, tunnel)) : null;
            list.push({ routeTableId, cidr, tunnel, target, blackhole: false, missing: tunnel === null });
          }
        }
        out.set(site.name, ok(list));
      }
      return out;
    },
    async replace(site, routeTableId, cidr, tunnel, signal?: AbortSignal) {
      signal?.throwIfAborted();
      const key = writable(site, routeTableId, cidr, tunnel);
      if (!routes.has(key)) throw new RouteMissingError(`no route ${cidr} in ${routeTableId}; create it`);
      routes.set(key, tunnel);
      await save();
    },
    async create(site, routeTableId, cidr, tunnel, signal?: AbortSignal) {
      signal?.throwIfAborted();
      const key = writable(site, routeTableId, cidr, tunnel);
      if (routes.has(key)) throw new RouteExistsError(`route ${cidr} in ${routeTableId} already exists`);
      routes.set(key, tunnel);
      await save();
    },
  };
}
