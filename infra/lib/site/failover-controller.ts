import { join } from 'node:path';
import { Duration, SecretValue, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Site } from '../../../src/config/topology-schema.js';
import { HEALTH_EVENT_DETAIL_TYPE, HEALTH_EVENT_SOURCE } from '../../../src/monitor/eventbridge-reporter.js';
import { acknowledge } from '../common/nag.js';
import {
  observeStatements,
  observeWildcardFindings,
  routeSwitchStatement,
  stateTableStatement,
} from '../common/operator-policy.js';
import { REPO_ROOT } from '../common/repo-root.js';
import { controllerEnvironment } from '../config/typed-env.js';
import { SLACK_SECRET_NAME, STATE_TABLE_NAME } from '../naming.js';

export interface FailoverControllerProps {
  site: Site;
  /** Absolute path of the topology file; copied into the bundle. */
  topologyFile: string;
  clusterArns: string[];
  alarmArns: string[];
  logRetention: logs.RetentionDays;
}

/** Where the bundled topology lands inside the function (LAMBDA_TASK_ROOT). */
const BUNDLED_TOPOLOGY = '/var/task/tunnels.yml';

/**
 * The failover controller Lambda of one site (src/lambda/failover-controller.ts) and what wakes it: this
 * site's ECS task state changes (filtered by cluster ARN, unlike the reference design), its monitors'
 * health-changed events, its alarms' state changes, and a 1-minute reconcile tick. It may replace routes in
 * this site's route tables and nothing else that mutates, apart from the state table.
 */
export class FailoverController extends Construct {
  readonly fn: nodejs.NodejsFunction;
  readonly rules: events.Rule[] = [];

  constructor(scope: Construct, id: string, props: FailoverControllerProps) {
    super(scope, id);
    const { site } = props;
    this.fn = new nodejs.NodejsFunction(this, 'Function', {
      description: `tunnelops failover controller for ${site.name}`,
      entry: join(REPO_ROOT, 'src/lambda/failover-controller.ts'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(60),
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      logGroup: new logs.LogGroup(this, 'Logs', { retention: props.logRetention }),
      environment: controllerEnvironment({
        LOG_LEVEL: 'info',
        TUNNELOPS_TOPOLOGY: BUNDLED_TOPOLOGY,
        TUNNELOPS_STORE: `dynamodb:${STATE_TABLE_NAME}`,
        TUNNELOPS_DATA_DIR: '/tmp/tunnelops',
        // Resolved by CloudFormation at deploy time (never in the template); Lambda keeps it encrypted at rest.
        SLACK_BOT_TOKEN: SecretValue.secretsManager(SLACK_SECRET_NAME, {
          jsonField: 'botToken',
        }).unsafeUnwrap(),
      }),
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        // Some dependencies still call require(); give the ESM bundle one.
        banner: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
        minify: true,
        forceDockerBundling: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => [
            `cp "${props.topologyFile}" "${outputDir}/tunnels.yml"`,
          ],
        },
      },
    });
    for (const s of [
      routeSwitchStatement(this, [site]),
      ...observeStatements(this, [site]),
      stateTableStatement(this),
    ]) {
      this.fn.addToRolePolicy(s);
    }

    const dlqKey = new kms.Key(this, 'DeadLetterKey', {
      enableKeyRotation: true,
      description: `tunnelops ${site.name} controller DLQ`,
    });
    // EventBridge writes undeliverable events into the encrypted DLQ with this key.
    dlqKey.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
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
    rule('Reconcile', {
      description: `${site.name}: reconcile routes and health every minute`,
      schedule: events.Schedule.rate(Duration.minutes(1)),
    });

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
        id: 'AwsSolutions-L1',
        reason:
          'Pinned to Node.js 22, the runtime the project is tested on (Probot 14 and the bundle target node22); moving to 24 is a tested change of its own.',
      },
    ]);
  }
}
