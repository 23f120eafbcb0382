import type { ECSClient, Task } from '@aws-sdk/client-ecs';
import type { TunnelTaskState } from '../domain/observations.js';
import { type Outcome, ok, reasonOf, unknown } from '../domain/outcome.js';
import type { Logger } from '../log.js';
import { DESCRIBE_SERVICES_MAX, describeServices, listAndDescribeTasks, serviceOfTask } from './ecs-calls.js';
import { needsStopReason, stateOf, withStop } from './ecs-service-state.js';
import { nameOf } from './status-queries.js';

/**
 * A tunnel's service: its tunnelKey, the service name or ARN from the topology, and a note for the
 * state read (why ECS was asked rather than metrics).
 */
export type ServiceEntry = { key: string; service: string; note?: string };
export type TaskResults = Map<string, Outcome<TunnelTaskState>>;

/** Task states of one cluster's tunnel services from the ECS API (reads are per cluster). */
export class EcsClusterReader {
  constructor(private readonly props: { log: Logger }) {}

  /**
   * The whole cluster, the cheaper way:
   * - up to 10 tunnel services: one DescribeServices (desired, running, pending, rollout);
   * - more: its running tasks (ListTasks + DescribeTasks, 100 a call). A tunnel server runs exactly one
   *   task, so a service with one running task from one deployment is settled; only the others get a
   *   DescribeServices.
   */
  async observe(
    ecs: ECSClient,
    cluster: string,
    entries: ServiceEntry[],
    result: TaskResults,
  ): Promise<void> {
    if (entries.length <= DESCRIBE_SERVICES_MAX) return this.describe(ecs, cluster, entries, [], result);
    let running: Task[];
    try {
      running = await listAndDescribeTasks(ecs, { cluster, desiredStatus: 'RUNNING' });
    } catch (err) {
      for (const e of entries) result.set(e.key, unknown(reasonOf(err)));
      return;
    }
    const unsettled: ServiceEntry[] = [];
    for (const e of entries) {
      const tasks = running.filter((t) => serviceOfTask(t) === nameOf(e.service));
      const deployments = new Set(tasks.map((t) => t.startedBy ?? ''));
      const settled = tasks.length === 1 && tasks[0]!.lastStatus === 'RUNNING' && deployments.size === 1;
      if (settled)
        result.set(
          e.key,
          ok({ desired: 1, running: 1, pending: 0, deploying: false, ...(e.note ? { note: e.note } : {}) }),
        );
      else unsettled.push(e);
    }
    // Unsettled services are troubled or deploying: ask for both at once.
    await this.describe(ecs, cluster, unsettled, unsettled, result);
  }

  /**
   * DescribeServices (10 a call) for `entries`; the last stop of the `troubled` ones is looked up at the
   * same time, that of the others only if the service turns out short, pending or deploying.
   */
  async describe(
    ecs: ECSClient,
    cluster: string,
    entries: ServiceEntry[],
    troubled: ServiceEntry[],
    result: TaskResults,
  ): Promise<void> {
    if (entries.length === 0) return;
    const early = new Set(troubled.map((e) => e.key));
    const [services, stops] = await Promise.all([
      describeServices(
        ecs,
        cluster,
        entries.map((e) => e.service),
      ),
      this.lastStops(
        ecs,
        cluster,
        troubled.map((e) => e.service),
      ),
    ]);
    const late = entries.filter((e) => {
      const s = services.get(e.service);
      return !early.has(e.key) && s?.ok && needsStopReason(stateOf(s.value));
    });
    for (const [service, task] of await this.lastStops(
      ecs,
      cluster,
      late.map((e) => e.service),
    ))
      stops.set(service, task);
    for (const e of entries)
      result.set(e.key, withStop(services.get(e.service), stops.get(nameOf(e.service)), e.note));
  }

  /** The most recently stopped task of each service; the status renders without it if this fails. */
  private async lastStops(ecs: ECSClient, cluster: string, services: string[]): Promise<Map<string, Task>> {
    const latest = new Map<string, Task>();
    if (services.length === 0) return latest;
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
