import { z } from 'zod';
import { type AlarmEvent, type AlarmMetric, normalizeTime } from './alarm-event.js';
import { alarmStateSchema, fromEventBridge } from './alarm-parse-eventbridge.js';
import { parseBoundedJson } from './bounded-json.js';

/**
 * Parses the `Message` of an SNS notification: a CloudWatch alarm notification, or an EventBridge event
 * forwarded through SNS ("CloudWatch Alarm State Change", "ECS Task State Change"). Unknown fields are
 * tolerated (zod strips them); anything else is "ignored" with a reason, never an exception.
 */
export type ParsedAlarm = { kind: 'alarm'; event: AlarmEvent } | { kind: 'ignored'; reason: string };

const num = z.number().optional().nullable();

const cloudWatchSns = z.object({
  AlarmName: z.string().min(1),
  AlarmDescription: z.string().nullable().optional(),
  AlarmArn: z.string().optional(),
  NewStateValue: alarmStateSchema,
  OldStateValue: alarmStateSchema.optional(),
  NewStateReason: z.string().default(''),
  StateChangeTime: z.string(),
  Region: z.string().optional(),
  Trigger: z
    .object({
      MetricName: z.string().optional(),
      Namespace: z.string().optional(),
      Dimensions: z.array(z.object({ name: z.string(), value: z.string() })).default([]),
      Period: num,
      EvaluationPeriods: num,
      Threshold: num,
      ComparisonOperator: z.string().optional(),
    })
    .optional(),
});

export function parseAlarmMessage(message: string): ParsedAlarm {
  let json: unknown;
  try {
    json = parseBoundedJson(message, { maxBytes: 256 * 1024, maxDepth: 16 });
  } catch {
    return { kind: 'ignored', reason: 'message is not JSON (or too large or deep)' };
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    return { kind: 'ignored', reason: 'message is not a JSON object' };
  if ('AlarmName' in json) return fromCloudWatch(json);
  if ('detail-type' in json) return fromEventBridge(json);
  return { kind: 'ignored', reason: 'neither a CloudWatch alarm nor an EventBridge event' };
}

function fromCloudWatch(json: object): ParsedAlarm {
  const r = cloudWatchSns.safeParse(json);
  if (!r.success)
    return { kind: 'ignored', reason: `CloudWatch alarm: ${r.error.issues[0]?.message ?? 'invalid'}` };
  const a = r.data;
  const since = normalizeTime(a.StateChangeTime);
  if (!since) return { kind: 'ignored', reason: 'CloudWatch alarm: StateChangeTime is not a time' };
  const t = a.Trigger;
  const metric: AlarmMetric | undefined =
    t?.MetricName && t.Namespace
      ? {
          namespace: t.Namespace,
          name: t.MetricName,
          dimensions: Object.fromEntries(t.Dimensions.map((d) => [d.name, d.value])),
          ...(t.Period != null ? { period: t.Period } : {}),
          ...(t.EvaluationPeriods != null ? { evaluationPeriods: t.EvaluationPeriods } : {}),
          ...(t.Threshold != null ? { threshold: t.Threshold } : {}),
          ...(t.ComparisonOperator ? { comparison: t.ComparisonOperator } : {}),
        }
      : undefined;
  return {
    kind: 'alarm',
    event: {
      id: a.AlarmArn ?? `alarm:${a.AlarmName}`,
      name: a.AlarmName,
      source: 'cloudwatch',
      state: a.NewStateValue,
      ...(a.OldStateValue ? { previousState: a.OldStateValue } : {}),
      reason: a.NewStateReason,
      since,
      ...(a.Region ? { region: a.Region } : {}),
      ...(a.AlarmDescription ? { description: a.AlarmDescription } : {}),
      ...(metric ? { metric } : {}),
    },
  };
}
