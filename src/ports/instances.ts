import type { Site } from '../config/topology-schema.js';
import type { Outcome } from '../domain/outcome.js';

export interface InstanceState {
  instanceId: string;
  /** EC2 state name: pending | running | stopping | stopped | shutting-down | terminated. */
  state: string;
}

/** The EC2 instances that host each tunnel's server. Keyed by tunnelKey(site, tunnel). */
export interface Instances {
  observe(sites: readonly Site[]): Promise<Map<string, Outcome<InstanceState>>>;
}
