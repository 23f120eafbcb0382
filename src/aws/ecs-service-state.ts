import type { Deployment, Service, Task } from '@aws-sdk/client-ecs';
import type { TunnelTaskState } from '../domain/observations.js';
import { type Outcome, ok, unknown } from '../domain/outcome.js';
import type { DeploymentProgress } from '../ports/tasks.js';

/** ECS DescribeServices answers as the task state and deployment progress the ports speak. */
export function stateOf(s: Service): TunnelTaskState {
  return {
    desired: s.desiredCount ?? 0,
    running: s.runningCount ?? 0,
    pending: s.pendingCount ?? 0,
    deploying: isDeploying(s),
  };
}

/** Short of its count, pending or deploying: worth the last stop reason. */
export const needsStopReason = (t: TunnelTaskState): boolean =>
  t.running < t.desired || t.pending > 0 || t.deploying;

export function withStop(
  service: Outcome<Service> | undefined,
  stop: Task | undefined,
  note?: string,
): Outcome<TunnelTaskState> {
  if (!service) return unknown('not described');
  if (!service.ok) return service;
  return ok({
    ...stateOf(service.value),
    ...(stop?.stoppedReason ? { lastStopReason: stop.stoppedReason } : {}),
    ...(stop?.stoppedAt ? { lastStoppedAt: stop.stoppedAt.toISOString() } : {}),
    ...(note ? { note } : {}),
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
