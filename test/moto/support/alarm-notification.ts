import { readFileSync } from 'node:fs';
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';

/**
 * moto keeps alarm state (SetAlarmState) but never runs an alarm's actions, so it never publishes to SNS.
 * This builds the notification CloudWatch would publish for the alarm's change, in the documented format
 * (test/fixtures/cloudwatch/alarm-sns-message.json), from the alarm as moto describes it.
 */
export async function alarmNotification(
  cloudwatch: CloudWatchClient,
  alarmName: string,
  state: 'ALARM' | 'OK',
  reason: string,
): Promise<{ message: string }> {
  const before = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] })))
    .MetricAlarms?.[0];
  if (!before) throw new Error(`moto has no alarm ${alarmName}`);
  await cloudwatch.send(
    new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: state, StateReason: reason }),
  );
  const alarm = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName] })))
    .MetricAlarms?.[0];
  if (alarm?.StateValue !== state) throw new Error(`moto did not move ${alarmName} to ${state}`);
  const shape = JSON.parse(readFileSync('test/fixtures/cloudwatch/alarm-sns-message.json', 'utf8')) as Record<
    string,
    unknown
  >;
  const message = {
    ...shape,
    AlarmName: alarm.AlarmName,
    AlarmDescription: alarm.AlarmDescription ?? null,
    AWSAccountId: alarm.AlarmArn?.split(':')[4],
    NewStateValue: alarm.StateValue,
    NewStateReason: alarm.StateReason,
    StateChangeTime: (alarm.StateUpdatedTimestamp ?? new Date()).toISOString().replace('Z', '+0000'),
    Region: 'US East (N. Virginia)',
    AlarmArn: alarm.AlarmArn,
    OldStateValue: before.StateValue,
    Trigger: {
      ...(shape.Trigger as Record<string, unknown>),
      MetricName: alarm.MetricName,
      Namespace: alarm.Namespace,
      Statistic: alarm.Statistic?.toUpperCase(),
      Unit: null,
      Dimensions: (alarm.Dimensions ?? []).map((d) => ({ value: d.Value, name: d.Name })),
      Period: alarm.Period,
      EvaluationPeriods: alarm.EvaluationPeriods,
      ComparisonOperator: alarm.ComparisonOperator,
      Threshold: alarm.Threshold,
    },
  };
  return { message: JSON.stringify(message) };
}
