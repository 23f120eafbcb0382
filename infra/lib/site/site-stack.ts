import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import { importVpc } from '../common/import-vpc.js';
import type { InfraContext } from '../config/infra-context.js';
import type { PlacedSite } from '../config/resolve-site.js';
import { CertBucket } from './cert-bucket.js';

export interface SiteStackProps extends StackProps {
  ctx: InfraContext;
  placed: PlacedSite;
}

/**
 * What a site's two tunnel stacks share and what outlives them: the ECS cluster(s) named in the topology, the
 * certificate bucket, each tunnel's Elastic IP and each tunnel's network interface. The routes target the
 * interface, not an instance: a replaced instance attaches its tunnel's interface at boot and the routes carry
 * traffic again, with no route to an old instance id left behind. Tunnel stacks find the cluster by name, so
 * either tunnel deploys on its own. Stateful: created with termination protection.
 */
export class SiteStack extends Stack {
  readonly certs: CertBucket;
  /** Elastic IP allocation per tunnel name: the address the on-prem client dials; it outlives instances. */
  readonly eipAllocations = new Map<string, string>();
  /** Network interface id per tunnel name: the routes' target, attached by whichever instance runs the tunnel. */
  readonly tunnelEnis = new Map<string, string>();
  /** Each tunnel interface's private address: the other tunnel's monitor probes it to tell a dead host. */
  readonly tunnelEniIps = new Map<string, string>();

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
    const vpc = importVpc(this, props.ctx);
    const eniSecurityGroup = new ec2.SecurityGroup(this, 'TunnelEniSecurityGroup', {
      vpc,
      description: `tunnelops ${props.placed.site.name}: VPC traffic routed to on-prem through a tunnel interface`,
      allowAllOutbound: true,
    });
    eniSecurityGroup.addIngressRule(
      ec2.Peer.ipv4(props.ctx.vpcCidr),
      ec2.Port.allTraffic(),
      'VPC traffic routed to on-prem',
    );
    for (const t of props.placed.tunnels) {
      const eni = new ec2.CfnNetworkInterface(this, `TunnelEni-${t.tunnel.name}`, {
        subnetId: t.publicSubnetId,
        groupSet: [eniSecurityGroup.securityGroupId],
        // It forwards traffic addressed to on-prem hosts, not to itself.
        sourceDestCheck: false,
        description: `tunnelops ${props.placed.site.name}/${t.tunnel.name}: route target, attached by the tunnel's instance at boot`,
        // The instance role may attach only an interface carrying its tunnel's tag.
        tags: [
          { key: t.instanceTag.key, value: t.instanceTag.value },
          { key: 'Name', value: `tunnelops-${props.placed.site.name}-${t.tunnel.name}` },
        ],
      });
      this.tunnelEnis.set(t.tunnel.name, eni.ref);
      this.tunnelEniIps.set(t.tunnel.name, eni.attrPrimaryPrivateIpAddress);
    }
    this.certs = new CertBucket(this, 'Certs');
    new CfnOutput(this, 'CertBucketName', {
      value: this.certs.bucket.bucketName,
      description: "upload each server's ca.crt, server.crt, server.key, tls-crypt.key to <site>/<tunnel>/",
    });
  }
}
