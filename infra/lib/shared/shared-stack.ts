import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { Topology } from '../../../src/config/topology-schema.js';
import type { InfraContext } from '../config/infra-context.js';
import { alarmTopicName, SHARED_ALARM_TOPIC } from '../naming.js';
import { AlarmQueue } from './alarm-queue.js';
import { AppSecrets } from './app-secrets.js';
import { BotAlarms } from './bot-alarms.js';
import { BotService } from './bot-service.js';
import { GitHubOidc } from './github-oidc.js';
import { stateTable } from './state-table.js';

export interface SharedStackProps extends StackProps {
  ctx: InfraContext;
  topology: Topology;
  topologyText: string;
  vpc: (scope: Construct) => ec2.IVpc;
  logRetention: logs.RetentionDays;
}

/**
 * Everything sites share: the state table, credentials, the alarm queue, the bot and its alarms, and the
 * GitHub roles. Stateful: created with termination protection.
 */
export class SharedStack extends Stack {
  readonly alarmQueue: AlarmQueue;
  constructor(scope: Construct, id: string, props: SharedStackProps) {
    super(scope, id, props);
    const table = stateTable(this);
    const secrets = new AppSecrets(this, 'Secrets');
    this.alarmQueue = new AlarmQueue(this, 'Alarms');
    // Site controllers before this version imported the Slack secret's ARN; the export stays until every
    // control stack has been deployed without it (CloudFormation refuses to delete an export still imported).
    this.exportValue(secrets.slack.secretArn);
    const bot = new BotService(this, 'Bot', {
      ctx: props.ctx,
      topology: props.topology,
      vpc: props.vpc(this),
      secrets,
      alarmQueue: this.alarmQueue.queue,
      alarmTopicArns: [...props.topology.sites.map((s) => alarmTopicName(s.name)), SHARED_ALARM_TOPIC].map(
        (name) => this.formatArn({ service: 'sns', resource: name }),
      ),
      logRetention: props.logRetention,
      topologyText: props.topologyText,
    });
    new BotAlarms(this, 'BotAlarms', {
      bot,
      alarmQueue: this.alarmQueue.queue,
      alarmDeadLetters: this.alarmQueue.deadLetters,
      alarmEmail: props.ctx.alarmEmail,
    });
    const github = new GitHubOidc(this, 'GitHub', {
      repository: props.ctx.githubRepository,
      defaultBranch: props.ctx.githubDefaultBranch,
      deployEnvironments: props.ctx.deployEnvironments,
      topology: props.topology,
      ...(props.ctx.githubOidcProviderArn ? { existingProviderArn: props.ctx.githubOidcProviderArn } : {}),
    });
    new CfnOutput(this, 'BotLoadBalancerDns', {
      value: bot.loadBalancer.loadBalancerDnsName,
      description: 'point the bot DNS name (CNAME/alias) here',
    });
    new CfnOutput(this, 'StateTableName', { value: table.tableName });
    // What `aws ecs update-service --force-new-deployment` needs to restart the bot (it reads secrets at start).
    new CfnOutput(this, 'BotClusterName', {
      value: bot.service.cluster.clusterName,
      description: "the bot's ECS cluster",
    });
    new CfnOutput(this, 'BotServiceName', {
      value: bot.service.serviceName,
      description: "the bot's ECS service",
    });
    for (const [environment, role] of github.deployRoles) {
      new CfnOutput(this, `DeployRoleArn-${environment}`, {
        value: role.roleArn,
        description: `GitHub variable TUNNELOPS_DEPLOY_ROLE_ARN of the ${environment} environment`,
      });
    }
    new CfnOutput(this, 'DiffRoleArn', {
      value: github.diffRole.roleArn,
      description: 'GitHub variable TUNNELOPS_DIFF_ROLE_ARN',
    });
  }
}
