import type { StatusReport } from '../../domain/status.js';
import type { TargetCheck } from '../failover/failover-plan.js';

/** A failover target is fit when `/vpn status` calls it healthy (probes, task, instance, alarms, heartbeat). */
export function statusTargetCheck(
  status: { report(siteNames?: string[]): Promise<StatusReport> } | undefined,
): TargetCheck {
  return async (site, tunnel) => {
    if (!status) return { healthy: false, reason: 'tunnel health is not available on this deployment' };
    const t = (await status.report([site.name])).sites[0]?.tunnels.find((x) => x.name === tunnel);
    if (!t) return { healthy: false, reason: `no status for ${site.name}/${tunnel}` };
    return { healthy: t.health === 'healthy', reason: t.healthReason };
  };
}
