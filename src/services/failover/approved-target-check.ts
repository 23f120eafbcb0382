import type { Clock } from '../../ports/clock.js';
import type { Store } from '../../ports/store.js';
import type { TargetCheck } from './failover-plan.js';
import { heartbeatTargetCheck } from './heartbeat-target-check.js';

/**
 * An approved failover's target check: the fast path's fitness first (a fresh heartbeat from the target's
 * monitor saying up; src/domain/failover-policy.ts standbyFit), then whatever else the deployment knows
 * (`/vpn status`: ECS task, instance, alarms). The status view alone is not enough: it ignores a stale heartbeat,
 * and with no metrics in the last minute its 5-minute mean still reads healthy, so a dead host would pass for
 * 30-60 s. One test of fitness for both paths: the automatic one decides on the same standbyFit.
 */
export function approvedTargetCheck(deps: { store: Store; clock: Clock; also: TargetCheck }): TargetCheck {
  const standby = heartbeatTargetCheck(deps);
  return async (site, tunnel) => {
    const byMonitor = await standby(site, tunnel);
    if (!byMonitor.healthy) return byMonitor;
    return deps.also(site, tunnel);
  };
}
