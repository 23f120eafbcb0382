import type { TunnelTaskState } from '../domain/observations.js';
import type { Outcome } from '../domain/outcome.js';
import type { TunnelSeries } from './metric-batch.js';
import type { Series } from './probe-series.js';

/**
 * What Container Insights says about a tunnel's ECS service:
 * - settled: running == desired, nothing pending, one deployment: no ECS call needed;
 * - unsettled: short of its count, pending or deploying: ECS is asked why (service, last stop);
 * - no-data: no task counts in the window (Container Insights off for the cluster, or a new service);
 * - failed: CloudWatch did not answer the task counts.
 */
export type TaskVerdict =
  | { kind: 'settled'; state: TunnelTaskState }
  | { kind: 'unsettled' }
  | { kind: 'no-data' }
  | { kind: 'failed'; reason: string };

/** The value of the newest datapoint (GetMetricData lists newest first, but pages may not). */
function latest(s: Series): number | undefined {
  let at = -Infinity;
  let value: number | undefined;
  s.timestamps.forEach((t, i) => {
    if (t.getTime() > at) {
      at = t.getTime();
      value = s.values[i];
    }
  });
  return value;
}

export function taskVerdict(series: Outcome<TunnelSeries> | undefined): TaskVerdict {
  if (!series) return { kind: 'failed', reason: 'no metrics answer for this tunnel' };
  if (!series.ok) return { kind: 'failed', reason: series.reason };
  const { running, desired, pending, deployments } = series.value;
  const values: Array<number | undefined> = [];
  for (const s of [running, desired, pending, deployments]) {
    if (!s) return { kind: 'failed', reason: 'task counts were not asked for' };
    if (!s.ok) return { kind: 'failed', reason: s.reason };
    values.push(latest(s.value));
  }
  const [r, d, p, n] = values;
  if (r === undefined || d === undefined) return { kind: 'no-data' };
  // Pending and deployment counts may be left out when there is nothing to count.
  if (r === d && (p ?? 0) === 0 && (n ?? 1) <= 1)
    return { kind: 'settled', state: { desired: d, running: r, pending: 0, deploying: false } };
  return { kind: 'unsettled' };
}
