import { type CfnResource, Duration } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Topology } from '../../../src/config/topology-schema.js';
import { accessLogBucket } from '../common/access-log-bucket.js';
import { REDUNDANT_DEPENDS_ON, suppressCfnLint } from '../common/cfn-lint.js';
import { acknowledge } from '../common/nag.js';
import {
  observeStatements,
  observeWildcardFindings,
  redeployStatement,
  routeSwitchStatement,
  stateTableStatement,
} from '../common/operator-policy.js';
import type { InfraContext } from '../config/infra-context.js';
import { botEnvironment, botSecrets } from '../config/typed-env.js';
import { BOT_REPOSITORY, STATE_TABLE_NAME } from '../naming.js';
import type { AppSecrets } from './app-secrets.js';

export interface BotServiceProps {
  ctx: InfraContext;
  topology: Topology;
  vpc: ec2.IVpc;
  secrets: AppSecrets;
  alarmQueue: sqs.IQueue;
  alarmTopicArns: string[];
  logRetention: logs.RetentionDays;
  /** The topology file's text. */
  topologyText: string;
}

const PORT = 3000;
const TOPOLOGY_PATH = '/tmp/tunnelops/tunnels.yml';

/**
 * The bot (Slack + GitHub + /sns + /api) as Fargate tasks in two or more AZs behind an HTTPS ALB. Fargate rather than
 * Lambda: Slack needs an ack within 3 s while failovers and redeploys keep working for minutes, Bolt's
 * AwsLambdaReceiver answers only after the listener finishes (Bolt JS has no lazy listeners), and the
 * SQS alarm consumer long-polls; a long-running process does all three without a second queue hop.
 */
export class BotService extends Construct {
  readonly service: ecs.FargateService;
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly targetGroup: elbv2.ApplicationTargetGroup;

  constructor(scope: Construct, id: string, props: BotServiceProps) {
    super(scope, id);
    const { ctx, topology, vpc, secrets } = props;
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    const task = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: 512,
      memoryLimitMiB: 1024,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    for (const s of [
      routeSwitchStatement(this, topology.sites),
      ...observeStatements(this, topology.sites),
      redeployStatement(this, topology.sites),
      stateTableStatement(this),
    ]) {
      task.addToTaskRolePolicy(s);
    }
    props.alarmQueue.grantConsumeMessages(task.taskRole);

    const environment = botEnvironment({
      PORT: String(PORT),
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      AWS_REGION: ctx.region,
      TUNNELOPS_TOPOLOGY: TOPOLOGY_PATH,
      TUNNELOPS_DATA_DIR: '/tmp/tunnelops',
      TUNNELOPS_STORE: `dynamodb:${STATE_TABLE_NAME}`,
      TUNNELOPS_SNS_TOPIC_ARNS: props.alarmTopicArns.join(','),
      TUNNELOPS_ALARM_QUEUE_URL: props.alarmQueue.queueUrl,
      TUNNELOPS_DEPLOY_ENVIRONMENTS: ctx.deployEnvironments.join(','),
      ...(ctx.alarmChannel ? { TUNNELOPS_ALARM_CHANNEL: ctx.alarmChannel } : {}),
    });
    const fromJson = (secret: AppSecrets['slack'], field: string) =>
      ecs.Secret.fromSecretsManager(secret, field);
    const container = task.addContainer('bot', {
      image: ecs.ContainerImage.fromEcrRepository(
        ecr.Repository.fromRepositoryName(this, 'Repository', BOT_REPOSITORY),
        ctx.botImageTag,
      ),
      // The deployed topology (the file this synth read), written where TUNNELOPS_TOPOLOGY points before the
      // app starts; the tunnels.yml baked into the image is only for `docker run` without infra.
      entryPoint: ['/bin/sh', '-c'],
      command: [
        `mkdir -p /tmp/tunnelops && printf '%s' "$TUNNELOPS_TOPOLOGY_TEXT" > ${TOPOLOGY_PATH} && exec node --import tsx app.ts`,
      ],
      environment: { ...environment, TUNNELOPS_TOPOLOGY_TEXT: props.topologyText },
      secrets: botSecrets(
        {
          SLACK_SIGNING_SECRET: fromJson(secrets.slack, 'signingSecret'),
          SLACK_BOT_TOKEN: fromJson(secrets.slack, 'botToken'),
          APP_ID: fromJson(secrets.github, 'appId'),
          PRIVATE_KEY: fromJson(secrets.github, 'privateKey'),
          WEBHOOK_SECRET: fromJson(secrets.github, 'webhookSecret'),
          TUNNELOPS_API_TOKEN: ecs.Secret.fromSecretsManager(secrets.apiToken),
        },
        environment,
      ),
      portMappings: [{ containerPort: PORT }],
      readonlyRootFilesystem: true,
      user: 'node',
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: 'bot',
        logGroup: new logs.LogGroup(this, 'Logs', { retention: props.logRetention }),
      }),
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${PORT}/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
        ],
        interval: Duration.seconds(15),
        startPeriod: Duration.seconds(30),
      },
    });
    task.addVolume({ name: 'tmp' });
    container.addMountPoints({ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false });

    // Replicas spread over the private subnets' AZs (Fargate places a service's tasks across the AZs it
    // is given; rebalancing moves them back after an AZ recovers). A deploy starts the new tasks before
    // stopping any old one (100/200), so every replica keeps serving through it. The replicas share only
    // the state table and the alarm queue: every piece of the bot is safe with more than one (README).
    this.service = new ecs.FargateService(this, 'Service', {
      cluster,
      taskDefinition: task,
      desiredCount: ctx.botReplicas,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      availabilityZoneRebalancing: ecs.AvailabilityZoneRebalancing.ENABLED,
      circuitBreaker: { enable: true, rollback: true },
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      assignPublicIp: false,
    });

    const logBucket = accessLogBucket(this, 'AccessLogs');
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
    });
    this.loadBalancer.logAccessLogs(logBucket, 'alb');
    const https = this.loadBalancer.addListener('Https', {
      port: 443,
      certificates: [acm.Certificate.fromCertificateArn(this, 'Certificate', ctx.botCertificateArn)],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
    });
    this.targetGroup = https.addTargets('Bot', {
      port: PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [this.service],
      healthCheck: { path: '/healthz', healthyHttpCodes: '200', interval: Duration.seconds(15) },
      deregistrationDelay: Duration.seconds(30),
    });
    this.loadBalancer.addRedirect({ sourcePort: 80, targetPort: 443 });
    suppressCfnLint(this.service.node.defaultChild as CfnResource, [REDUNDANT_DEPENDS_ON]);

    acknowledge(this.loadBalancer, [
      {
        id: 'AwsSolutions-EC23',
        reason:
          'Slack and GitHub deliver webhooks from changing public addresses, so 443 (and 80, which only redirects) is open to the internet; every request is authenticated by its Slack/GitHub/SNS signature or bearer token.',
      },
    ]);
    acknowledge(task, [
      {
        id: 'AwsSolutions-ECS2',
        reason:
          'Only non-secret settings (port, table name, queue URL, topic ARNs) are plain environment; every credential comes from Secrets Manager.',
      },
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "EC2 and CloudWatch Describe/Get calls support no resource-level permissions, ecs:ListTasks is limited by an ecs:cluster condition and DescribeTasks to the tunnel clusters' tasks; KMS decrypt for the alarm queue is granted by CDK on that key only.",
        appliesTo: observeWildcardFindings(this, topology.sites),
      },
    ]);
  }
}
