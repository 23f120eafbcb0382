import type { Site } from '../config/topology-schema.js';
import type { RouteObservation } from '../domain/observations.js';
import type { Outcome } from '../domain/outcome.js';

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
