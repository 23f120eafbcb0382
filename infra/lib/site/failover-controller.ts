import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, type CfnResource, Duration, Stack, Stage } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Site } from '../../../src/config/topology-schema.js';
import { HEALTH_EVENT_DETAIL_TYPE, HEALTH_EVENT_SOURCE } from '../../../src/monitor/eventbridge-reporter.js';
import { keyForService, notify } from '../common/alarm-topic.js';
import { REDUNDANT_DEPENDS_ON, suppressCfnLint } from '../common/cfn-lint.js';
import { acknowledge } from '../common/nag.js';
import {
  observeStatements,
  observeWildcardFindings,
  routeSwitchStatement,
  stateTableStatement,
} from '../common/operator-policy.js';
import { deadLetterAlarm } from '../common/ops-alarms.js';
import { REPO_ROOT } from '../common/repo-root.js';
import { controllerEnvironment } from '../config/typed-env.js';
import { asgName, STATE_TABLE_NAME, siteAlarmName } from '../naming.js';
import { BackstopSchedule } from './backstop-schedule.js';
import { siteTopologyText } from './server-topology.js';

export interface FailoverControllerProps {
  site: Site;
  clusterArns: string[];
  alarmArns: string[];
  /** The site's alarm topic: the controller's own alarms go there too. */
  alarmTopic: sns.ITopic;
  logRetention: logs.RetentionDays;
}

const asgArn = (scope: Construct, name: string) =>
  Stack.of(scope).formatArn({
    service: 'autoscaling',
    resource: 'autoScalingGroup',
    resourceName: `*:autoScalingGroupName/${name}`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });

/** Where the bundled topology lands inside the function (LAMBDA_TASK_ROOT). */
const BUNDLED_TOPOLOGY = '/var/task/tunnels.yml';

/**
 * The failover controller Lambda of one site (src/lambda/failover-controller.ts) and what wakes it: this
 * site's ECS task state changes (filtered by cluster ARN, unlike the reference design), its monitors'
 * health-changed events, its alarms' state changes, its tunnel instances' termination lifecycle actions
 * (traffic moves before an instance goes) and a 1-minute reconcile tick (EventBridge Scheduler, spread over
 * the minute: backstop-schedule.ts). It bundles only its own site's topology and is told TUNNELOPS_SITE, so
 * it evaluates that site alone, matching its IAM: replace or create routes in this site's route tables,
 * complete this site's ASGs' lifecycle actions, the state table. It holds no Slack token: like the fast path,
 * it reports through the site's outbox, which the bot posts. Failed invocations (after Lambda's retries) land in
 * its dead-letter queue.
 */
export class FailoverController extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly rules: events.Rule[] = [];
  readonly backstop: BackstopSchedule;
  /** Alarms on the controller itself (errors, throttles, dead letters), into the site's alarm topic. */
  readonly opsAlarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: FailoverControllerProps) {
    super(scope, id);
    const { site } = props;
    // Only this site, with its Slack fields (the controller posts proposals to the site's channel).
    const topologyText = siteTopologyText(site);
    const topologyDir = join(Stage.of(this)?.outdir ?? '.', 'tunnelops-topology');
    mkdirSync(topologyDir, { recursive: true });
    const topologyFile = join(topologyDir, `${site.name}.json`);
    writeFileSync(topologyFile, topologyText);
    // EventBridge writes undeliverable events into the encrypted DLQ with this key.
    const dlqKey = keyForService(
      this,
      'DeadLetterKey',
      `tunnelops ${site.name} controller DLQ`,
      'events.amazonaws.com',
    );
    const deadLetters = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: dlqKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(deadLetters, [
      {
        id: 'AwsSolutions-SQS3',
        reason:
          "This queue is itself the dead-letter queue of the controller's EventBridge targets (cdk-nag only recognises SQS redrive DLQs).",
      },
    ]);
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      description: `tunnelops failover controller for ${site.name}`,
      entry: join(REPO_ROOT, 'src/lambda/failover-controller.ts'),
      handler: 'handler',
      // The Node line of .nvmrc, the one every test runs on.
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(60),
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      logGroup: new logs.LogGroup(this, 'Logs', { retention: props.logRetention }),
      environment: controllerEnvironment({
        LOG_LEVEL: 'info',
        TUNNELOPS_TOPOLOGY: BUNDLED_TOPOLOGY,
        TUNNELOPS_SITE: site.name,
        TUNNELOPS_STORE: `dynamodb:${STATE_TABLE_NAME}`,
        TUNNELOPS_DATA_DIR: '/tmp/tunnelops',
        // No Slack token: its reports and proposals go into the site's outbox and the bot posts them, grouped
        // with the fast path's (one message per AZ event).
      }),
      // Asynchronous invocations (EventBridge) that still fail after Lambda's two retries.
      retryAttempts: 2,
      onFailure: new destinations.SqsDestination(deadLetters),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        mainFields: ['module', 'main'],
        // Some dependencies still call require(); give the ESM bundle one.
        banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
        minify: true,
        forceDockerBundling: false,
        // Part of CDK's bundle cache key (the hooks below are not): a different site topology, a new bundle.
        environment: { TUNNELOPS_TOPOLOGY_SHA256: createHash('sha256').update(topologyText).digest('hex') },
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => [
            `cp "${topologyFile}" "${outputDir}/tunnels.yml"`,
          ],
        },
      },
    });
    suppressCfnLint(this.fn.node.defaultChild as CfnResource, [REDUNDANT_DEPENDS_ON]);
    for (const s of [
      routeSwitchStatement(this, [site]),
      ...observeStatements(this, [site]),
      stateTableStatement(this),
      new iam.PolicyStatement({
        sid: 'CompleteTerminationHooks',
        actions: ['autoscaling:CompleteLifecycleAction'],
        resources: site.tunnels.map((t) => asgArn(this, asgName(site.name, t.name))),
      }),
    ]) {
      this.fn.addToRolePolicy(s);
    }

    const target = new targets.LambdaFunction(this.fn, {
      retryAttempts: 2,
      maxEventAge: Duration.minutes(5),
      deadLetterQueue: deadLetters,
    });
    const rule = (id: string, rp: events.RuleProps) => {
      const r = new events.Rule(this, id, rp);
      r.addTarget(target);
      this.rules.push(r);
    };
    rule('EcsTaskStateChange', {
      description: `${site.name}: ECS task state changes in this site's cluster(s) only`,
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: { clusterArn: props.clusterArns },
      },
    });
    rule('TunnelHealthChanged', {
      description: `${site.name}: tunnel monitor health changes`,
      eventPattern: {
        source: [HEALTH_EVENT_SOURCE],
        detailType: [HEALTH_EVENT_DETAIL_TYPE],
        detail: { site: [site.name] },
      },
    });
    rule('AlarmStateChange', {
      description: `${site.name}: this site's tunnel alarms changing state`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: props.alarmArns,
      },
    });
    rule('InstanceTerminating', {
      description: `${site.name}: a tunnel instance is terminating; move traffic off it, then complete the hook`,
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: ['EC2 Instance-terminate Lifecycle Action'],
        detail: { AutoScalingGroupName: site.tunnels.map((t) => asgName(site.name, t.name)) },
      },
    });
    // The 1-minute reconcile: EventBridge Scheduler, spread over the minute (a rule fires every site at once).
    this.backstop = new BackstopSchedule(this, 'Reconcile', {
      site: site.name,
      fn: this.fn,
      deadLetters,
      deadLetterKey: dlqKey,
    });

    // Alerts that do not depend on the controller working: its errors, throttles and lost events.
    const errors = new cloudwatch.Alarm(this, 'ErrorsAlarm', {
      alarmName: siteAlarmName(site.name, 'controller-errors'),
      alarmDescription: `${site.name}: the failover controller failed in 2 of the last 3 minutes (every tick runs it)`,
      metric: this.fn.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const throttles = new cloudwatch.Alarm(this, 'ThrottlesAlarm', {
      alarmName: siteAlarmName(site.name, 'controller-throttles'),
      alarmDescription: `${site.name}: the failover controller was throttled (an evaluation waited or was dropped)`,
      metric: this.fn.metricThrottles({ period: Duration.minutes(1), statistic: 'Sum' }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const lost = deadLetterAlarm(
      this,
      'DeadLettersAlarm',
      deadLetters,
      siteAlarmName(site.name, 'controller-dead-letters'),
      `${site.name}: failover controller events or invocations`,
    );
    this.opsAlarms = [errors, throttles, lost];
    notify(props.alarmTopic, this.opsAlarms);

    acknowledge(this.fn, [
      {
        id: 'AwsSolutions-IAM4',
        reason:
          'AWSLambdaBasicExecutionRole only lets the function write its own CloudWatch logs; it is the documented minimal Lambda policy.',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "EC2 and CloudWatch Describe/Get calls support no resource-level permissions, ecs:ListTasks is limited by an ecs:cluster condition and DescribeTasks to this site's cluster tasks; ReplaceRoute itself is limited to this site's route tables.",
        appliesTo: observeWildcardFindings(this, [site]),
      },
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "An ASG's ARN contains a generated id, so CompleteLifecycleAction names this site's two groups by name (autoScalingGroup:*:autoScalingGroupName/<name>); the KMS wildcards are CDK's grant for sending failed invocations into the encrypted dead-letter queue, on that queue's key only.",
        appliesTo: [
          ...site.tunnels.map(
            (t) =>
              `Resource::arn:<AWS::Partition>:autoscaling:${Stack.of(this).region}:${Stack.of(this).account}:autoScalingGroup:*:autoScalingGroupName/${asgName(site.name, t.name)}`,
          ),
          'Action::kms:ReEncrypt*',
          'Action::kms:GenerateDataKey*',
        ],
      },
    ]);
  }
}
