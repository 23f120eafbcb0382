import type { Site } from '../config/topology-schema.js';
import type { Outcome } from '../domain/outcome.js';

export interface TunnelTaskState {
  desired: number;
  running: number;
  pending: number;
  /** More than one deployment, or a PRIMARY deployment still rolling out: a planned deploy is in progress. */
  deploying: boolean;
  lastStopReason?: string;
  lastStoppedAt?: string;
  /** How the state was read, when the reader should know (e.g. Container Insights unavailable, ECS asked instead). */
  note?: string;
}

export type DeploymentProgress = { state: 'in-progress' | 'completed' | 'failed'; detail: string };

/** The ECS services that run each tunnel's OpenVPN server. Keyed by tunnelKey(site, tunnel). */
export interface TaskRuntime {
  observe(sites: readonly Site[]): Promise<Map<string, Outcome<TunnelTaskState>>>;
  /** Starts a new deployment of the tunnel's service (forceNewDeployment). Returns the deployment id. */
  redeploy(site: Site, tunnel: string): Promise<string>;
  deploymentProgress(site: Site, tunnel: string, deploymentId: string): Promise<DeploymentProgress>;
}
