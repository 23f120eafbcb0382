import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { InfraContext } from '../config/infra-context.js';
import { acknowledgeNoSubnetRouteTable } from './nag.js';

/** The existing VPC, from context attributes: no lookup, so `cdk synth` needs no AWS access. */
export function importVpc(scope: Construct, ctx: InfraContext): ec2.IVpc {
  const vpc = ec2.Vpc.fromVpcAttributes(scope, 'Vpc', {
    vpcId: ctx.vpcId,
    vpcCidrBlock: ctx.vpcCidr,
    availabilityZones: ctx.availabilityZones,
    publicSubnetIds: ctx.publicSubnetIds,
    privateSubnetIds: ctx.privateSubnetIds,
  });
  acknowledgeNoSubnetRouteTable(vpc);
  return vpc;
}
