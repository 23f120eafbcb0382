import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { Site } from '../../../src/config/topology-schema.js';
import { METRIC_NAMESPACE } from '../../../src/ports/metrics.js';
import { alarmName, alarmTopicName } from '../naming.js';

/** Seconds per datapoint: the monitor publishes high-resolution (1 s) metrics, flushed every 10 s. */
export const ALARM_PERIOD_SECONDS = 10;

/**
 * Fast alarms on the monitor's metrics, per tunnel, into the site's encrypted SNS topic, which feeds the bot's
 * alarm queue. TunnelUp < 1 for 2 of 2 ten-second periods with missing data breaching: a dead monitor is a
 * dead tunnel. The failover controller does not wait for these (it reacts to the monitor's own events); they
 * are what people see in Slack.
 */
export class TunnelAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: { site: Site; alarmQueueArn: string }) {
    super(scope, id);
    const { site } = props;
    const key = new kms.Key(this, 'Key', {
      enableKeyRotation: true,
      description: `tunnelops ${site.name} alarm topic`,
    });
    // CloudWatch publishes alarm notifications into the encrypted topic.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', {
      topicName: alarmTopicName(site.name),
      masterKey: key,
      enforceSSL: true,
    });
    new sns.Subscription(this, 'ToBotQueue', {
      topic: this.topic,
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: props.alarmQueueArn,
    });

    const period = Duration.seconds(ALARM_PERIOD_SECONDS);
    for (const tunnel of site.tunnels) {
      const metric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({
          namespace: METRIC_NAMESPACE,
          metricName,
          dimensionsMap: { Site: site.name, Tunnel: tunnel.name },
          statistic,
          period,
        });
      const down = new cloudwatch.Alarm(this, `${tunnel.name}-down`, {
        alarmName: alarmName(site.name, tunnel.name, 'down'),
        alarmDescription: `${site.name}/${tunnel.name}: the tunnel monitor reports the tunnel down (or stopped reporting)`,
        metric: metric('TunnelUp', 'Minimum'),
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        threshold: 1,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      const loss = new cloudwatch.Alarm(this, `${tunnel.name}-loss`, {
        alarmName: alarmName(site.name, tunnel.name, 'loss'),
        alarmDescription: `${site.name}/${tunnel.name}: probe loss above 20% for 30 s`,
        metric: metric('ProbeLossPct', 'Average'),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold: 20,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      for (const alarm of [down, loss]) {
        alarm.addAlarmAction(new actions.SnsAction(this.topic));
        alarm.addOkAction(new actions.SnsAction(this.topic));
        this.alarms.push(alarm);
      }
    }
  }
}
