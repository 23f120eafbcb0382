import { z } from 'zod';
import type { Topology } from '../config/topology-schema.js';
import { alarmStateChangeDetail } from '../domain/alarm-parse-eventbridge.js';
import { findSite, findTunnel } from '../domain/topology.js';
import { HEALTH_EVENT_DETAIL_TYPE, HEALTH_EVENT_SOURCE } from '../monitor/eventbridge-reporter.js';
import type { LifecycleAction } from '../ports/lifecycle-actions.js';
import { METRIC_NAMESPACE } from '../ports/metrics.js';
import type { ControllerTrigger } from '../services/failover/failover-controller.js';
import { BACKSTOP_TICK_DETAIL_TYPE, BACKSTOP_TICK_SOURCE } from './backstop-tick.js';

/**
 * EventBridge's envelope (the scheduler's backstop tick has the same shape); unknown fields are tolerated (AWS
 * adds them over time).
 */
const envelope = z.object({
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  id: z.string().optional(),
  region: z.string().optional(),
  detail: z.record(z.string(), z.unknown()),
});

const ecsTask = z.object({
  clusterArn: z.string().min(1),
  group: z.string().optional(),
  lastStatus: z.string().min(1),
  desiredStatus: z.string().optional(),
  stoppedReason: z.string().optional(),
  taskArn: z.string().optional(),
});

const health = z.object({
  site: z.string().min(1),
  tunnel: z.string().min(1),
  health: z.enum(['up', 'down']),
  previous: z.enum(['up', 'down', 'unknown']).optional(),
  reason: z.string().optional(),
  at: z.string().optional(),
});

/** EventBridge "EC2 Instance-terminate Lifecycle Action" detail (AWS docs; unknown fields tolerated). */
const lifecycleAction = z.object({
  LifecycleActionToken: z.string().min(1).max(128),
  AutoScalingGroupName: z.string().min(1).max(255),
  LifecycleHookName: z.string().min(1).max(255),
  EC2InstanceId: z.string().regex(/^i-[0-9a-f]{8,17}$/, 'expected an EC2 instance id'),
  LifecycleTransition: z.string().min(1),
});

export type RoutedEvent =
  | { kind: 'evaluate'; site: string; trigger: ControllerTrigger }
  | { kind: 'planned-termination'; action: LifecycleAction }
  | { kind: 'reconcile' }
  | { kind: 'ignored'; reason: string }
  | { kind: 'rejected'; reason: string };

const issues = (e: z.ZodError): string =>
  e.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');

/** "arn:aws:ecs:us-east-1:1111:cluster/tunnelops-dc1" and "tunnelops-dc1" both name the cluster tunnelops-dc1. */
const clusterName = (arnOrName: string): string => arnOrName.split('/').at(-1) ?? arnOrName;

type Envelope = z.infer<typeof envelope>;
type Detail = Envelope['detail'];

/**
 * What an EventBridge event means for the controller: evaluate one site, reconcile all, ignore it
 * (not this topology's), or reject it (malformed: logged, nothing done).
 */
export function routeEvent(raw: unknown, topology: Topology): RoutedEvent {
  const env = envelope.safeParse(raw);
  if (!env.success) return { kind: 'rejected', reason: `not an EventBridge event: ${issues(env.error)}` };
  const { source, detail } = env.data;
  const type = env.data['detail-type'];
  if (type === BACKSTOP_TICK_DETAIL_TYPE && source === BACKSTOP_TICK_SOURCE) return { kind: 'reconcile' };
  if (type === 'ECS Task State Change' && source === 'aws.ecs') return routeEcsTask(detail, topology);
  if (type === 'EC2 Instance-terminate Lifecycle Action' && source === 'aws.autoscaling')
    return routeLifecycleAction(detail, env.data.region);
  if (type === HEALTH_EVENT_DETAIL_TYPE && source === HEALTH_EVENT_SOURCE)
    return routeHealth(detail, topology);
  if (type === 'CloudWatch Alarm State Change' && source === 'aws.cloudwatch')
    return routeAlarm(detail, topology);
  return { kind: 'ignored', reason: `not an event the controller handles (${source} / ${type})` };
}

/** A task of one of this topology's tunnel services (cluster and service group both match) changed state. */
function routeEcsTask(detail: Detail, topology: Topology): RoutedEvent {
  const d = ecsTask.safeParse(detail);
  if (!d.success) return { kind: 'rejected', reason: `malformed ECS Task State Change: ${issues(d.error)}` };
  const cluster = clusterName(d.data.clusterArn);
  for (const site of topology.sites) {
    const t = site.tunnels.find(
      (t) => clusterName(t.ecs.cluster) === cluster && d.data.group === `service:${t.ecs.service}`,
    );
    if (!t) continue;
    const { lastStatus, desiredStatus, stoppedReason } = d.data;
    return {
      kind: 'evaluate',
      site: site.name,
      trigger: {
        kind: 'task-state',
        tunnel: t.name,
        lastStatus,
        ...(desiredStatus ? { desiredStatus } : {}),
        ...(stoppedReason ? { stoppedReason } : {}),
      },
    };
  }
  return {
    kind: 'ignored',
    reason: `task of ${cluster} ${d.data.group ?? '(no group)'} is not one of this topology's tunnel services`,
  };
}

/** A tunnel ASG's termination hook: a planned termination (the instance is mapped to its tunnel later). */
function routeLifecycleAction(detail: Detail, region: string | undefined): RoutedEvent {
  const d = lifecycleAction.safeParse(detail);
  if (!d.success) return { kind: 'rejected', reason: `malformed lifecycle action: ${issues(d.error)}` };
  if (d.data.LifecycleTransition !== 'autoscaling:EC2_INSTANCE_TERMINATING')
    return {
      kind: 'ignored',
      reason: `lifecycle transition ${d.data.LifecycleTransition} is not a termination`,
    };
  if (!region) return { kind: 'rejected', reason: 'lifecycle action without a region' };
  return {
    kind: 'planned-termination',
    action: {
      region,
      autoScalingGroupName: d.data.AutoScalingGroupName,
      lifecycleHookName: d.data.LifecycleHookName,
      lifecycleActionToken: d.data.LifecycleActionToken,
      instanceId: d.data.EC2InstanceId,
    },
  };
}

/** A monitor's "Tunnel Health Changed" for a tunnel of this topology. */
function routeHealth(detail: Detail, topology: Topology): RoutedEvent {
  const d = health.safeParse(detail);
  if (!d.success)
    return { kind: 'rejected', reason: `malformed ${HEALTH_EVENT_DETAIL_TYPE}: ${issues(d.error)}` };
  const site = findSite(topology, d.data.site);
  if (!site || !findTunnel(site, d.data.tunnel))
    return { kind: 'ignored', reason: `${d.data.site}/${d.data.tunnel} is not in this topology` };
  return {
    kind: 'evaluate',
    site: site.name,
    trigger: {
      kind: 'health-changed',
      tunnel: d.data.tunnel,
      health: d.data.health,
      ...(d.data.reason ? { reason: d.data.reason } : {}),
    },
  };
}

/** An alarm on a TunnelOps metric whose Site dimension is one of this topology's sites. */
function routeAlarm(detail: Detail, topology: Topology): RoutedEvent {
  const d = alarmStateChangeDetail.safeParse(detail);
  if (!d.success)
    return { kind: 'rejected', reason: `malformed CloudWatch Alarm State Change: ${issues(d.error)}` };
  for (const m of d.data.configuration?.metrics ?? []) {
    const metric = m.metricStat?.metric;
    const site =
      metric?.namespace === METRIC_NAMESPACE ? findSite(topology, metric.dimensions.Site ?? '') : undefined;
    if (!site) continue;
    const tunnel = metric?.dimensions.Tunnel;
    return {
      kind: 'evaluate',
      site: site.name,
      trigger: {
        kind: 'alarm',
        alarmName: d.data.alarmName,
        state: d.data.state.value,
        ...(tunnel ? { tunnel } : {}),
      },
    };
  }
  return {
    kind: 'ignored',
    reason: `alarm ${d.data.alarmName} is not on a ${METRIC_NAMESPACE} metric of this topology's sites`,
  };
}
