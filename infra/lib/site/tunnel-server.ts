import { Duration, Tags } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { ServerSettings } from '../../../src/config/topology-schema.js';
import { acknowledge, acknowledgeNoSubnetRouteTable } from '../common/nag.js';
import type { PlacedTunnel } from '../config/resolve-site.js';
import { asgName, TERMINATION_HOOK_NAME } from '../naming.js';

export interface TunnelServerProps {
  vpc: ec2.IVpc;
  siteName: string;
  placed: PlacedTunnel;
  vpcCidr: string;
  region: string;
  /** Context serverAmiId: pinned, so a new AMI shows in the diff as the instance replacement it is. */
  amiId: string;
  role: iam.IRole;
  userData: ec2.UserData;
  /** The site's `server` settings from the topology: instance type and root volume size. */
  server: ServerSettings;
}

/** How long a terminating instance waits for its site's controller to move traffic off it. */
export const TERMINATION_HOOK_SECONDS = 120;

/**
 * One OpenVPN server host: an auto-scaling group of exactly one instance in this tunnel's own subnet (so the
 * two tunnels of a site never share an AZ), from the pinned AMI in context (no SSM parameter resolved at
 * deploy time: an AMI change is a reviewed diff).
 *
 * Replacing the instance (a new AMI or launch template, a failed health check, scale-in, instance refresh)
 * never drops the other tunnel and moves traffic first, whatever tool runs the deploy:
 * - a termination lifecycle hook holds the old instance until the site's controller has moved the routes
 *   to the other tunnel and completed the hook (or TERMINATION_HOOK_SECONDS pass: CONTINUE, the other
 *   tunnel's fast path and the backstop still converge);
 * - the group's rolling update keeps 0 in service (one instance, one Elastic IP, one tunnel interface:
 *   two instances cannot serve one tunnel), and it waits for the new instance's signal, which the boot
 *   script sends only once the tunnel serves again (see server-user-data.ts);
 * - the secondary's stack depends on the primary's (build-app.ts), so `cdk deploy --all` (or any tool
 *   honouring stack dependencies) updates one tunnel at a time and only after the first serves again.
 */
export class TunnelServer extends Construct {
  readonly asg: autoscaling.AutoScalingGroup;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, p: TunnelServerProps) {
    super(scope, id);
    const { placed } = p;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: p.vpc,
      description: `OpenVPN ${placed.tunnel.name}: UDP 1194 from its on-prem peer only`,
      allowAllOutbound: true,
    });
    this.securityGroup.addIngressRule(
      ec2.Peer.ipv4(`${placed.onPremPublicIp}/32`),
      ec2.Port.udp(1194),
      'OpenVPN from the on-prem peer',
    );
    // The route tables send VPC traffic for on-prem CIDRs to this instance, which forwards it into the tunnel.
    this.securityGroup.addIngressRule(
      ec2.Peer.ipv4(p.vpcCidr),
      ec2.Port.allTraffic(),
      'VPC traffic routed to on-prem',
    );

    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      machineImage: ec2.MachineImage.genericLinux({ [p.region]: p.amiId }),
      instanceType: new ec2.InstanceType(p.server.instanceType),
      role: p.role,
      userData: p.userData,
      securityGroup: this.securityGroup,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      associatePublicIpAddress: true,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(p.server.volumeGiB, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
          }),
        },
      ],
    });
    const subnet = ec2.Subnet.fromSubnetAttributes(this, 'Subnet', {
      subnetId: placed.publicSubnetId,
      availabilityZone: placed.availabilityZone,
    });
    acknowledgeNoSubnetRouteTable(subnet);
    this.asg = new autoscaling.AutoScalingGroup(this, 'Asg', {
      autoScalingGroupName: asgName(p.siteName, placed.tunnel.name),
      vpc: p.vpc,
      vpcSubnets: { subnets: [subnet] },
      launchTemplate,
      minCapacity: 1,
      maxCapacity: 1,
      // Deploys wait until the new instance serves its tunnel again; one instance, so none stays up meanwhile.
      signals: autoscaling.Signals.waitForAll({ timeout: Duration.minutes(15) }),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        minInstancesInService: 0,
        waitOnResourceSignals: true,
      }),
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(5) }),
    });
    this.asg.addLifecycleHook('FailoverFirst', {
      lifecycleHookName: TERMINATION_HOOK_NAME,
      lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_TERMINATING,
      // Longer than one controller run (Lambda timeout 60 s) plus one retry; then the termination proceeds.
      heartbeatTimeout: Duration.seconds(TERMINATION_HOOK_SECONDS),
      defaultResult: autoscaling.DefaultResult.CONTINUE,
    });
    // The bot, the controller and the instance role's conditions find this instance by its tag.
    Tags.of(this.asg).add(placed.instanceTag.key, placed.instanceTag.value, {
      applyToLaunchedInstances: true,
    });

    acknowledge(this.asg, [
      {
        id: 'AwsSolutions-AS3',
        reason:
          "A group of one; instance loss shows up faster as the tunnel monitor's TunnelUp alarm and the ECS task event the failover controller reacts to than as scaling notifications.",
      },
    ]);
  }
}
