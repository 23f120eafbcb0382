import type { ProbePoint, ProbeStats } from '../domain/observations.js';

/** One GetMetricData result series: values with their period start times. */
export interface Series {
  timestamps: Date[];
  values: number[];
}

export const emptySeries = (): Series => ({ timestamps: [], values: [] });

/**
 * Probe stats from per-period series: loss averaged over probes (each period weighted by its sample
 * count), latency averaged over periods, and the loss of the latest period if it started within
 * `recentMs` of `endMs` (so an old period does not pass for "now").
 */
export function probeStatsOf(
  loss: Series,
  counts: Series,
  latency: Series,
  endMs: number,
  recentMs: number,
): ProbeStats {
  const countAt = new Map(counts.timestamps.map((t, i) => [t.getTime(), counts.values[i] ?? 0]));
  let weighted = 0;
  let samples = 0;
  let latest: { at: number; value: number } | null = null;
  loss.values.forEach((value, i) => {
    const at = loss.timestamps[i]?.getTime() ?? 0;
    const n = countAt.get(at) ?? 1;
    weighted += value * n;
    samples += n;
    if (!latest || at > latest.at) latest = { at, value };
  });
  const recent = latest as { at: number; value: number } | null;
  const lat = latency.values;
  return {
    lossPct: samples > 0 ? weighted / samples : null,
    latencyMs: lat.length > 0 ? lat.reduce((a, b) => a + b, 0) / lat.length : null,
    recentLossPct: recent && endMs - recent.at <= recentMs ? recent.value : null,
    samples,
  };
}

/** Loss and latency per period, oldest first (GetMetricData answers newest first; a period may lack either). */
export function probePointsOf(loss: Series, latency: Series): ProbePoint[] {
  const points = new Map<number, ProbePoint>();
  const at = (t: Date | undefined): ProbePoint => {
    const ms = t?.getTime() ?? 0;
    let p = points.get(ms);
    if (!p) {
      p = { at: ms, lossPct: null, latencyMs: null };
      points.set(ms, p);
    }
    return p;
  };
  loss.values.forEach((v, i) => {
    at(loss.timestamps[i]).lossPct = v;
  });
  latency.values.forEach((v, i) => {
    at(latency.timestamps[i]).latencyMs = v;
  });
  return [...points.values()].sort((a, b) => a.at - b.at);
}
