import type { Site } from '../config/topology-schema.js';
import type { Outcome } from '../domain/outcome.js';

/** Probe figures over a window (the monitor publishes TunnelUp, ProbeLossPct, ProbeLatencyMs). */
export interface ProbeStats {
  /** Mean loss in percent over the window; null when there were no samples. */
  lossPct: number | null;
  /** Mean round-trip latency in ms; null when there were no samples. */
  latencyMs: number | null;
  /** Loss of the most recent minute, to tell "down now" from "was down earlier". */
  recentLossPct: number | null;
  samples: number;
}

export interface AlarmSummary {
  name: string;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  reason: string;
  since: string;
}

export const METRIC_NAMESPACE = 'TunnelOps';

/** CloudWatch metrics and alarms. Keyed by tunnelKey(site, tunnel). */
export interface Metrics {
  probeStats(sites: readonly Site[], windowMinutes: number): Promise<Map<string, Outcome<ProbeStats>>>;
  alarms(sites: readonly Site[]): Promise<Map<string, Outcome<AlarmSummary[]>>>;
  /** A PNG health graph of the site's tunnels, or null when none can be drawn. */
  healthGraph(site: Site): Promise<Buffer | null>;
}
