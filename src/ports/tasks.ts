import type { Site } from '../config/topology-schema.js';
import type { TunnelTaskState } from '../domain/observations.js';
import type { Outcome } from '../domain/outcome.js';

export type DeploymentProgress = { state: 'in-progress' | 'completed' | 'failed'; detail: string };

/** The ECS services that run each tunnel's OpenVPN server. Keyed by tunnelKey(site, tunnel). */
export interface TaskRuntime {
  observe(sites: readonly Site[]): Promise<Map<string, Outcome<TunnelTaskState>>>;
  /** Starts a new deployment of the tunnel's service (forceNewDeployment). Returns the deployment id. */
  redeploy(site: Site, tunnel: string): Promise<string>;
  deploymentProgress(site: Site, tunnel: string, deploymentId: string): Promise<DeploymentProgress>;
}
