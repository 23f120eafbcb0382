import type { Site } from '../config/topology-schema.js';
import { reasonOf } from '../domain/outcome.js';
import { describeSlot, type RouteSlot } from '../domain/route-plan.js';
import type { RouteTables } from '../ports/route-tables.js';
import type { ExecutionAudit } from './execution-audit.js';

/** A route a failover run changed, with what it pointed at before (null: nothing we can restore). */
export interface ChangedRoute extends RouteSlot {
  from: string | null;
}

/**
 * Points what a failed run changed back at its previous tunnel, newest first, with ReplaceRoute like the
 * forward path. Keeps going past a failing route so as much as possible is restored; says what was not.
 */
export async function rollBackRoutes(
  routeTables: RouteTables,
  site: Site,
  changed: readonly ChangedRoute[],
  audit: ExecutionAudit,
): Promise<{ count: number; reason?: string }> {
  if (changed.length === 0) return { count: 0 };
  const restored: Array<{ routeTableId: string; cidr: string; to: string }> = [];
  const failures: string[] = [];
  for (const c of [...changed].reverse()) {
    if (c.from === null) {
      failures.push(`${describeSlot(c)} had no tunnel before`);
      continue;
    }
    try {
      await routeTables.replace(site, c.routeTableId, c.cidr, c.from);
      restored.push({ routeTableId: c.routeTableId, cidr: c.cidr, to: c.from });
    } catch (err) {
      failures.push(`${describeSlot(c)}: ${reasonOf(err)}`);
    }
  }
  await audit.record('rolled-back', { routes: restored, rolledBack: restored.length, failures });
  return failures.length > 0
    ? { count: restored.length, reason: `could not roll back ${failures.join('; ')}` }
    : { count: restored.length };
}
