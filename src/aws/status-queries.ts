import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { Site } from '../config/topology-schema.js';
import { METRIC_NAMESPACE } from '../ports/metrics.js';
import { DESCRIBE_SERVICES_MAX } from './ecs-calls.js';

/**
 * The GetMetricData queries status asks per tunnel, so the probe stats and the ECS task counts of a
 * region come from one call: probe loss, sample count and latency (TunnelOps, from the monitor) and,
 * where task counts are read from metrics, the service's Container Insights task counts.
 */
export const PERIOD_S = 60;
const CONTAINER_INSIGHTS_NAMESPACE = 'ECS/ContainerInsights';

export type ProbeSeriesName = 'loss' | 'count' | 'latency';
export type TaskSeriesName = 'running' | 'desired' | 'pending' | 'deployments';
export type SeriesName = ProbeSeriesName | TaskSeriesName;

type Spec = { namespace: string; metric: string; stat: string };

const PROBE: Record<ProbeSeriesName, Spec> = {
  loss: { namespace: METRIC_NAMESPACE, metric: 'ProbeLossPct', stat: 'Average' },
  count: { namespace: METRIC_NAMESPACE, metric: 'ProbeLossPct', stat: 'SampleCount' },
  latency: { namespace: METRIC_NAMESPACE, metric: 'ProbeLatencyMs', stat: 'Average' },
};

// Pessimistic within a minute: a task that stopped and came back shows as a dip in running.
const TASKS: Record<TaskSeriesName, Spec> = {
  running: { namespace: CONTAINER_INSIGHTS_NAMESPACE, metric: 'RunningTaskCount', stat: 'Minimum' },
  desired: { namespace: CONTAINER_INSIGHTS_NAMESPACE, metric: 'DesiredTaskCount', stat: 'Maximum' },
  pending: { namespace: CONTAINER_INSIGHTS_NAMESPACE, metric: 'PendingTaskCount', stat: 'Maximum' },
  deployments: { namespace: CONTAINER_INSIGHTS_NAMESPACE, metric: 'DeploymentCount', stat: 'Maximum' },
};

/** GetMetricData takes at most 500 queries. */
export const MAX_QUERIES = 500;

/** The topology may name a cluster or service by ARN; metrics and tasks use the name. */
export const nameOf = (nameOrArn: string): string => nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1);

/**
 * Whether the region's task counts come from metrics: yes when reading them from ECS would take more
 * than one call (ECS reads are per cluster, 10 services a DescribeServices). A single small cluster
 * (one site, as the failover controller asks) is read from ECS: same cost, and no metric lag.
 */
export function taskCountsFromMetrics(regionSites: readonly Site[]): boolean {
  const perCluster = new Map<string, number>();
  for (const s of regionSites)
    for (const t of s.tunnels) perCluster.set(t.ecs.cluster, (perCluster.get(t.ecs.cluster) ?? 0) + 1);
  return perCluster.size > 1 || [...perCluster.values()].some((n) => n > DESCRIBE_SERVICES_MAX);
}

export interface TunnelRef {
  site: string;
  tunnel: string;
  cluster: string;
  service: string;
}

export const queriesPerTunnel = (withTasks: boolean): number =>
  Object.keys(PROBE).length + (withTasks ? Object.keys(TASKS).length : 0);

/** Query ids are `<series><index in the call>`, e.g. loss0, running0. */
export const queryId = (name: SeriesName, i: number): string => `${name}${i}`;

export const seriesNames = (withTasks: boolean): SeriesName[] => [
  ...(Object.keys(PROBE) as ProbeSeriesName[]),
  ...(withTasks ? (Object.keys(TASKS) as TaskSeriesName[]) : []),
];

export function tunnelQueries(t: TunnelRef, i: number, withTasks: boolean): MetricDataQuery[] {
  const probeDims = [
    { Name: 'Site', Value: t.site },
    { Name: 'Tunnel', Value: t.tunnel },
  ];
  const taskDims = [
    { Name: 'ClusterName', Value: nameOf(t.cluster) },
    { Name: 'ServiceName', Value: nameOf(t.service) },
  ];
  return seriesNames(withTasks).map((name) => {
    const spec = name in PROBE ? PROBE[name as ProbeSeriesName] : TASKS[name as TaskSeriesName];
    return {
      Id: queryId(name, i),
      MetricStat: {
        Metric: {
          Namespace: spec.namespace,
          MetricName: spec.metric,
          Dimensions: name in PROBE ? probeDims : taskDims,
        },
        Period: PERIOD_S,
        Stat: spec.stat,
      },
      ReturnData: true,
    };
  });
}
