import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledge } from '../common/nag.js';
import type { PlacedSite } from '../config/resolve-site.js';

const INSTANCE_ID_PATH = 'Reservations.0.Instances.0.InstanceId';

/**
 * Routes for every on-prem CIDR in every route table of the site, pointing at the primary's instance when
 * the stack is created. After that the failover controller owns them: it moves them with ec2:ReplaceRoute
 * (atomic, never delete+create), so CloudFormation drift on these routes is expected and harmless. The
 * lookup runs on create only, so later deploys never move traffic back behind the controller's back.
 */
export class PrimaryRoutes extends Construct {
  readonly routes: ec2.CfnRoute[] = [];

  constructor(scope: Construct, id: string, props: { placed: PlacedSite; logRetention: logs.RetentionDays }) {
    super(scope, id);
    const { site, tunnels } = props.placed;
    const primary = tunnels[0];
    const lookup = new cr.AwsCustomResource(this, 'PrimaryInstance', {
      onCreate: {
        service: 'EC2',
        action: 'DescribeInstances',
        parameters: {
          Filters: [
            { Name: `tag:${primary.instanceTag.key}`, Values: [primary.instanceTag.value] },
            { Name: 'instance-state-name', Values: ['running'] },
          ],
        },
        physicalResourceId: cr.PhysicalResourceId.of(`${site.name}-${primary.tunnel.name}-at-creation`),
        outputPaths: [INSTANCE_ID_PATH],
      },
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] }),
      ]),
      installLatestAwsSdk: false,
      logGroup: new logs.LogGroup(this, 'LookupLogs', { retention: props.logRetention }),
    });
    // The custom resource's shared provider function sits at the stack root.
    const provider = Stack.of(this).node.tryFindChild(
      cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '').replace(/^/, 'AWS'),
    );
    if (provider) {
      acknowledge(provider, [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            'The AwsCustomResource provider uses AWSLambdaBasicExecutionRole only to write its own logs; its lookup permission is the inline DescribeInstances statement.',
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          ],
        },
      ]);
    }
    const instanceId = lookup.getResponseField(INSTANCE_ID_PATH);
    for (const routeTableId of site.routeTableIds) {
      for (const cidr of site.onPremCidrs) {
        this.routes.push(
          new ec2.CfnRoute(this, `Route-${routeTableId}-${cidr.replace(/[./]/g, '-')}`, {
            routeTableId,
            destinationCidrBlock: cidr,
            instanceId,
          }),
        );
      }
    }
    acknowledge(lookup, [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'ec2:DescribeInstances supports no resource-level permissions; the lookup only reads, once, at stack creation.',
        appliesTo: ['Resource::*'],
      },
    ]);
  }
}
