import { z } from 'zod';
import { ALARM_STATES, normalizeTime, type ParsedAlarm } from './alarm-event.js';

/** An alarm state as CloudWatch writes it (SNS payloads and EventBridge events alike). */
export const alarmStateSchema = z.enum(ALARM_STATES, { error: 'expected OK, ALARM or INSUFFICIENT_DATA' });
/** EventBridge events forwarded through SNS: "CloudWatch Alarm State Change" and "ECS Task State Change". */

const eventBridge = z.object({
  'detail-type': z.string(),
  source: z.string(),
  time: z.string().optional(),
  region: z.string().optional(),
  account: z.string().optional(),
  resources: z.array(z.string()).default([]),
  detail: z.record(z.string(), z.unknown()),
});

/** detail of a "CloudWatch Alarm State Change" event (also routed by the failover controller's Lambda). */
export const alarmStateChangeDetail = z.object({
  alarmName: z.string().min(1),
  state: z.object({ value: alarmStateSchema, reason: z.string().default(''), timestamp: z.string() }),
  previousState: z.object({ value: alarmStateSchema }).optional(),
  configuration: z
    .object({
      description: z.string().nullable().optional(),
      metrics: z
        .array(
          z.object({
            metricStat: z
              .object({
                metric: z.object({
                  name: z.string(),
                  namespace: z.string(),
                  dimensions: z.record(z.string(), z.string()).default({}),
                }),
                period: z.number().optional(),
              })
              .optional(),
          }),
        )
        .default([]),
    })
    .optional(),
});

const taskDetail = z.object({
  clusterArn: z.string(),
  group: z.string().optional(),
  taskArn: z.string().optional(),
  lastStatus: z.string(),
  desiredStatus: z.string().optional(),
  stoppedReason: z.string().optional(),
  stopCode: z.string().optional(),
  stoppedAt: z.string().optional(),
  updatedAt: z.string().optional(),
});

export function fromEventBridge(json: object): ParsedAlarm {
  const r = eventBridge.safeParse(json);
  if (!r.success) return { kind: 'ignored', reason: 'EventBridge event without source/detail' };
  const e = r.data;
  if (e['detail-type'] === 'CloudWatch Alarm State Change') return fromAlarmEvent(e);
  if (e['detail-type'] === 'ECS Task State Change') return fromTaskEvent(e);
  return {
    kind: 'ignored',
    reason: `EventBridge detail-type "${e['detail-type'].slice(0, 60)}" is not handled`,
  };
}

function fromAlarmEvent(e: z.infer<typeof eventBridge>): ParsedAlarm {
  const r = alarmStateChangeDetail.safeParse(e.detail);
  if (!r.success) return { kind: 'ignored', reason: 'CloudWatch Alarm State Change without alarmName/state' };
  const d = r.data;
  const since = normalizeTime(d.state.timestamp);
  if (!since)
    return { kind: 'ignored', reason: 'CloudWatch Alarm State Change: state.timestamp is not a time' };
  const stat = d.configuration?.metrics.find((m) => m.metricStat)?.metricStat;
  const arn = e.resources.find((x) => x.includes(':alarm:'));
  return {
    kind: 'alarm',
    event: {
      id: arn ?? `alarm:${d.alarmName}`,
      name: d.alarmName,
      source: 'cloudwatch',
      state: d.state.value,
      ...(d.previousState ? { previousState: d.previousState.value } : {}),
      reason: d.state.reason,
      since,
      ...(e.region ? { region: e.region } : {}),
      ...(d.configuration?.description ? { description: d.configuration.description } : {}),
      ...(stat
        ? {
            metric: {
              namespace: stat.metric.namespace,
              name: stat.metric.name,
              dimensions: stat.metric.dimensions,
              ...(stat.period !== undefined ? { period: stat.period } : {}),
            },
          }
        : {}),
    },
  };
}

/** A STOPPED tunnel task is an alarm, RUNNING clears it; planned stops (deployments, scale-in) are not alarms. */
function fromTaskEvent(e: z.infer<typeof eventBridge>): ParsedAlarm {
  const r = taskDetail.safeParse(e.detail);
  if (!r.success) return { kind: 'ignored', reason: 'ECS Task State Change without clusterArn/lastStatus' };
  const d = r.data;
  if (d.lastStatus !== 'STOPPED' && d.lastStatus !== 'RUNNING') {
    return { kind: 'ignored', reason: `ECS task is ${d.lastStatus.slice(0, 30)}` };
  }
  if (d.lastStatus === 'STOPPED' && d.stopCode === 'ServiceSchedulerInitiated') {
    return { kind: 'ignored', reason: 'ECS task stopped by the service scheduler (deployment or scale-in)' };
  }
  const cluster = d.clusterArn.split('/').pop() ?? d.clusterArn;
  const service = d.group?.startsWith('service:') ? d.group.slice('service:'.length) : undefined;
  const since = normalizeTime(
    (d.lastStatus === 'STOPPED' ? d.stoppedAt : undefined) ?? d.updatedAt ?? e.time ?? '',
  );
  if (!since) return { kind: 'ignored', reason: 'ECS Task State Change without a time' };
  const stopped = d.lastStatus === 'STOPPED';
  return {
    kind: 'alarm',
    event: {
      id: `ecs:${cluster}/${service ?? d.group ?? 'task'}`,
      name: `ECS ${service ?? d.group ?? 'task'} (${cluster})`,
      source: 'ecs',
      state: stopped ? 'ALARM' : 'OK',
      reason: stopped
        ? `task stopped: ${d.stoppedReason ?? 'no reason given'}${d.stopCode ? ` (${d.stopCode})` : ''}`
        : 'task running',
      since,
      ...(e.region ? { region: e.region } : {}),
      ecs: {
        cluster,
        ...(service ? { service } : {}),
        ...(d.taskArn ? { taskArn: d.taskArn } : {}),
        lastStatus: d.lastStatus,
        ...(d.stopCode ? { stopCode: d.stopCode } : {}),
      },
    },
  };
}
