import { z } from 'zod';
import { type AlarmMetric, normalizeTime, type ParsedAlarm } from './alarm-event.js';
import { alarmStateSchema, fromEventBridge } from './alarm-parse-eventbridge.js';
import { parseBoundedJson } from './bounded-json.js';

/**
 * Parses the `Message` of an SNS notification: a CloudWatch alarm notification, or an EventBridge event
 * forwarded through SNS ("CloudWatch Alarm State Change", "ECS Task State Change"). Unknown fields are
 * tolerated (zod strips them); anything else is "ignored" with a reason, never an exception.
 */
const num = z.number().optional().nullable();
const dimensions = z.array(z.object({ name: z.string(), value: z.string() })).default([]);

/** One entry of a metric-math Trigger: an expression, or a metric it reads (MetricStat). */
const mathEntry = z.object({
  Id: z.string().default(''),
  Expression: z.string().max(2048).optional(),
  Label: z.string().max(512).optional(),
  ReturnData: z.boolean().optional(),
  MetricStat: z
    .object({
      Metric: z.object({ Namespace: z.string(), MetricName: z.string(), Dimensions: dimensions }),
      Period: num,
      Stat: z.string().optional(),
    })
    .optional(),
});

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
      Dimensions: dimensions,
      Period: num,
      EvaluationPeriods: num,
      Threshold: num,
      ComparisonOperator: z.string().optional(),
      /** Metric math instead of MetricName (CloudWatch then sends no MetricName/Namespace/Dimensions). */
      Metrics: z.array(mathEntry).max(20).optional(),
    })
    .optional(),
});

type Trigger = NonNullable<z.infer<typeof cloudWatchSns>['Trigger']>;

/** The metric the alarm reads: the Trigger's own, or for metric math the input carrying a Site dimension. */
function triggerMetric(t: Trigger): AlarmMetric | undefined {
  const settings = {
    ...(t.Period != null ? { period: t.Period } : {}),
    ...(t.EvaluationPeriods != null ? { evaluationPeriods: t.EvaluationPeriods } : {}),
    ...(t.Threshold != null ? { threshold: t.Threshold } : {}),
    ...(t.ComparisonOperator ? { comparison: t.ComparisonOperator } : {}),
  };
  const dims = (list: Array<{ name: string; value: string }>) =>
    Object.fromEntries(list.map((d) => [d.name, d.value]));
  if (t.MetricName && t.Namespace)
    return { namespace: t.Namespace, name: t.MetricName, dimensions: dims(t.Dimensions), ...settings };
  const entries = t.Metrics ?? [];
  const inputs = entries.flatMap((e) => (e.MetricStat ? [e.MetricStat] : []));
  const input = inputs.find((m) => m.Metric.Dimensions.some((d) => d.name === 'Site')) ?? inputs[0];
  const math =
    entries.find((e) => e.Expression && e.ReturnData !== false) ?? entries.find((e) => e.Expression);
  if (!input && !math) return undefined;
  return {
    namespace: input?.Metric.Namespace ?? '',
    name: input?.Metric.MetricName ?? '',
    dimensions: dims(input?.Metric.Dimensions ?? []),
    ...settings,
    ...(t.Period == null && input?.Period != null ? { period: input.Period } : {}),
    ...(math?.Expression
      ? {
          expression: {
            id: math.Id,
            expression: math.Expression,
            ...(math.Label ? { label: math.Label } : {}),
          },
        }
      : {}),
  };
}

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
  const metric = a.Trigger ? triggerMetric(a.Trigger) : undefined;
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
