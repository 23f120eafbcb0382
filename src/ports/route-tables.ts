import type { Site } from '../config/topology-schema.js';
import { TunnelOpsError } from '../domain/errors.js';
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

/** replace() found no route for the CIDR in the table (EC2: "no route defined ... Use CreateRoute instead"). */
export class RouteMissingError extends TunnelOpsError {
  constructor(message: string) {
    super('not_found', message);
  }
}

/** create() found a route for the CIDR already (EC2: RouteAlreadyExists). */
export class RouteExistsError extends TunnelOpsError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/**
 * The route tables: the source of truth for which tunnel is active.
 * Adapters: EC2 (DescribeRouteTables/ReplaceRoute/CreateRoute), the sandbox (in memory), the lab (ip route in a netns).
 * replace() and create() act only on the site's own route tables and on-prem CIDRs (anything else is a
 * not_found error before any call is made), and both are idempotent when repeated with the same tunnel.
 */
export interface RouteTables {
  /** Every route (route table x on-prem CIDR) of every given site, batched per region. Keyed by site name. */
  observe(sites: readonly Site[]): Promise<Map<string, Outcome<RouteObservation[]>>>;
  /**
   * Atomically points one existing route at a tunnel (ReplaceRoute; never delete + create).
   * Throws RouteMissingError when the table has no route for the CIDR.
   */
  replace(site: Site, routeTableId: string, cidr: string, tunnel: string): Promise<void>;
  /**
   * Adds the route a table is missing, pointing at a tunnel (CreateRoute).
   * Throws RouteExistsError when the table already has a route for the CIDR (use replace()).
   */
  create(site: Site, routeTableId: string, cidr: string, tunnel: string): Promise<void>;
}
