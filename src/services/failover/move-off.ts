import type { Site } from '../../config/topology-schema.js';
import type { Decision } from '../../domain/failover-policy.js';
import { routeSlots } from '../../domain/route-plan.js';
import type { Logger } from '../../log.js';
import type { RouteTables } from '../../ports/route-tables.js';
import type { ControllerNotices } from './controller-notices.js';
import type { FailoverResult, FailoverRunner } from './failover-plan.js';

/**
 * A planned termination of a tunnel's instance (ASG lifecycle hook): when the tunnel carries routes, every route
 * moves to the other tunnel through the executor (which refuses an unfit target) before the instance goes; the
 * result is reported unless the routes were already off it.
 */
export async function moveOffTunnel(
  deps: {
    routeTables: RouteTables;
    executor: FailoverRunner;
    notices: ControllerNotices;
    actor: string;
    log: Logger;
  },
  site: Site,
  tunnel: string,
  instanceId: string,
): Promise<{ decision: Decision; result?: FailoverResult; posted: boolean }> {
  const log = deps.log.child({ site: site.name, trigger: 'planned-termination', tunnel, instanceId });
  const other = site.tunnels.find((t) => t.name !== tunnel)?.name;
  const carrying = await routesOn(deps.routeTables, site, tunnel);
  const decide = (action: Decision['action'], reason: string): Decision => ({
    action,
    code: 'planned-termination',
    reason,
    evidence: { tunnel, instanceId, carrying },
    ...(other && action === 'failover' ? { to: other } : {}),
  });
  if (carrying === 0 || !other) {
    const decision = decide(
      'none',
      `did nothing: ${tunnel} (instance ${instanceId}) carries no route of ${site.name}`,
    );
    log.info({ decision }, decision.reason);
    return { decision, posted: false };
  }
  // Unreadable routes: try anyway; the executor reads them again and refuses if it cannot.
  const decision = decide(
    'failover',
    `the instance ${instanceId} of ${tunnel} is being terminated by its Auto Scaling group (planned)`,
  );
  const result = await deps.executor.execute({
    site,
    to: other,
    actor: deps.actor,
    reason: decision.reason,
    trigger: 'automatic',
  });
  log.info({ result }, result.ok ? 'moved traffic off a terminating instance' : 'could not move traffic off');
  const quiet = !result.ok && result.refusal === 'already-active';
  const posted = quiet
    ? false
    : await deps.notices.report(site, { kind: 'failover', to: other, reason: decision.reason, result });
  return { decision, result, posted };
}

/** How many of the site's routes point at the tunnel; null when the routes cannot be read. */
async function routesOn(routeTables: RouteTables, site: Site, tunnel: string): Promise<number | null> {
  const observed = (await routeTables.observe([site]).catch(() => undefined))?.get(site.name);
  return observed?.ok ? routeSlots(site, observed.value).filter((s) => s.tunnel === tunnel).length : null;
}
