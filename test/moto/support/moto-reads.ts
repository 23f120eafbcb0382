import { DescribeRouteTablesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { SiteWorld } from './site-world.js';

/** Every on-prem route of a site as moto holds it: "<rtb> <cidr>" -> the ENI or instance it targets. */
export async function siteRoutes(ec2: EC2Client, site: SiteWorld): Promise<Record<string, string | null>> {
  const out = await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: site.routeTableIds }));
  const routes: Record<string, string | null> = {};
  for (const table of out.RouteTables ?? []) {
    for (const r of table.Routes ?? []) {
      if (!r.DestinationCidrBlock || !site.site.onPremCidrs.includes(r.DestinationCidrBlock)) continue;
      routes[`${table.RouteTableId} ${r.DestinationCidrBlock}`] =
        r.NetworkInterfaceId ?? r.InstanceId ?? null;
    }
  }
  return routes;
}

/** What siteRoutes reads when every on-prem route of the site points at `target`. */
export function allRoutesTo(site: SiteWorld, target: string): Record<string, string> {
  const expected: Record<string, string> = {};
  for (const rtb of site.routeTableIds)
    for (const cidr of site.site.onPremCidrs) expected[`${rtb} ${cidr}`] = target;
  return expected;
}
