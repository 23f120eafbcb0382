import {
  type Deployment,
  type ECSClient,
  type Service,
  type Task,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { Site, Tunnel } from '../config/topology-schema.js';
import { TunnelOpsError } from '../domain/errors.js';
import { type Outcome, ok, reasonOf, unknown } from '../domain/outcome.js';
import { findTunnel, sitesByRegion, tunnelKey } from '../domain/topology.js';
import type { Logger } from '../log.js';
import type { DeploymentProgress, TaskRuntime, TunnelTaskState } from '../ports/tasks.js';
import type { AwsClients } from './clients.js';
import { DESCRIBE_SERVICES_MAX, describeServices, listAndDescribeTasks, serviceOfTask } from './ecs-calls.js';

export interface EcsTasksProps {
  clients: AwsClients;
  log: Logger;
}

type Entry = { key: string; service: string };
/** Tasks name their service by name; the topology may use the ARN. */
const nameOf = (nameOrArn: string): string => nameOrArn.slice(nameOrArn.lastIndexOf('/') + 1);

/**
 * ECS services of the tunnels. ECS reads are per cluster, so observe() picks the cheaper way per cluster:
 * - up to 10 tunnel services: one DescribeServices (desired, running, pending, rollout);
 * - more: its running tasks (ListTasks + DescribeTasks, 100 a call). A tunnel server runs exactly one
 *   task, so a service with one running task from one deployment is settled; only the others get a
 *   DescribeServices.
 * Services short of their desired count, pending or deploying also get their last stop reason.
 */
export class EcsTasks implements TaskRuntime {
  constructor(private readonly props: EcsTasksProps) {}

  async observe(sites: readonly Site[]): Promise<Map<string, Outcome<TunnelTaskState>>> {
    const result = new Map<string, Outcome<TunnelTaskState>>();
    const jobs: Array<Promise<void>> = [];
    for (const [region, regionSites] of sitesByRegion(sites)) {
      const clusters = new Map<string, Entry[]>();
      for (const site of regionSites) {
        for (const t of site.tunnels) {
          const list = clusters.get(t.ecs.cluster) ?? [];
          list.push({ key: tunnelKey(site.name, t.name), service: t.ecs.service });
          clusters.set(t.ecs.cluster, list);
        }
      }
      const ecs = this.props.clients.ecs(region);
      for (const [cluster, entries] of clusters)
        jobs.push(this.observeCluster(ecs, cluster, entries, result));
    }
    await Promise.all(jobs);
    return result;
  }

  async redeploy(site: Site, tunnel: string): Promise<string> {
    const t = this.tunnel(site, tunnel);
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
    const t = this.tunnel(site, tunnel);
    const found = (
      await describeServices(this.props.clients.ecs(site.region), t.ecs.cluster, [t.ecs.service])
    ).get(t.ecs.service);
    if (!found?.ok) throw new TunnelOpsError('upstream_failed', found?.reason ?? 'no answer from ECS');
    return progressOf(found.value, deploymentId);
  }

  private tunnel(site: Site, name: string): Tunnel {
    const t = findTunnel(site, name);
    if (!t) throw new TunnelOpsError('not_found', `site ${site.name} has no tunnel "${name}"`);
    return t;
  }

  private async observeCluster(
    ecs: ECSClient,
    cluster: string,
    entries: Entry[],
    result: Map<string, Outcome<TunnelTaskState>>,
  ): Promise<void> {
    if (entries.length <= DESCRIBE_SERVICES_MAX) {
      const services = await describeServices(
        ecs,
        cluster,
        entries.map((e) => e.service),
      );
      const troubled = entries.filter((e) => {
        const s = services.get(e.service);
        return s?.ok && needsStopReason(stateOf(s.value));
      });
      const stops = await this.lastStops(
        ecs,
        cluster,
        troubled.map((e) => e.service),
      );
      for (const e of entries)
        result.set(e.key, withStop(services.get(e.service), stops.get(nameOf(e.service))));
      return;
    }
    let running: Task[];
    try {
      running = await listAndDescribeTasks(ecs, { cluster, desiredStatus: 'RUNNING' });
    } catch (err) {
      for (const e of entries) result.set(e.key, unknown(reasonOf(err)));
      return;
    }
    const unsettled: Entry[] = [];
    for (const e of entries) {
      const tasks = running.filter((t) => serviceOfTask(t) === nameOf(e.service));
      const deployments = new Set(tasks.map((t) => t.startedBy ?? ''));
      const settled = tasks.length === 1 && tasks[0]!.lastStatus === 'RUNNING' && deployments.size === 1;
      if (settled) result.set(e.key, ok({ desired: 1, running: 1, pending: 0, deploying: false }));
      else unsettled.push(e);
    }
    if (unsettled.length === 0) return;
    // Unsettled services are troubled or deploying: ask for both at once.
    const names = unsettled.map((e) => e.service);
    const [services, stops] = await Promise.all([
      describeServices(ecs, cluster, names),
      this.lastStops(ecs, cluster, names),
    ]);
    for (const e of unsettled)
      result.set(e.key, withStop(services.get(e.service), stops.get(nameOf(e.service))));
  }

  /** The most recently stopped task of each service; the status renders without it if this fails. */
  private async lastStops(ecs: ECSClient, cluster: string, services: string[]): Promise<Map<string, Task>> {
    const latest = new Map<string, Task>();
    try {
      const stopped = (
        await Promise.all(
          services.map((serviceName) =>
            listAndDescribeTasks(ecs, {
              cluster,
              serviceName: nameOf(serviceName),
              desiredStatus: 'STOPPED',
            }),
          ),
        )
      ).flat();
      for (const t of stopped) {
        const service = serviceOfTask(t);
        if (!service) continue;
        const prev = latest.get(service);
        if (!prev || (t.stoppedAt?.getTime() ?? 0) > (prev.stoppedAt?.getTime() ?? 0)) latest.set(service, t);
      }
    } catch (err) {
      this.props.log.warn({ err, cluster }, 'ECS stopped tasks unavailable');
    }
    return latest;
  }
}

function stateOf(s: Service): TunnelTaskState {
  return {
    desired: s.desiredCount ?? 0,
    running: s.runningCount ?? 0,
    pending: s.pendingCount ?? 0,
    deploying: isDeploying(s),
  };
}

const needsStopReason = (t: TunnelTaskState): boolean =>
  t.running < t.desired || t.pending > 0 || t.deploying;

function withStop(service: Outcome<Service> | undefined, stop: Task | undefined): Outcome<TunnelTaskState> {
  if (!service) return unknown('not described');
  if (!service.ok) return service;
  return ok({
    ...stateOf(service.value),
    ...(stop?.stoppedReason ? { lastStopReason: stop.stoppedReason } : {}),
    ...(stop?.stoppedAt ? { lastStoppedAt: stop.stoppedAt.toISOString() } : {}),
  });
}

/** A planned deploy is under way: several deployments, or the PRIMARY one still rolling out. */
export function isDeploying(s: Service): boolean {
  const deployments = s.deployments ?? [];
  const primary = deployments.find((d) => d.status === 'PRIMARY');
  return deployments.length > 1 || primary?.rolloutState === 'IN_PROGRESS';
}

export function progressOf(s: Service, deploymentId: string): DeploymentProgress {
  const d = (s.deployments ?? []).find((x) => x.id === deploymentId);
  if (!d)
    return {
      state: 'failed',
      detail: `deployment ${deploymentId} is no longer listed (replaced by another)`,
    };
  const detail = detailOf(d);
  if (d.rolloutState === 'COMPLETED') return { state: 'completed', detail };
  if (d.rolloutState === 'FAILED') return { state: 'failed', detail };
  if (d.rolloutState === 'IN_PROGRESS') return { state: 'in-progress', detail };
  // Without a rollout state (external controllers), done means alone, PRIMARY and at its desired count.
  const done =
    d.status === 'PRIMARY' && (s.deployments ?? []).length === 1 && d.runningCount === d.desiredCount;
  return { state: done ? 'completed' : 'in-progress', detail };
}

function detailOf(d: Deployment): string {
  const parts = [`${d.runningCount ?? 0}/${d.desiredCount ?? 0} running`];
  if (d.pendingCount) parts.push(`${d.pendingCount} pending`);
  if (d.failedTasks) parts.push(`${d.failedTasks} failed tasks`);
  if (d.rolloutStateReason) parts.push(d.rolloutStateReason);
  return parts.join(', ');
}
