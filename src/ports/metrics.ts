import type { Site } from '../config/topology-schema.js';
import type { AlarmSummary, ProbeStats } from '../domain/observations.js';
import type { Outcome } from '../domain/outcome.js';

export const METRIC_NAMESPACE = 'TunnelOps';

/** CloudWatch metrics and alarms. Keyed by tunnelKey(site, tunnel). */
export interface Metrics {
  probeStats(sites: readonly Site[], windowMinutes: number): Promise<Map<string, Outcome<ProbeStats>>>;
  alarms(sites: readonly Site[]): Promise<Map<string, Outcome<AlarmSummary[]>>>;
  /** A PNG health graph of the site's tunnels, or null when none can be drawn. */
  healthGraph(site: Site): Promise<Buffer | null>;
}
