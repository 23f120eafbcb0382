import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { PlacedSite } from '../config/resolve-site.js';

/**
 * Routes for every on-prem CIDR in every route table of the site, created pointing at the primary tunnel's
 * network interface (site stack). After that the failover controller owns them: it moves them with
 * ec2:ReplaceRoute (atomic, never delete+create), so CloudFormation drift on these routes is expected and
 * harmless. The target is an interface that outlives every instance (each new instance attaches it at boot),
 * so no route ever names a gone instance, and nothing is looked up at deploy time: a later deploy that adds a
 * CIDR or a route table creates only the new routes (the existing ones keep their properties, so CloudFormation
 * leaves wherever the controller put them); if the standby is active then, the controller's reconcile brings
 * the new route into line with the others.
 */
export class PrimaryRoutes extends Construct {
  readonly routes: ec2.CfnRoute[] = [];

  constructor(scope: Construct, id: string, props: { placed: PlacedSite; primaryEniId: string }) {
    super(scope, id);
    const { site } = props.placed;
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
