import type { Site } from '../config/topology-schema.js';
import type { InstanceState } from '../domain/observations.js';
import type { Outcome } from '../domain/outcome.js';

/** The EC2 instances that host each tunnel's server. Keyed by tunnelKey(site, tunnel). */
export interface Instances {
  observe(sites: readonly Site[]): Promise<Map<string, Outcome<InstanceState>>>;
}
