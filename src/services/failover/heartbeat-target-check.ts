import { HEARTBEAT_NS, type Heartbeat, heartbeatKey } from '../../domain/heartbeat.js';
import { standbyFit } from '../../domain/tunnel-fitness.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { LivenessAddress, ProcessLiveness } from '../../ports/liveness.js';
import type { RouteTables } from '../../ports/route-tables.js';
import type { Store } from '../../ports/store.js';
import { tunnelFacts } from './controller-facts.js';
import { FailoverExecutor } from './failover-executor.js';
import type { TargetCheck } from './failover-plan.js';

/**
 * The executor's target check from the monitor's heartbeat: the policy's own standby test (fresh
 * heartbeat, monitor says up), so the executor re-checks, just before it changes routes, what the controller decided on.
 * The task is not re-read here; the controller already refused a stopped one.
 */
export function heartbeatTargetCheck(deps: { store: Store; clock: Clock }): TargetCheck {
  return async (site, tunnel) => {
    const rec = await deps.store.get<Heartbeat>(HEARTBEAT_NS, heartbeatKey(site.name, tunnel));
    const fit = standbyFit(tunnelFacts(tunnel, rec?.value, deps.clock.now(), 'unknown'), site.failover);
    return { healthy: fit.fit, reason: fit.why };
  };
}

/**
 * The executor of the automatic path (the controller Lambda, the lab, the app without the approvals
 * feature): it trusts the monitors' heartbeats, the same facts the controller decided on.
 */
export function heartbeatFailoverExecutor(deps: {
  store: Store;
  routeTables: RouteTables;
  clock: Clock;
  log: Logger;
  holderAt?: LivenessAddress;
  liveness?: ProcessLiveness;
}): FailoverExecutor {
  return new FailoverExecutor({ ...deps, checkTarget: heartbeatTargetCheck(deps) });
}
