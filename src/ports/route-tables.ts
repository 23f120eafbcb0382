import type { Site } from '../config/topology-schema.js';
import { TunnelOpsError } from '../domain/errors.js';
import type { RouteObservation } from '../domain/observations.js';
import type { Outcome } from '../domain/outcome.js';

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
 * With a `signal`, a call that has not gone out when it aborts is not made, and one in flight is not retried
 * (the run's lease is about to end: see LeaseKeeper.callSignal).
 */
export interface RouteTables {
  /** Every route (route table x on-prem CIDR) of every given site, batched per region. Keyed by site name. */
  observe(sites: readonly Site[]): Promise<Map<string, Outcome<RouteObservation[]>>>;
  /**
   * Atomically points one existing route at a tunnel (ReplaceRoute; never delete + create).
   * Throws RouteMissingError when the table has no route for the CIDR.
   */
  replace(
    site: Site,
    routeTableId: string,
    cidr: string,
    tunnel: string,
    signal?: AbortSignal,
  ): Promise<void>;
  /**
   * Adds the route a table is missing, pointing at a tunnel (CreateRoute).
   * Throws RouteExistsError when the table already has a route for the CIDR (use replace()).
   */
  create(site: Site, routeTableId: string, cidr: string, tunnel: string, signal?: AbortSignal): Promise<void>;
}
