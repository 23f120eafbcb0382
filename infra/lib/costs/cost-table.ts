import { DEFAULT_BOT_REPLICAS } from '../config/infra-context.js';
import { HOURS_PER_MONTH as H, PRICES as P, SECONDS_PER_MONTH } from './prices.js';

/** One line of the cost table: what costs, which template resource types it comes from, how it is counted. */
export interface CostLine {
  what: string;
  types: string[];
  /** How the figure is reached, in words a reviewer can recompute. */
  basis: string;
  monthly: number;
}

export interface CostAssumptions {
  instanceType: string;
  volumeGiB: number;
  probeIntervalSeconds: number;
  flushSeconds: number;
  /** CloudWatch Logs per site per month (openvpn at verb 3, monitors, boot logs, the controller); an estimate. */
  siteLogsGB: number;
}

export const DEFAULTS: CostAssumptions = {
  instanceType: 't3.small',
  volumeGiB: 30,
  probeIntervalSeconds: 1,
  flushSeconds: 10,
  siteLogsGB: 0.2,
};

const SERVERS = 2;

/** A line that is a count of one priced thing (n secrets, n keys, n alarms). */
const counted = (what: string, type: string, n: number, price: number): CostLine => ({
  what,
  types: [type],
  basis: `${n} x $${price}`,
  monthly: n * price,
});

/** What one site adds (two tunnels: two servers, two monitors, its control stack). */
export function siteLines(a: CostAssumptions = DEFAULTS): CostLine[] {
  const hourly = P.instanceHour[a.instanceType];
  if (hourly === undefined) throw new Error(`no price for ${a.instanceType} in infra/lib/costs/prices.ts`);
  const rounds = SECONDS_PER_MONTH / a.probeIntervalSeconds;
  const flushes = SECONDS_PER_MONTH / a.flushSeconds;
  return [
    {
      what: `Tunnel servers: 2 x ${a.instanceType} (EC2 launch type: ECS adds nothing)`,
      types: ['AWS::AutoScaling::AutoScalingGroup', 'AWS::EC2::LaunchTemplate', 'AWS::ECS::Service'],
      basis: `2 x ${H} h x $${hourly}/h`,
      monthly: SERVERS * H * hourly,
    },
    {
      what: `Root volumes: 2 x ${a.volumeGiB} GiB gp3`,
      types: ['AWS::EC2::LaunchTemplate'],
      basis: `2 x ${a.volumeGiB} GiB x $${P.gp3GiBMonth}/GiB-month`,
      monthly: SERVERS * a.volumeGiB * P.gp3GiBMonth,
    },
    {
      what: 'Public IPv4: one Elastic IP per server (it replaces the launch address)',
      types: ['AWS::EC2::EIP'],
      basis: `2 x ${H} h x $${P.publicIpv4Hour}/h`,
      monthly: SERVERS * H * P.publicIpv4Hour,
    },
    {
      what: 'EC2 detailed monitoring (1-minute instance metrics)',
      types: ['AWS::EC2::LaunchTemplate'],
      basis: `2 instances x 7 metrics x $${P.customMetricMonth}`,
      monthly: SERVERS * P.detailedMonitoringInstanceMonth,
    },
    {
      what: 'Monitor metrics: TunnelUp, ProbeLossPct, ProbeLatencyMs per tunnel (1-second resolution)',
      types: [],
      basis: `2 tunnels x 3 metrics x $${P.customMetricMonth}`,
      monthly: SERVERS * 3 * P.customMetricMonth,
    },
    {
      what: 'Certificate metric: CertDaysLeft per tunnel and role (CA, server, client at handshake, CRL), every 5 minutes',
      types: [],
      basis: `2 tunnels x 4 metrics x $${P.customMetricMonth}`,
      monthly: SERVERS * 4 * P.customMetricMonth,
    },
    {
      what: `PutMetricData: one call per monitor every ${a.flushSeconds} s (MONITOR_FLUSH_SECONDS)`,
      types: [],
      basis: `2 x ${Math.round(flushes).toLocaleString('en-US')} calls x $${P.cloudWatchRequestPer1000}/1,000`,
      monthly: (SERVERS * flushes * P.cloudWatchRequestPer1000) / 1000,
    },
    {
      what: 'Alarms: 4 high-resolution (down, loss per tunnel; 10 s) + 3 standard (controller errors, throttles, dead letters) + 16 standard (certificates: CA, server, client, CRL per tunnel at 30 and 7 days)',
      types: ['AWS::CloudWatch::Alarm'],
      basis: `4 x $${P.alarmHighResolutionMonth} + 19 x $${P.alarmStandardMonth}`,
      monthly: 4 * P.alarmHighResolutionMonth + 19 * P.alarmStandardMonth,
    },
    {
      what: 'Failover controller Lambda (arm64, 512 MB): the 1-minute reconcile plus events',
      types: ['AWS::Lambda::Function', 'AWS::Events::Rule'],
      basis: `43,200 runs x 0.2 s x 0.5 GB x $${P.lambdaArmGBSecond}/GB-s + 43,200 x $${P.lambdaRequestPerMillion}/M`,
      monthly: 43_200 * 0.2 * 0.5 * P.lambdaArmGBSecond + (43_200 * P.lambdaRequestPerMillion) / 1e6,
    },
    {
      what: "The reconcile's tick: an EventBridge Scheduler schedule (1-minute flexible window, so the fleet's reconciles spread over the minute)",
      types: ['AWS::Scheduler::Schedule'],
      basis: `43,200 invocations x $${P.schedulerInvocationPerMillion}/M (the first 14 M a month free: about 324 sites)`,
      monthly: (43_200 * P.schedulerInvocationPerMillion) / 1e6,
    },
    {
      what: `State table: each monitor writes its heartbeat and reads its peer's every round (${a.probeIntervalSeconds} s)`,
      types: ['AWS::DynamoDB::Table'],
      basis: `2 x ${Math.round(rounds).toLocaleString('en-US')} writes x $${P.dynamoWritePerMillion}/M + as many reads x $${P.dynamoReadPerMillion}/M`,
      monthly: (SERVERS * rounds * (P.dynamoWritePerMillion + P.dynamoReadPerMillion)) / 1e6,
    },
    counted(
      'KMS keys: the certificate bucket, the alarm topic, the dead-letter queue',
      'AWS::KMS::Key',
      3,
      P.kmsKeyMonth,
    ),
    {
      what: `Logs: openvpn, monitors, boot logs, controller (about ${a.siteLogsGB} GB; an estimate)`,
      types: ['AWS::Logs::LogGroup'],
      basis: `${a.siteLogsGB} GB x $${P.logsIngestGB}/GB`,
      monthly: a.siteLogsGB * P.logsIngestGB,
    },
    {
      what: 'Certificate bucket, alarm topic and SQS dead letters (a few hundred requests)',
      types: ['AWS::S3::Bucket', 'AWS::SNS::Topic', 'AWS::SQS::Queue'],
      basis: 'under $0.01',
      monthly: 0,
    },
  ];
}

/** What the whole installation pays once, however many sites (the bot and its shared resources). */
export function sharedLines(botReplicas = DEFAULT_BOT_REPLICAS): CostLine[] {
  const fargateHour = 0.5 * P.fargateVcpuHour + 1 * P.fargateGBHour;
  return [
    {
      what: `The bot's tasks: ${botReplicas} on Fargate (one per AZ, -c botReplicas), 0.5 vCPU, 1 GB each, always on`,
      types: ['AWS::ECS::Service', 'AWS::ECS::TaskDefinition'],
      basis: `${botReplicas} x ${H} h x $${fargateHour.toFixed(5)}/h`,
      monthly: botReplicas * H * fargateHour,
    },
    {
      what: "The bot's HTTPS load balancer (1 LCU) and its two public IPv4 addresses",
      types: ['AWS::ElasticLoadBalancingV2::LoadBalancer'],
      basis: `${H} h x ($${P.albHour} + $${P.albLcuHour} + 2 x $${P.publicIpv4Hour})`,
      monthly: H * (P.albHour + P.albLcuHour + 2 * P.publicIpv4Hour),
    },
    counted('Secrets: Slack, GitHub App, API token', 'AWS::SecretsManager::Secret', 3, P.secretMonth),
    counted('KMS keys: the alarm queue, the access-log bucket', 'AWS::KMS::Key', 2, P.kmsKeyMonth),
    counted("The bot's alarms (3 standard)", 'AWS::CloudWatch::Alarm', 3, P.alarmStandardMonth),
    {
      what: 'Image repositories (about 1 GB of images kept)',
      types: ['AWS::ECR::Repository'],
      basis: `1 GB x $${P.ecrGBMonth}`,
      monthly: P.ecrGBMonth,
    },
    {
      what: "Alarm queue long-polling, the bot's logs, the access-log bucket, PITR on the small state table",
      types: [
        'AWS::SQS::Queue',
        'AWS::Logs::LogGroup',
        'AWS::S3::Bucket',
        'AWS::DynamoDB::Table',
        'AWS::SNS::Topic',
      ],
      basis: 'about $1 together',
      monthly: 1,
    },
  ];
}

/**
 * Resource types that cost nothing by themselves (their cost, if any, is counted in the line named). Every type in
 * the synthesized templates is either in a cost line or here: the test that checks it fails on a new type.
 */
export const NO_CHARGE: Readonly<Record<string, string>> = {
  'AWS::AutoScaling::LifecycleHook': 'no charge',
  'AWS::EC2::NetworkInterface': 'no charge (its address is the Elastic IP line)',
  'AWS::EC2::Route': 'no charge',
  'AWS::EC2::SecurityGroup': 'no charge',
  'AWS::EC2::SecurityGroupEgress': 'no charge',
  'AWS::EC2::SecurityGroupIngress': 'no charge',
  'AWS::ECS::Cluster': 'no charge (Container Insights: see the note below the table)',
  'AWS::ECS::TaskDefinition': 'no charge (the servers run on the instances)',
  'AWS::ElasticLoadBalancingV2::Listener': 'in the load balancer line',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'in the load balancer line',
  'AWS::IAM::InstanceProfile': 'no charge',
  'AWS::IAM::OIDCProvider': 'no charge',
  'AWS::IAM::Policy': 'no charge',
  'AWS::IAM::Role': 'no charge',
  'AWS::Lambda::EventInvokeConfig': 'no charge',
  'AWS::Lambda::Permission': 'no charge',
  'AWS::S3::BucketPolicy': 'no charge',
  'AWS::SNS::Subscription': 'no charge (deliveries to SQS are free)',
  'AWS::SNS::TopicPolicy': 'no charge',
  'AWS::SQS::QueuePolicy': 'no charge',
};

export const total = (lines: readonly CostLine[]): number => lines.reduce((sum, l) => sum + l.monthly, 0);

/** AWS Site-to-Site VPN for the same sites: one connection (two tunnels) per site. */
export function siteToSiteMonthly(sites: number): { connections: number; tgw: number } {
  const connections = sites * H * P.s2sConnectionHour;
  // A virtual private gateway takes 10 connections; more sites need a Transit Gateway attachment each.
  const tgw = sites > 10 ? sites * H * P.tgwAttachmentHour : 0;
  return { connections, tgw };
}
