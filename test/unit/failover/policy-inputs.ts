import type { FailoverMode } from '../../../src/config/topology-schema.js';
import type { PolicyInput } from '../../../src/domain/failover-policy.js';
import type { TunnelFacts } from '../../../src/domain/tunnel-fitness.js';

/** Policy inputs for table-style tests of decide(): a fit tunnel, a down one, and routes that disagree. */
export const up = (name: string): TunnelFacts => ({
  name,
  health: 'up',
  riseCount: 5,
  fallCount: 0,
  heartbeatAgeMs: 1000,
  task: 'running',
});
export const down = (name: string): TunnelFacts => ({
  name,
  health: 'down',
  riseCount: 0,
  fallCount: 3,
  heartbeatAgeMs: 1000,
  task: 'running',
});

export function policyInput(
  p: Partial<PolicyInput> & Pick<PolicyInput, 'tunnels'>,
  mode: FailoverMode = 'auto',
): PolicyInput {
  return {
    site: 'dc1',
    active: null,
    routesProblem: 'rtb-1 10.20.0.0/16 -> nowhere',
    settings: {
      mode,
      rise: 5,
      fall: 3,
      probeIntervalSeconds: 1,
      cooldownSeconds: 300,
      maxAutomaticPerHour: 3,
      heartbeatStaleSeconds: 10,
    },
    sinceLastFailoverMs: 10_000,
    automaticLastHour: 3,
    ...p,
  };
}
