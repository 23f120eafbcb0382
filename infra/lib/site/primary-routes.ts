import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { onPremPrefixListName } from '../../../src/domain/route-plan.js';
import type { PlacedSite } from '../config/resolve-site.js';

/**
 * The site's routes to on-prem in every one of its route tables, created pointing at the primary tunnel's
 * network interface (site stack). After that the failover controller owns them: it moves them with
 * ec2:ReplaceRoute (atomic, never delete+create), so CloudFormation drift on these routes is expected and
 * harmless. The target is an interface that outlives every instance (each new instance attaches it at boot),
 * so no route ever names a gone instance, and nothing is looked up at deploy time: a later deploy that adds a
 * route table creates only the new routes (the existing ones keep their properties, so CloudFormation
 * leaves wherever the controller put them); if the standby is active then, the controller's reconcile brings
 * the new route into line with the others.
 *
 * routeDestination `cidrs`: one route per on-prem CIDR per table. `prefix-list`: the CIDRs in one
 * customer-managed prefix list (named for the site, which is how the controller finds its id) and one route to
 * it per table, so a failover is one ReplaceRoute per table and a CIDR change edits the list, not the routes.
 */
export class PrimaryRoutes extends Construct {
  readonly routes: ec2.CfnRoute[] = [];
  readonly prefixList: ec2.CfnPrefixList | undefined;

  constructor(scope: Construct, id: string, props: { placed: PlacedSite; primaryEniId: string }) {
    super(scope, id);
    const { site } = props.placed;
    if (site.routeDestination === 'prefix-list') {
      const list = new ec2.CfnPrefixList(this, 'OnPrem', {
        prefixListName: onPremPrefixListName(site),
        addressFamily: 'IPv4',
        // Each route to the list counts its max entries against the table's route quota (50 by default):
        // exactly the CIDRs, as many as the per-CIDR routes it replaces. A deploy that adds a CIDR raises it.
        maxEntries: site.onPremCidrs.length,
        entries: site.onPremCidrs.map((cidr) => ({ cidr, description: `on-prem of ${site.name}` })),
      });
      this.prefixList = list;
      for (const routeTableId of site.routeTableIds) {
        this.routes.push(
          new ec2.CfnRoute(this, `Route-${routeTableId}-on-prem`, {
            routeTableId,
            destinationPrefixListId: list.attrPrefixListId,
            networkInterfaceId: props.primaryEniId,
          }),
        );
      }
      return;
    }
    for (const routeTableId of site.routeTableIds) {
      for (const cidr of site.onPremCidrs) {
        this.routes.push(
          new ec2.CfnRoute(this, `Route-${routeTableId}-${cidr.replace(/[./]/g, '-')}`, {
            routeTableId,
            destinationCidrBlock: cidr,
            networkInterfaceId: props.primaryEniId,
          }),
        );
      }
    }
  }
}
