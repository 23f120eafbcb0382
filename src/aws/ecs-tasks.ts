import { UpdateServiceCommand } from '@aws-sdk/client-ecs';
import type { Site } from '../config/topology-schema.js';
import { TunnelOpsError } from '../domain/errors.js';
import { ok } from '../domain/outcome.js';
import { requireTunnel, sitesByRegion, tunnelKey } from '../domain/topology.js';
import type { Logger } from '../log.js';
import type { DeploymentProgress, TaskRuntime } from '../ports/tasks.js';
import type { AwsClients } from './clients.js';
import { describeServices } from './ecs-calls.js';
import { EcsClusterReader, type ServiceEntry, type TaskResults } from './ecs-cluster-reader.js';
import { progressOf } from './ecs-service-state.js';
import type { MetricBatch } from './metric-batch.js';
import { taskCountsFromMetrics } from './status-queries.js';
import { taskVerdict } from './task-counts.js';

export interface EcsTasksProps {
  clients: AwsClients;
  log: Logger;
  /** Container Insights task counts, from the GetMetricData call the probe stats share. Without it: ECS only. */
  metrics?: MetricBatch;
}

/** Status reads 5 minutes of metrics; the same window lets the task counts share its call. */
const WINDOW_MINUTES = 5;

/**
 * ECS services of the tunnels. ECS reads are per cluster and infra makes a cluster per site, so where
 * a region holds several clusters the task counts come from Container Insights (in the GetMetricData
 * call that also brings the probe stats): a settled service costs no ECS call; only services short of
 * their count, pending, deploying or without metrics are described, and the troubled ones get their
 * last stop reason. Without metrics (call failed) every cluster is read from ECS, and the state says so.
 */
export class EcsTasks implements TaskRuntime {
  private readonly reader: EcsClusterReader;

  constructor(private readonly props: EcsTasksProps) {
    this.reader = new EcsClusterReader({ log: props.log });
  }

  async observe(sites: readonly Site[]): Promise<TaskResults> {
    const result: TaskResults = new Map();
    await Promise.all(
      [...sitesByRegion(sites)].map(async ([region, regionSites]) => {
        const clusters = servicesByCluster(regionSites);
        const { metrics } = this.props;
        if (metrics && taskCountsFromMetrics(regionSites))
          return this.observeFromMetrics(metrics, region, regionSites, clusters, result);
        const ecs = this.props.clients.ecs(region);
        await Promise.all(
          [...clusters].map(([cluster, entries]) => this.reader.observe(ecs, cluster, entries, result)),
        );
      }),
    );
    return result;
  }

  async redeploy(site: Site, tunnel: string): Promise<string> {
    const t = requireTunnel(site, tunnel);
    const out = await this.props.clients.ecs(site.region).send(
      new UpdateServiceCommand({
        cluster: t.ecs.cluster,
        service: t.ecs.service,
        forceNewDeployment: true,
      }),
    );
    const primary = out.service?.deployments?.find((d) => d.status === 'PRIMARY');
    if (!primary?.id)
      throw new TunnelOpsError('upstream_failed', `ECS did not report a new deployment of ${t.ecs.service}`);
    this.props.log.info({ site: site.name, tunnel, deploymentId: primary.id }, 'ECS redeploy started');
    return primary.id;
  }

  async deploymentProgress(site: Site, tunnel: string, deploymentId: string): Promise<DeploymentProgress> {
    const t = requireTunnel(site, tunnel);
    const found = (
      await describeServices(this.props.clients.ecs(site.region), t.ecs.cluster, [t.ecs.service])
    ).get(t.ecs.service);
    if (!found?.ok) throw new TunnelOpsError('upstream_failed', found?.reason ?? 'no answer from ECS');
    return progressOf(found.value, deploymentId);
  }

  private async observeFromMetrics(
    metrics: MetricBatch,
    region: string,
    regionSites: Site[],
    clusters: Map<string, ServiceEntry[]>,
    result: TaskResults,
  ): Promise<void> {
    const { tunnels } = await metrics.fetch(region, regionSites, WINDOW_MINUTES);
    const ecs = this.props.clients.ecs(region);
    const jobs: Array<Promise<void>> = [];
    const unseen = new Set<string>();
    const failures = new Set<string>();
    for (const [cluster, entries] of clusters) {
      const troubled: ServiceEntry[] = [];
      const noData: ServiceEntry[] = [];
      const failed: ServiceEntry[] = [];
      for (const e of entries) {
        const v = taskVerdict(tunnels.get(e.key));
        if (v.kind === 'settled') result.set(e.key, ok(v.state));
        else if (v.kind === 'unsettled') troubled.push(e);
        else if (v.kind === 'no-data') {
          unseen.add(cluster);
          noData.push({
            ...e,
            note: `no Container Insights task counts in cluster ${cluster}; read from ECS`,
          });
        } else {
          failures.add(v.reason);
          failed.push({ ...e, note: `Container Insights metrics unavailable (${v.reason}); read from ECS` });
        }
      }
      // Without metrics: as if there were none (DescribeServices, or running tasks for big clusters).
      if (failed.length > 0) jobs.push(this.reader.observe(ecs, cluster, failed, result));
      // Troubled and unseen share the DescribeServices calls; only the troubled get their last stop at once.
      jobs.push(this.reader.describe(ecs, cluster, [...troubled, ...noData], troubled, result));
    }
    if (failures.size > 0)
      this.props.log.warn(
        { region, reasons: [...failures] },
        'task counts read from ECS: metrics unavailable',
      );
    if (unseen.size > 0)
      this.props.log.warn(
        { region, clusters: [...unseen] },
        'no Container Insights task counts: is Container Insights enabled on these clusters?',
      );
    await Promise.all(jobs);
  }
}

/** The region's tunnel services, by cluster. */
function servicesByCluster(regionSites: readonly Site[]): Map<string, ServiceEntry[]> {
  const clusters = new Map<string, ServiceEntry[]>();
  for (const site of regionSites)
    for (const t of site.tunnels) {
      const list = clusters.get(t.ecs.cluster) ?? [];
      list.push({ key: tunnelKey(site.name, t.name), service: t.ecs.service });
      clusters.set(t.ecs.cluster, list);
    }
  return clusters;
}
