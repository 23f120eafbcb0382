import { type CloudWatchClient, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  type EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { alarmName, alarmTopicName, SLACK_SECRET_NAME, STATE_TABLE_NAME } from '../../../infra/lib/naming.js';
import { AwsClients } from '../../../src/aws/clients.js';
import { createStoreTable } from '../../../src/aws/dynamo-table.js';
import { type Site, siteSchema, type Topology } from '../../../src/config/topology-schema.js';
import { METRIC_NAMESPACE } from '../../../src/ports/metrics.js';
import { MOTO_CREDENTIALS, MOTO_REGION } from './moto-server.js';

/** Raw SDK clients on moto for building the world (the code under test gets its clients from AwsClients). */
export function motoClients(endpoint: string) {
  // moto loads each service's backend on its first call, which can take seconds on a busy machine.
  const factory = new AwsClients({
    endpoint,
    credentials: MOTO_CREDENTIALS,
    maxAttempts: 1,
    requestTimeoutMs: 20_000,
  });
  const config = factory.config(MOTO_REGION);
  const sns = new SNSClient(config);
  return {
    factory,
    ec2: factory.ec2(MOTO_REGION) as EC2Client,
    ecs: factory.ecs(MOTO_REGION) as ECSClient,
    cloudwatch: factory.cloudwatch(MOTO_REGION) as CloudWatchClient,
    dynamodb: factory.dynamodb(MOTO_REGION) as DynamoDBClient,
    sqs: factory.sqs(MOTO_REGION) as SQSClient,
    sns,
    secrets: factory.secretsManager(MOTO_REGION),
    destroy() {
      factory.destroy();
      sns.destroy();
    },
  };
}
export type MotoClients = ReturnType<typeof motoClients>;

export interface SiteSpec {
  name: string;
  onPremCidrs: string[];
  /** The VPC's CIDR; each site of a world gets its own VPC. */
  vpcCidr: string;
  mode?: 'auto' | 'propose' | 'manual';
  approvers?: string[];
  slackChannel?: string;
}

export interface TunnelWorld {
  name: string;
  instanceId: string;
  /** The instance's ENI at device index 0: what ReplaceRoute targets. */
  eniId: string;
  subnetId: string;
  availabilityZone: string;
}

export interface SiteWorld {
  site: Site;
  vpcId: string;
  routeTableIds: string[];
  tunnels: [TunnelWorld, TunnelWorld];
  topicArn: string;
}

export interface World {
  topology: Topology;
  sites: SiteWorld[];
  tableName: string;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  slackSecretArn: string;
}

const TUNNEL_TAG_KEY = 'tunnelops:tunnel';
const AZS = ['us-east-1a', 'us-east-1b'] as const;

/** The Shared stack: state table, alarm queue with its dead-letter queue, Slack secret. */
async function buildShared(c: MotoClients, slackBotToken: string) {
  await createStoreTable(c.dynamodb, STATE_TABLE_NAME);
  const dlq = await c.sqs.send(new CreateQueueCommand({ QueueName: 'tunnelops-alarms-dlq' }));
  const dlqArn = (
    await c.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes?.QueueArn;
  const queue = await c.sqs.send(
    new CreateQueueCommand({
      QueueName: 'tunnelops-alarms',
      Attributes: {
        VisibilityTimeout: '60',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }),
      },
    }),
  );
  const queueArn = (
    await c.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }),
    )
  ).Attributes?.QueueArn;
  const secret = await c.secrets.send(
    new CreateSecretCommand({
      Name: SLACK_SECRET_NAME,
      SecretString: JSON.stringify({ botToken: slackBotToken, signingSecret: 'unused-in-these-tests' }),
    }),
  );
  return {
    queueUrl: queue.QueueUrl!,
    queueArn: queueArn!,
    dlqUrl: dlq.QueueUrl!,
    slackSecretArn: secret.ARN!,
  };
}

/**
 * One site as infra/ leaves it: a VPC with a subnet per AZ, a server instance per tunnel in its own AZ
 * (tagged `tunnelops:tunnel=<site>-<tunnel>`, as the ASG tags it), a private route table per AZ with every
 * on-prem CIDR routed to the primary's instance (PrimaryRoutes), the ECS cluster with one service per tunnel
 * (SiteStack/ServerTask), the site's alarm topic subscribed to the shared queue, and the TunnelUp/loss alarms.
 */
async function buildSite(
  c: MotoClients,
  spec: SiteSpec,
  queueArn: string,
  imageId: string,
): Promise<SiteWorld> {
  const vpc = await c.ec2.send(new CreateVpcCommand({ CidrBlock: spec.vpcCidr }));
  const vpcId = vpc.Vpc!.VpcId!;
  const [a, b] = spec.vpcCidr.split('.');
  const tunnels: TunnelWorld[] = [];
  const routeTableIds: string[] = [];
  const cluster = `tunnelops-${spec.name}`;
  await c.ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const taskDef = await c.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `tunnelops-${spec.name}-openvpn`,
      networkMode: 'host',
      containerDefinitions: [{ name: 'openvpn', image: 'tunnelops/openvpn-server:test', memory: 256 }],
    }),
  );
  // The two tunnels are independent: build them side by side (moto is slow on a busy machine).
  const built = await Promise.all(
    (['primary', 'secondary'] as const).map(async (tunnel, i) => {
      const availabilityZone = AZS[i]!;
      const subnet = await c.ec2.send(
        new CreateSubnetCommand({
          VpcId: vpcId,
          CidrBlock: `${a}.${b}.${i * 16}.0/20`,
          AvailabilityZone: availabilityZone,
        }),
      );
      const subnetId = subnet.Subnet!.SubnetId!;
      const run = await c.ec2.send(
        new RunInstancesCommand({
          ImageId: imageId,
          InstanceType: 't3.small',
          MinCount: 1,
          MaxCount: 1,
          SubnetId: subnetId,
          TagSpecifications: [
            {
              ResourceType: 'instance',
              Tags: [
                { Key: TUNNEL_TAG_KEY, Value: `${spec.name}-${tunnel}` },
                { Key: 'Name', Value: `tunnelops-${spec.name}-${tunnel}` },
              ],
            },
          ],
        }),
      );
      const instance = run.Instances![0]!;
      const eni = instance.NetworkInterfaces?.find((n) => n.Attachment?.DeviceIndex === 0);
      if (!eni?.NetworkInterfaceId) throw new Error(`moto gave ${instance.InstanceId} no primary ENI`);
      await c.ecs.send(
        new CreateServiceCommand({
          cluster,
          serviceName: `${spec.name}-${tunnel}`,
          taskDefinition: taskDef.taskDefinition!.taskDefinitionArn!,
          desiredCount: 1,
          launchType: 'EC2',
        }),
      );
      // One private route table per AZ, as an imported VPC's private subnets usually have.
      const table = await c.ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
      const world: TunnelWorld = {
        name: tunnel,
        instanceId: instance.InstanceId!,
        eniId: eni.NetworkInterfaceId,
        subnetId,
        availabilityZone,
      };
      return { world, routeTableId: table.RouteTable!.RouteTableId! };
    }),
  );
  for (const b of built) {
    tunnels.push(b.world);
    routeTableIds.push(b.routeTableId);
  }
  const [primary, secondary] = tunnels as [TunnelWorld, TunnelWorld];
  await Promise.all(
    routeTableIds.flatMap((RouteTableId) =>
      spec.onPremCidrs.map((cidr) =>
        c.ec2.send(
          new CreateRouteCommand({
            RouteTableId,
            DestinationCidrBlock: cidr,
            InstanceId: primary.instanceId,
          }),
        ),
      ),
    ),
  );
  const topic = await c.sns.send(new CreateTopicCommand({ Name: alarmTopicName(spec.name) }));
  const topicArn = topic.TopicArn!;
  await c.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));
  await Promise.all(
    tunnels.map(async (t) => {
      const dims = [
        { Name: 'Site', Value: spec.name },
        { Name: 'Tunnel', Value: t.name },
      ];
      await c.cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: alarmName(spec.name, t.name, 'down'),
          Namespace: METRIC_NAMESPACE,
          MetricName: 'TunnelUp',
          Dimensions: dims,
          Statistic: 'Minimum',
          Period: 10,
          EvaluationPeriods: 2,
          DatapointsToAlarm: 2,
          Threshold: 1,
          ComparisonOperator: 'LessThanThreshold',
          TreatMissingData: 'breaching',
          AlarmActions: [topicArn],
          OKActions: [topicArn],
        }),
      );
      await c.cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName: alarmName(spec.name, t.name, 'loss'),
          Namespace: METRIC_NAMESPACE,
          MetricName: 'ProbeLossPct',
          Dimensions: dims,
          Statistic: 'Average',
          Period: 10,
          EvaluationPeriods: 3,
          DatapointsToAlarm: 3,
          Threshold: 20,
          ComparisonOperator: 'GreaterThanThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [topicArn],
          OKActions: [topicArn],
        }),
      );
    }),
  );
  const site = siteSchema.parse({
    name: spec.name,
    region: MOTO_REGION,
    onPremCidrs: spec.onPremCidrs,
    routeTableIds,
    probeTargets: [{ kind: 'icmp', host: '10.250.0.10' }],
    tunnels: tunnels.map((t) => ({
      name: t.name,
      ecs: { cluster, service: `${spec.name}-${t.name}` },
      instance: { tag: { key: TUNNEL_TAG_KEY, value: `${spec.name}-${t.name}` } },
      availabilityZone: t.availabilityZone,
    })),
    // A cold-started controller process on a loaded machine can take over 10 s (the default staleness) between
    // the test's fresh heartbeats and its decision; these tests are about scope and routes, not staleness.
    failover: { mode: spec.mode ?? 'propose', cooldownSeconds: 0, heartbeatStaleSeconds: 60 },
    approvers: { users: spec.approvers ?? ['UAPPROVER1', 'UAPPROVER2'] },
    slackChannel: spec.slackChannel ?? 'C0MOTO0001',
  });
  return { site, vpcId, routeTableIds, tunnels: [primary, secondary], topicArn };
}

export const DEFAULT_SITE: SiteSpec = {
  name: 'dc1',
  onPremCidrs: ['10.20.0.0/16', '10.21.0.0/16'],
  vpcCidr: '10.0.0.0/16',
};

/** Builds the Shared stack and every site in moto and returns the topology that describes them. */
export async function buildWorld(
  c: MotoClients,
  opts: { sites?: SiteSpec[]; slackBotToken?: string } = {},
): Promise<World> {
  const [shared, images] = await Promise.all([
    buildShared(c, opts.slackBotToken ?? 'xoxb-moto-test-token'),
    // moto ships a fixed catalogue of AMIs; any one will do for an instance that never boots.
    c.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5 })),
  ]);
  const imageId = images.Images?.[0]?.ImageId;
  if (!imageId) throw new Error('moto lists no AMI to launch instances from');
  const sites = await Promise.all(
    (opts.sites ?? [DEFAULT_SITE]).map((spec) => buildSite(c, spec, shared.queueArn, imageId)),
  );
  return { ...shared, tableName: STATE_TABLE_NAME, sites, topology: { sites: sites.map((s) => s.site) } };
}
