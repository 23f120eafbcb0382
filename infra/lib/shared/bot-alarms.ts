import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALARM_NAME_PREFIX } from '../../../src/domain/alarm-mapping.js';
import { alarmTopic, notify } from '../common/alarm-topic.js';
import { deadLetterAlarm } from '../common/ops-alarms.js';
import { SHARED_ALARM_TOPIC } from '../naming.js';
import type { BotService } from './bot-service.js';

export interface BotAlarmsProps {
  bot: BotService;
  alarmQueue: sqs.IQueue;
  alarmDeadLetters: sqs.IQueue;
  alarmEmail?: string | undefined;
}

/**
 * Alarms on the bot itself, which otherwise reports every other alarm: no healthy target behind the ALB, no
 * running task, and alarms the bot could not handle (the alarm queue's dead letters). They go to the shared
 * alarm topic, which feeds the bot's queue (it posts them once it is back) and the alarm e-mail when set:
 * set alarmEmail so that a dead bot is not reported only to itself.
 */
export class BotAlarms extends Construct {
  readonly topic;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: BotAlarmsProps) {
    super(scope, id);
    this.topic = alarmTopic(this, {
      topicName: SHARED_ALARM_TOPIC,
      description: 'tunnelops shared alarm topic (bot, alarm queue)',
      alarmQueueArn: props.alarmQueue.queueArn,
      email: props.alarmEmail,
    });
    const { bot } = props;
    const minute = Duration.minutes(1);
    const unhealthy = new cloudwatch.Alarm(this, 'UnhealthyTargets', {
      alarmName: `${ALARM_NAME_PREFIX}bot-unhealthy-targets`,
      alarmDescription: 'The bot fails its /healthz check behind the load balancer for 2 minutes',
      metric: bot.targetGroup.metrics.unhealthyHostCount({ period: minute, statistic: 'Maximum' }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // Container Insights (enabled on the bot's cluster) publishes RunningTaskCount every minute.
    const running = new cloudwatch.Alarm(this, 'NoRunningTask', {
      alarmName: `${ALARM_NAME_PREFIX}bot-no-running-task`,
      alarmDescription:
        'No bot task has been running for 2 minutes: Slack commands, alarms and deploys are down',
      metric: new cloudwatch.Metric({
        namespace: 'ECS/ContainerInsights',
        metricName: 'RunningTaskCount',
        dimensionsMap: {
          ClusterName: bot.service.cluster.clusterName,
          ServiceName: bot.service.serviceName,
        },
        period: minute,
        statistic: 'Minimum',
      }),
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 1,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      // No datapoint means no task reporting either.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const lost = deadLetterAlarm(
      this,
      'AlarmDeadLetters',
      props.alarmDeadLetters,
      `${ALARM_NAME_PREFIX}bot-alarm-dead-letters`,
      'Alarm notifications the bot could not post after 5 attempts',
    );
    this.alarms = [unhealthy, running, lost];
    notify(this.topic, this.alarms);
  }
}
