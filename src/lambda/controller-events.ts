import { z } from 'zod';
import type { Topology } from '../config/topology-schema.js';
import { alarmStateChangeDetail } from '../domain/alarm-parse-eventbridge.js';
import { findSite, findTunnel } from '../domain/topology.js';
import { HEALTH_EVENT_DETAIL_TYPE, HEALTH_EVENT_SOURCE } from '../monitor/eventbridge-reporter.js';
import type { LifecycleAction } from '../ports/lifecycle-actions.js';
import { METRIC_NAMESPACE } from '../ports/metrics.js';
import type { ControllerTrigger } from '../services/failover/failover-controller.js';

/** EventBridge's envelope; unknown fields are tolerated (AWS adds them over time). */
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

/**
 * What an EventBridge event means for the controller: evaluate one site, reconcile all, ignore it
 * (not this topology's), or reject it (malformed: logged, nothing done).
 */
// length: not split yet (issue 19 follow-up: one step of this function per helper)
export function routeEvent(raw: unknown, topology: Topology): RoutedEvent {
  const env = envelope.safeParse(raw);
  if (!env.success) return { kind: 'rejected', reason: `not an EventBridge event: ${issues(env.error)}` };
  const { source, detail } = env.data;
  const type = env.data['detail-type'];

  if (type === 'Scheduled Event' && source === 'aws.events') return { kind: 'reconcile' };

  if (type === 'ECS Task State Change' && source === 'aws.ecs') {
    const d = ecsTask.safeParse(detail);
    if (!d.success)
      return { kind: 'rejected', reason: `malformed ECS Task State Change: ${issues(d.error)}` };
    const cluster = clusterName(d.data.clusterArn);
    for (const site of topology.sites) {
      for (const t of site.tunnels) {
        if (clusterName(t.ecs.cluster) === cluster && d.data.group === `service:${t.ecs.service}`) {
          return {
            kind: 'evaluate',
            site: site.name,
            trigger: {
              kind: 'task-state',
              tunnel: t.name,
              lastStatus: d.data.lastStatus,
              ...(d.data.desiredStatus ? { desiredStatus: d.data.desiredStatus } : {}),
              ...(d.data.stoppedReason ? { stoppedReason: d.data.stoppedReason } : {}),
            },
          };
        }
      }
    }
    return {
      kind: 'ignored',
      reason: `task of ${cluster} ${d.data.group ?? '(no group)'} is not one of this topology's tunnel services`,
    };
  }

  if (type === 'EC2 Instance-terminate Lifecycle Action' && source === 'aws.autoscaling') {
    const d = lifecycleAction.safeParse(detail);
    if (!d.success) return { kind: 'rejected', reason: `malformed lifecycle action: ${issues(d.error)}` };
    if (d.data.LifecycleTransition !== 'autoscaling:EC2_INSTANCE_TERMINATING')
      return {
        kind: 'ignored',
        reason: `lifecycle transition ${d.data.LifecycleTransition} is not a termination`,
      };
    if (!env.data.region) return { kind: 'rejected', reason: 'lifecycle action without a region' };
    return {
      kind: 'planned-termination',
      action: {
        region: env.data.region,
        autoScalingGroupName: d.data.AutoScalingGroupName,
        lifecycleHookName: d.data.LifecycleHookName,
        lifecycleActionToken: d.data.LifecycleActionToken,
        instanceId: d.data.EC2InstanceId,
      },
    };
  }

  if (type === HEALTH_EVENT_DETAIL_TYPE && source === HEALTH_EVENT_SOURCE) {
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

  if (type === 'CloudWatch Alarm State Change' && source === 'aws.cloudwatch') {
    const d = alarmStateChangeDetail.safeParse(detail);
    if (!d.success)
      return { kind: 'rejected', reason: `malformed CloudWatch Alarm State Change: ${issues(d.error)}` };
    for (const m of d.data.configuration?.metrics ?? []) {
      const metric = m.metricStat?.metric;
      const siteName = metric?.dimensions?.Site;
      if (metric?.namespace !== METRIC_NAMESPACE || !siteName) continue;
      const site = findSite(topology, siteName);
      if (!site) continue;
      const tunnel = metric.dimensions?.Tunnel;
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

  return { kind: 'ignored', reason: `not an event the controller handles (${source} / ${type})` };
}
