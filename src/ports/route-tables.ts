import type { Site } from '../config/topology-schema.js';
import type { Outcome } from '../domain/outcome.js';

/** One route of a site: which tunnel (if any) the route table sends an on-prem CIDR to. */
export interface RouteObservation {
  routeTableId: string;
  cidr: string;
  /** Tunnel name the route points at, or null when it is missing or points elsewhere. */
  tunnel: string | null;
  /** Raw target (instance id, ENI id or next hop) for the operator. */
  target: string | null;
  /** AWS reports "blackhole" when the target instance/ENI is gone. */
  blackhole: boolean;
  /** True when the table has no route at all for the CIDR. */
  missing: boolean;
}

/**
 * The route tables: the source of truth for which tunnel is active.
 * Adapters: EC2 (DescribeRouteTables/ReplaceRoute), the sandbox (in memory), the lab (ip route in a netns).
 */
export interface RouteTables {
  /** Every route (route table x on-prem CIDR) of every given site, batched per region. Keyed by site name. */
  observe(sites: readonly Site[]): Promise<Map<string, Outcome<RouteObservation[]>>>;
  /** Atomically points one route at a tunnel (ReplaceRoute; never delete + create). */
  replace(site: Site, routeTableId: string, cidr: string, tunnel: string): Promise<void>;
}
