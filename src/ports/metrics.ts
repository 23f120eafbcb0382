import type { Site } from '../config/topology-schema.js';
import type { AlarmSummary, ProbePoint, ProbeStats } from '../domain/observations.js';
import type { Outcome } from '../domain/outcome.js';

export const METRIC_NAMESPACE = 'TunnelOps';
/** Whole days left of a server's CA, certificate or CRL (dimensions Site, Tunnel, Role), from its monitor. */
export const CERT_DAYS_LEFT = 'CertDaysLeft';

/** CloudWatch metrics and alarms. Keyed by tunnelKey(site, tunnel). */
export interface Metrics {
  probeStats(sites: readonly Site[], windowMinutes: number): Promise<Map<string, Outcome<ProbeStats>>>;
  alarms(sites: readonly Site[]): Promise<Map<string, Outcome<AlarmSummary[]>>>;
  /** Each tunnel's probe loss and latency per period over the last `minutes`, oldest first. Keyed by tunnel name. */
  probeSeries(site: Site, minutes: number): Promise<Map<string, Outcome<ProbePoint[]>>>;
}
