import type { Topology } from '../../config/topology-schema.js';
import { type ApprovalRequest, isDue } from '../../domain/approval.js';
import { findSite } from '../../domain/topology.js';
import type { Clock } from '../../ports/clock.js';
import type { RouteTables } from '../../ports/route-tables.js';
import { type ExecutionLeases, reconcileAbandoned } from './approval-execution.js';
import type { ApprovalNotifier } from './approval-notifier.js';
import type { ApprovalStore } from './approval-store.js';
import { type ApprovalTransitions, SYSTEM_ACTOR } from './approval-transitions.js';

export interface SweepDeps {
  topology: Topology;
  routeTables: RouteTables;
  clock: Clock;
  requests: ApprovalStore;
  transitions: ApprovalTransitions;
  notifier: ApprovalNotifier;
  leases: ExecutionLeases;
}

/** A run whose process died: still "executing" past its lease, or approved but never started. */
function abandoned(r: ApprovalRequest, now: number, leases: ExecutionLeases): boolean {
  if (r.state === 'executing') return (r.leaseUntil ?? 0) <= now;
  if (r.state === 'approved') return (r.approvedAt ?? 0) + leases[r.action] <= now;
  return false;
}

/**
 * Expires pending requests past their time, and closes runs abandoned by a dead process from what the
 * route tables show. Safe in several processes at once: every change is a compare-and-set. Returns how many
 * requests it closed.
 */
export async function sweepApprovals(deps: SweepDeps): Promise<number> {
  let closed = 0;
  const now = deps.clock.now();
  for (const rec of await deps.requests.listOpen()) {
    const r = rec.value;
    if (isDue(r, now)) {
      if (await deps.transitions.expire(rec)) closed++;
    } else if (abandoned(r, now, deps.leases)) {
      const site = findSite(deps.topology, r.site);
      const result = site
        ? await reconcileAbandoned(r, site, deps.routeTables)
        : { ok: false, summary: `Site ${r.site} is no longer in the topology.` };
      const done = await deps.transitions.step(r.id, { kind: 'finish', result, now }, rec, {
        event: 'reconciled',
        actor: SYSTEM_ACTOR,
        detail: (next) => ({ outcome: next.state, summary: result.summary }),
      });
      if (!done.ok) continue;
      await deps.notifier.update(done.request);
      closed++;
    }
  }
  return closed;
}
