import { TunnelOpsError } from '../domain/errors.js';
import type { TaskRuntime } from '../ports/tasks.js';

/**
 * Where no ECS runs the servers (the lab: the entrypoints are plain processes): no task facts, so the policy
 * decides on the monitors' heartbeats and peer views alone; redeploy is refused with a reason.
 */
export const noTasks: TaskRuntime = {
  async observe() {
    return new Map();
  },
  async redeploy() {
    throw new TunnelOpsError('bad_request', 'no task runtime here: redeploy is not available');
  },
  async deploymentProgress() {
    throw new TunnelOpsError('bad_request', 'no task runtime here: redeploy is not available');
  },
};
