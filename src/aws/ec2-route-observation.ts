import type { Route, RouteTable } from '@aws-sdk/client-ec2';
import type { Site } from '../config/topology-schema.js';
import type { RouteObservation } from '../domain/observations.js';
import { type Outcome, ok, unknown } from '../domain/outcome.js';
import { isPrefixListRoute, routeDestinations } from '../domain/route-plan.js';
import { tunnelKey } from '../domain/topology.js';
import type { Resolution } from './tunnel-instance-resolver.js';

/** What a route sends traffic to, for the operator (the first target field AWS filled in). */
const targetOf = (r: Route): string | null =>
  r.InstanceId ??
  r.NetworkInterfaceId ??
  r.TransitGatewayId ??
  r.GatewayId ??
  r.NatGatewayId ??
  r.VpcPeeringConnectionId ??
  r.LocalGatewayId ??
  r.CarrierGatewayId ??
  r.CoreNetworkArn ??
  r.EgressOnlyInternetGatewayId ??
  null;

/**
 * One site's routes as DescribeRouteTables shows them: for each of its tables and destinations (a CIDR, or its
 * prefix list), the tunnel the route points at (by the tunnels' instances and ENIs), or that it is missing.
 */
export function observeSiteRoutes(
  site: Site,
  tables: Map<string, RouteTable>,
  resolution: Resolution,
  prefixListId: string | undefined,
): Outcome<RouteObservation[]> {
  // target id (instance or ENI) -> tunnel name
  const targets = new Map<string, string>();
  for (const t of site.tunnels) {
    if ('instanceId' in t.instance) targets.set(t.instance.instanceId, t.name);
    const found = resolution.get(tunnelKey(site.name, t.name));
    if (!found) continue;
    if (!found.ok) return unknown(`cannot tell which tunnel a route points at: ${found.reason}`);
    if (!found.value) continue;
    targets.set(found.value.instanceId, t.name);
    for (const eni of found.value.eniIds) targets.set(eni, t.name);
  }
  const observations: RouteObservation[] = [];
  for (const routeTableId of site.routeTableIds) {
    const routes = tables.get(routeTableId)?.Routes ?? [];
    for (const cidr of routeDestinations(site)) {
      const route = isPrefixListRoute(site, cidr)
        ? routes.find((r) => r.DestinationPrefixListId === prefixListId)
        : routes.find((r) => r.DestinationCidrBlock === cidr);
      if (!route) {
        observations.push({
          routeTableId,
          cidr,
          tunnel: null,
          target: null,
          blackhole: false,
          missing: true,
        });
        continue;
      }
      const tunnel =
        (route.NetworkInterfaceId && targets.get(route.NetworkInterfaceId)) ||
        (route.InstanceId && targets.get(route.InstanceId)) ||
        null;
      observations.push({
        routeTableId,
        cidr,
        tunnel,
        target: targetOf(route),
        blackhole: route.State === 'blackhole',
        missing: false,
      });
    }
  }
  return ok(observations);
}
