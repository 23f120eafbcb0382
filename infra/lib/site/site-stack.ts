import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import type { PlacedSite } from '../config/resolve-site.js';
import { CertBucket } from './cert-bucket.js';

export interface SiteStackProps extends StackProps {
  placed: PlacedSite;
}

/**
 * What a site's two tunnel stacks share and what outlives them: the ECS cluster(s) named in the topology and
 * the certificate bucket. Tunnel stacks find the cluster by name, so either tunnel deploys on its own.
 */
export class SiteStack extends Stack {
  readonly certs: CertBucket;
  /** Elastic IP allocation per tunnel name: the address the on-prem client dials; it outlives instances. */
  readonly eipAllocations = new Map<string, string>();

  constructor(scope: Construct, id: string, props: SiteStackProps) {
    super(scope, id, props);
    for (const clusterName of props.placed.clusterNames) {
      // L1: the L2 cluster wants a VPC and capacity providers; instances join by ECS_CLUSTER in user data.
      new ecs.CfnCluster(this, `Cluster-${clusterName}`, {
        clusterName,
        clusterSettings: [{ name: 'containerInsights', value: 'enhanced' }],
      });
    }
    for (const t of props.placed.tunnels) {
      const eip = new ec2.CfnEIP(this, `Eip-${t.tunnel.name}`, {
        domain: 'vpc',
        // The instance role may associate only an address carrying its tunnel's tag.
        tags: [
          { key: t.instanceTag.key, value: t.instanceTag.value },
          { key: 'Name', value: `tunnelops-${props.placed.site.name}-${t.tunnel.name}` },
        ],
      });
      eip.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.eipAllocations.set(t.tunnel.name, eip.attrAllocationId);
      new CfnOutput(this, `PublicIp-${t.tunnel.name}`, {
        value: eip.attrPublicIp,
        description: `${t.tunnel.name}: the on-prem OpenVPN client connects here`,
      });
    }
    this.certs = new CertBucket(this, 'Certs');
    new CfnOutput(this, 'CertBucketName', {
      value: this.certs.bucket.bucketName,
      description: "upload each server's ca.crt, server.crt, server.key, tls-crypt.key to <site>/<tunnel>/",
    });
  }
}
