import { Duration, Tags } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeNoSubnetRouteTable } from '../common/nag.js';
import type { PlacedTunnel } from '../config/resolve-site.js';

export interface TunnelServerProps {
  vpc: ec2.IVpc;
  placed: PlacedTunnel;
  vpcCidr: string;
  role: iam.IRole;
  userData: ec2.UserData;
  instanceType?: ec2.InstanceType;
}

/**
 * One OpenVPN server host: an auto-scaling group of exactly one instance in this tunnel's own subnet (so the
 * two tunnels of a site never share an AZ), from the ECS-optimized AL2023 AMI (an SSM parameter resolved at
 * deploy time, no lookup at synth). A replaced instance signals when it has its certificate and Elastic IP.
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
      machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
      instanceType: p.instanceType ?? ec2.InstanceType.of(ec2.InstanceClass.T3, ec2.InstanceSize.SMALL),
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
          volume: ec2.BlockDeviceVolume.ebs(30, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
        },
      ],
    });
    const subnet = ec2.Subnet.fromSubnetAttributes(this, 'Subnet', {
      subnetId: placed.publicSubnetId,
      availabilityZone: placed.availabilityZone,
    });
    acknowledgeNoSubnetRouteTable(subnet);
    this.asg = new autoscaling.AutoScalingGroup(this, 'Asg', {
      vpc: p.vpc,
      vpcSubnets: { subnets: [subnet] },
      launchTemplate,
      minCapacity: 1,
      maxCapacity: 1,
      // Deploys wait until the new instance has its certificate and address; one instance, so none stays up.
      signals: autoscaling.Signals.waitForAll({ timeout: Duration.minutes(15) }),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        minInstancesInService: 0,
        waitOnResourceSignals: true,
      }),
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(5) }),
    });
    p.userData.addSignalOnExitCommand(this.asg);
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
