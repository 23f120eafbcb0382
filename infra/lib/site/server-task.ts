import { Duration, Stack } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Site } from '../../../src/config/topology-schema.js';
import { HEALTH_EVENT_SOURCE } from '../../../src/monitor/eventbridge-reporter.js';
import { SERVER_STOP_BUDGET, serverStopTimeoutSeconds } from '../../../src/monitor/stop-budget.js';
import { METRIC_NAMESPACE } from '../../../src/ports/metrics.js';
import { acknowledge } from '../common/nag.js';
import { ec2BudgetStatement, routeSwitchStatement, siteStateStatement } from '../common/operator-policy.js';
import type { PlacedTunnel } from '../config/resolve-site.js';
import { HOST_PKI_DIR, SERVER_REPOSITORY, STATE_TABLE_NAME, TUNNEL_ATTRIBUTE } from '../naming.js';
import { serverTopologyText } from './server-topology.js';

/** images/openvpn-server/entrypoint.sh's RUN_DIR; the topology is written there at container start. */
const RUN_DIR = '/run/tunnelops';
const TOPOLOGY_PATH = `${RUN_DIR}/tunnels.yml`;

export interface ServerTaskProps {
  vpc: ec2.IVpc;
  site: Site;
  placed: PlacedTunnel;
  vpcCidr: string;
  imageTag: string;
  logRetention: logs.RetentionDays;
  /** The other tunnel's interface address (MONITOR_PEER_HOST); without it host death waits for the backstop. */
  peerHost?: string | undefined;
  /**
   * This tunnel's interface address (MONITOR_SELF_HOST): the monitor's liveness listener (TCP 7406, allowed from
   * the VPC by both security groups) is reached there, so the peer breaks a dead fast path's lease at once.
   */
  selfHost?: string | undefined;
}

/**
 * The OpenVPN server task of one tunnel, with the tunnel monitor running beside openvpn in the same
 * container (images/openvpn-server/entrypoint.sh starts both, and derives the monitor's site and tunnel). Host networking so the tunnel device and
 * routes are the instance's; NET_ADMIN and /dev/net/tun instead of privileged mode.
 */
export class ServerTask extends Construct {
  readonly service: ecs.Ec2Service;

  constructor(scope: Construct, id: string, p: ServerTaskProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { tunnel } = p.placed;
    const task = new ecs.Ec2TaskDefinition(this, 'Task', {
      networkMode: ecs.NetworkMode.HOST,
      volumes: [{ name: 'pki', host: { sourcePath: HOST_PKI_DIR } }],
    });
    // The monitor: high-resolution metrics, health-changed events and heartbeats in the state table.
    task.addToTaskRolePolicy(
      new iam.PolicyStatement({
        sid: 'PublishTunnelMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': METRIC_NAMESPACE } },
      }),
    );
    task.addToTaskRolePolicy(
      new iam.PolicyStatement({
        sid: 'PublishHealthEvents',
        actions: ['events:PutEvents'],
        resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
        conditions: { StringEquals: { 'events:source': HEALTH_EVENT_SOURCE } },
      }),
    );
    // Its own site's heartbeats, lease, notices, outbox and audit only; no Slack token: its reports go into the
    // site's outbox, which the bot posts (src/services/failover/report-outbox.ts).
    task.addToTaskRolePolicy(siteStateStatement(this, p.site.name));
    // Its fast path paces its EC2 calls through the account's shared budget (its records only).
    task.addToTaskRolePolicy(ec2BudgetStatement(this));
    // The monitor's fast path (issue 12) moves or repairs this site's routes itself, without the Lambda hop.
    task.addToTaskRolePolicy(routeSwitchStatement(this, [p.site]));
    task.addToTaskRolePolicy(
      new iam.PolicyStatement({
        sid: 'DescribeRoutes',
        actions: [
          'ec2:DescribeRouteTables',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeManagedPrefixLists',
        ],
        resources: ['*'],
      }),
    );

    const linuxParameters = new ecs.LinuxParameters(this, 'Linux');
    linuxParameters.addCapabilities(ecs.Capability.NET_ADMIN);
    linuxParameters.addDevices({ hostPath: '/dev/net/tun', containerPath: '/dev/net/tun' });
    const container = task.addContainer('openvpn', {
      image: ecs.ContainerImage.fromEcrRepository(
        ecr.Repository.fromRepositoryName(this, 'Repository', SERVER_REPOSITORY),
        p.imageTag,
      ),
      memoryReservationMiB: 256,
      privileged: false,
      linuxParameters,
      // The image's entrypoint under tini, after writing this site's topology where the entrypoint reads it.
      entryPoint: ['/usr/bin/tini', '--', '/bin/sh', '-c'],
      command: [
        `mkdir -p ${RUN_DIR} && printf '%s' "$TUNNELOPS_TOPOLOGY_TEXT" > ${TOPOLOGY_PATH} && exec /usr/local/bin/entrypoint.sh`,
      ],
      environment: {
        TUNNELOPS_TOPOLOGY_TEXT: serverTopologyText(p.site),
        TUNNELOPS_TOPOLOGY: TOPOLOGY_PATH,
        TUNNELOPS_SITE: p.site.name,
        TUNNELOPS_TUNNEL: tunnel.name,
        PKI_DIR: HOST_PKI_DIR,
        VPC_CIDRS: p.vpcCidr,
        TUNNELOPS_STORE: `dynamodb:${STATE_TABLE_NAME}`,
        AWS_REGION: stack.region,
        ...(p.peerHost ? { MONITOR_PEER_HOST: p.peerHost } : {}),
        ...(p.selfHost ? { MONITOR_SELF_HOST: p.selfHost } : {}),
        // The stop phases; stopTimeout below is their sum, so ECS never kills a goodbye half-way.
        MONITOR_STOP_SECONDS: String(SERVER_STOP_BUDGET.monitorSeconds),
        OPENVPN_STOP_SECONDS: String(SERVER_STOP_BUDGET.openvpnSeconds),
      },
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: `${p.site.name}-${tunnel.name}`,
        logGroup: new logs.LogGroup(this, 'Logs', { retention: p.logRetention }),
      }),
      // The image's check: openvpn alive and its tun device up; ECS replaces a task that fails it.
      healthCheck: {
        command: ['CMD', '/usr/local/bin/healthcheck.sh'],
        interval: Duration.seconds(10),
        timeout: Duration.seconds(3),
        retries: 2,
        startPeriod: Duration.seconds(20),
      },
      stopTimeout: Duration.seconds(serverStopTimeoutSeconds()),
    });
    container.addMountPoints({ sourceVolume: 'pki', containerPath: HOST_PKI_DIR, readOnly: true });

    const cluster = ecs.Cluster.fromClusterAttributes(this, 'Cluster', {
      clusterName: tunnel.ecs.cluster,
      vpc: p.vpc,
      securityGroups: [],
    });
    this.service = new ecs.Ec2Service(this, 'Service', {
      cluster,
      serviceName: tunnel.ecs.service,
      taskDefinition: task,
      desiredCount: 1,
      // One task per host port 1194: a deploy stops the old task before starting the new one.
      minHealthyPercent: 0,
      maxHealthyPercent: 100,
      placementConstraints: [
        ecs.PlacementConstraint.memberOf(`attribute:${TUNNEL_ATTRIBUTE} == ${p.site.name}-${tunnel.name}`),
      ],
      circuitBreaker: { enable: true, rollback: true },
    });

    acknowledge(task, [
      {
        id: 'AwsSolutions-ECS2',
        reason:
          'The environment holds only names, paths and the site topology (CIDRs, probe targets; no Slack fields); the PKI comes from the host volume, never from the environment.',
      },
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "cloudwatch:PutMetricData has no resource-level permissions and is limited to the TunnelOps namespace by condition; ec2:DescribeRouteTables/DescribeNetworkInterfaces and ECR GetAuthorizationToken (execution role) have none either; route changes are limited to this site's route tables.",
        appliesTo: ['Resource::*'],
      },
    ]);
  }
}
