import { type CfnResource, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { Site } from '../../../src/config/topology-schema.js';
import { importVpc } from '../common/import-vpc.js';
import type { InfraContext } from '../config/infra-context.js';
import type { PlacedTunnel } from '../config/resolve-site.js';
import { bootLogGroupName } from '../naming.js';
import { ServerTask } from './server-task.js';
import { serverUserData } from './server-user-data.js';
import { tunnelInstanceRole } from './tunnel-instance-role.js';
import { TunnelServer } from './tunnel-server.js';

export interface TunnelStackProps extends StackProps {
  ctx: InfraContext;
  siteName: string;
  /** The tunnel's site from the topology (its server sees this site only). */
  site: Site;
  placed: PlacedTunnel;
  bucket: s3.IBucket;
  key: kms.IKey;
  eipAllocationId: string;
  /** The tunnel's network interface in the site stack: the routes' target. */
  eniId: string;
  /** The other tunnel's interface address: the monitor's direct peer probe (peer-host death vs partition). */
  peerHost?: string;
  /** This tunnel's own interface address: where its monitor's liveness listener is reached (MONITOR_SELF_HOST). */
  selfHost?: string;
  logRetention: logs.RetentionDays;
}

/**
 * One tunnel's server: its instance (ASG of one) and its OpenVPN task. A stack per tunnel so a deploy can
 * update the standby, move traffic onto it, and only then update the other (src/domain/deploy-plan.ts);
 * other tools are kept safe by the termination hook, the readiness signal and the stack order (tunnel-server.ts).
 */
export class TunnelStack extends Stack {
  readonly server: TunnelServer;

  constructor(scope: Construct, id: string, props: TunnelStackProps) {
    super(scope, id, props);
    const { ctx, placed, siteName } = props;
    const vpc = importVpc(this, ctx);
    const clusterName = placed.tunnel.ecs.cluster;
    const serviceName = placed.tunnel.ecs.service;
    new logs.LogGroup(this, 'BootLogs', {
      logGroupName: bootLogGroupName(siteName, placed.tunnel.name),
      retention: props.logRetention,
    });
    const role = tunnelInstanceRole(this, {
      siteName,
      placed,
      bucket: props.bucket,
      key: props.key,
      eipAllocationId: props.eipAllocationId,
      eniId: props.eniId,
      clusterName,
      serviceName,
      bootLogGroupName: bootLogGroupName(siteName, placed.tunnel.name),
    });
    const userData = serverUserData({
      siteName,
      placed,
      region: ctx.region,
      clusterName,
      serviceName,
      bucketName: props.bucket.bucketName,
      eipAllocationId: props.eipAllocationId,
      eniId: props.eniId,
      onPremCidrs: props.site.onPremCidrs,
      stackName: this.stackName,
      // The ASG is created below; its logical id is only needed when the template is written.
      asgLogicalId: Lazy.string({
        produce: () => this.getLogicalId(this.server.asg.node.defaultChild as CfnResource),
      }),
    });
    this.server = new TunnelServer(this, 'Server', {
      vpc,
      siteName,
      placed,
      vpcCidr: ctx.vpcCidr,
      region: ctx.region,
      amiId: ctx.serverAmiId,
      role,
      userData,
      server: props.site.server,
    });
    const task = new ServerTask(this, 'OpenVpn', {
      vpc,
      site: props.site,
      placed,
      vpcCidr: ctx.vpcCidr,
      imageTag: ctx.serverImageTag,
      logRetention: props.logRetention,
      peerHost: props.peerHost,
      selfHost: props.selfHost,
    });
    // The service waits for a placed task; the instance must be up and registered first.
    task.service.node.addDependency(this.server.asg);
  }
}
