import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A dead-letter queue holds work that was lost (an event the controller never handled, an alarm the bot could
 * not post): any message is worth a look. SQS publishes its metrics every minute.
 */
export function deadLetterAlarm(scope: Construct, id: string, queue: sqs.IQueue, name: string, what: string) {
  return new cloudwatch.Alarm(scope, id, {
    alarmName: name,
    alarmDescription: `${what}: messages in the dead-letter queue (each one is work that was never done)`,
    metric: queue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(1),
      statistic: 'Maximum',
    }),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    threshold: 1,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}
