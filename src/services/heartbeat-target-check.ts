import { isStale } from '../domain/failover-policy.js';
import type { Logger } from '../log.js';
import { HEARTBEAT_NS, type Heartbeat, heartbeatKey } from '../monitor/heartbeat-reporter.js';
import type { Clock } from '../ports/clock.js';
import type { RouteTables } from '../ports/route-tables.js';
import type { Store } from '../ports/store.js';
import { FailoverExecutor, type TargetCheck } from './failover-executor.js';

/**
 * The executor's target check from the monitor's heartbeat: healthy when the tunnel's monitor
 * says up and its heartbeat is fresh (the same test the policy applies to the standby).
 */
export function heartbeatTargetCheck(deps: { store: Store; clock: Clock }): TargetCheck {
  return async (site, tunnel) => {
    const rec = await deps.store.get<Heartbeat>(HEARTBEAT_NS, heartbeatKey(site.name, tunnel));
    if (!rec) return { healthy: false, reason: `no heartbeat from the ${tunnel} monitor` };
    const age = deps.clock.now() - Date.parse(rec.value.at);
    const stale = isStale(
      {
        name: tunnel,
        health: rec.value.health,
        riseCount: 0,
        fallCount: 0,
        heartbeatAgeMs: age,
        task: 'unknown',
      },
      site.failover.heartbeatStaleSeconds,
    );
    if (stale)
      return {
        healthy: false,
        reason: `the ${tunnel} monitor's heartbeat is ${Math.round(age / 1000)} s old`,
      };
    if (rec.value.health !== 'up')
      return { healthy: false, reason: `the ${tunnel} monitor reports it ${rec.value.health}` };
    return {
      healthy: true,
      reason: `the ${tunnel} monitor reports it up (${rec.value.riseCount} good rounds)`,
    };
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
}): FailoverExecutor {
  return new FailoverExecutor({ ...deps, checkTarget: heartbeatTargetCheck(deps) });
}
