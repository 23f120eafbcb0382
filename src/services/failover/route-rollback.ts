import type { Site } from '../../config/topology-schema.js';
import { reasonOf } from '../../domain/outcome.js';
import { describeSlot, type RouteSlot } from '../../domain/route-plan.js';
import type { RouteTables } from '../../ports/route-tables.js';
import type { ExecutionAudit } from '../execution/execution-audit.js';
import { pointRoute, runBounded, slotKey } from './route-writes.js';

/** A route a run touched: the call went out, so EC2 may have applied it even when the call failed or timed out. */
export interface TouchedRoute extends RouteSlot {
  outcome: 'applied' | 'unknown';
}

const ATTEMPTS = 2;

/** The routes a rollback must point at the target, and why the read failed if it did. */
interface RollbackSet {
  todo: Map<string, RouteSlot>;
  readFailed: string | null;
}

/**
 * What a fresh read shows off the target, plus every route the run touched (a call whose outcome is unknown may
 * have landed after the read). A failed read leaves the touched routes' state unknown (`tunnel: null`).
 */
async function routesToConverge(
  read: () => Promise<RouteSlot[]>,
  touched: Iterable<TouchedRoute>,
  target: string,
): Promise<RollbackSet> {
  const todo = new Map<string, RouteSlot>();
  let readFailed: string | null = null;
  try {
    for (const s of await read()) if (s.tunnel !== target) todo.set(slotKey(s), s);
  } catch (err) {
    readFailed = reasonOf(err);
  }
  for (const t of touched) {
    const key = slotKey(t);
    if (todo.has(key)) continue;
    // The read shows it on target already; rewriting is harmless (idempotent) and covers a late landing.
    todo.set(key, {
      routeTableId: t.routeTableId,
      cidr: t.cidr,
      tunnel: readFailed === null ? target : null,
    });
  }
  return { todo, readFailed };
}

/** Why a rollback did not converge, or undefined when every route is back on the target. */
function rollbackReason(failures: string[], stillOff: number, target: string): string | undefined {
  if (failures.length > 0) return `could not roll back ${failures.join('; ')}`;
  if (stillOff > 0) return `rollback stopped with ${stillOff} route(s) not on ${target}`;
  return undefined;
}

/**
 * Rollback as convergence: every route of the site ends on ONE tunnel, not "undo my list". The set is what a
 * fresh read shows off the target plus every route the run touched (see routesToConverge). Each route gets two
 * tries; keeps going past failures and says what is still off. `stop()` ends it early (the run lost its lease:
 * the new holder converges). `beforeWrite` runs before each call (the lease re-check) and gives the signal that
 * bounds it.
 */
export async function convergeRoutes(props: {
  routeTables: RouteTables;
  site: Site;
  target: string;
  touched: Iterable<TouchedRoute>;
  read: () => Promise<RouteSlot[]>;
  audit: ExecutionAudit;
  concurrency: number;
  stop: () => boolean;
  beforeWrite: () => Promise<AbortSignal | undefined>;
}): Promise<{ count: number; reason?: string; stillOff: number }> {
  const { routeTables, site, target } = props;
  const { todo, readFailed } = await routesToConverge(props.read, props.touched, target);
  const restored: Array<{ routeTableId: string; cidr: string; to: string }> = [];
  const failures: string[] = [];
  const restore = async (slot: RouteSlot): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await pointRoute(routeTables, site, slot, target, await props.beforeWrite());
        restored.push({ routeTableId: slot.routeTableId, cidr: slot.cidr, to: target });
        return;
      } catch (err) {
        if (attempt >= ATTEMPTS || props.stop()) {
          failures.push(`${describeSlot(slot)}: ${reasonOf(err)}`);
          return;
        }
      }
    }
  };
  await runBounded([...todo.values()], props.concurrency, restore, props.stop);
  const stillOff = todo.size - restored.length;
  void props.audit.record('rolled-back', {
    to: target,
    routes: restored,
    rolledBack: restored.length,
    failures,
    ...(readFailed ? { readFailed } : {}),
  });
  const reason = rollbackReason(failures, stillOff, target);
  return reason ? { count: restored.length, reason, stillOff } : { count: restored.length, stillOff };
}
