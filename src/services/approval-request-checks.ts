import type { Site } from '../config/topology-schema.js';
import type { ApprovalAction } from '../domain/approval.js';
import { reasonOf } from '../domain/outcome.js';
import { mostCommonTunnel, type RouteSlot, routeSlots } from '../domain/route-plan.js';
import { findTunnel, otherTunnel } from '../domain/topology.js';
import type { RouteTables } from '../ports/route-tables.js';
import type { TargetCheck } from './failover-executor.js';

export interface RequestCheckDeps {
  routeTables: RouteTables;
  checkTarget?: TargetCheck;
}

export type RequestCheck = { ok: true; to?: string; evidence: string[] } | { ok: false; reason: string };

const tunnelNames = (site: Site): string => site.tunnels.map((t) => t.name).join(', ');

/**
 * What can be refused before anyone is asked to approve: unknown tunnels, a failover onto the tunnel that
 * is already active, a redeploy of the active tunnel without --force. Adds the routes and the target's health
 * as evidence for the approver. The executor checks all of it again under the site lock.
 */
export async function requestChecks(
  site: Site,
  input: { action: ApprovalAction; to?: string; tunnel?: string; force?: boolean },
  deps: RequestCheckDeps,
): Promise<RequestCheck> {
  const slots = await readSlots(site, deps.routeTables);
  const active = slots.ok ? mostCommonTunnel(slots.value) : null;
  const evidence: string[] = [];
  if (slots.ok) {
    const on = active ? slots.value.filter((s) => s.tunnel === active).length : 0;
    evidence.push(
      active ? `Routes: ${on}/${slots.value.length} on ${active}` : 'Routes: no tunnel carries traffic',
    );
  } else evidence.push(`Routes: unknown, because ${slots.reason}`);

  if (input.action === 'redeploy') {
    const tunnel = input.tunnel ?? '';
    if (!findTunnel(site, tunnel))
      return { ok: false, reason: `${tunnel} is not a tunnel of ${site.name} (${tunnelNames(site)}).` };
    const carrying = slots.ok ? slots.value.some((s) => s.tunnel === tunnel) : true;
    if (carrying && !input.force) {
      const why = slots.ok
        ? `${tunnel} carries traffic for ${site.name}`
        : `cannot tell whether ${tunnel} carries traffic`;
      return {
        ok: false,
        reason: `${why}: fail over first (\`/vpn failover ${site.name}\`), or add --force to restart it anyway.`,
      };
    }
    if (carrying)
      evidence.push(
        `:warning: --force: ${tunnel} carries traffic; the site loses connectivity while it restarts`,
      );
    return { ok: true, evidence };
  }

  let to = input.to;
  if (to === undefined) {
    if (!active)
      return {
        ok: false,
        reason: `Cannot tell which tunnel of ${site.name} is active; say which one with --to <tunnel>.`,
      };
    to = otherTunnel(site, active).name;
  }
  if (!findTunnel(site, to))
    return { ok: false, reason: `${to} is not a tunnel of ${site.name} (${tunnelNames(site)}).` };
  if (slots.ok && slots.value.every((s) => s.tunnel === to)) {
    return {
      ok: false,
      reason: `${to} is already active on every route of ${site.name}; nothing to fail over.`,
    };
  }
  if (deps.checkTarget) {
    const h = await deps.checkTarget(site, to).catch((err) => ({ healthy: false, reason: reasonOf(err) }));
    evidence.push(
      h.healthy
        ? `Target ${to}: healthy (${h.reason})`
        : `:warning: Target ${to} is not healthy now: ${h.reason}`,
    );
  }
  return { ok: true, to, evidence };
}

async function readSlots(
  site: Site,
  routeTables: RouteTables,
): Promise<{ ok: true; value: RouteSlot[] } | { ok: false; reason: string }> {
  try {
    const outcome = (await routeTables.observe([site])).get(site.name);
    if (!outcome) return { ok: false, reason: 'no answer' };
    return outcome.ok ? { ok: true, value: routeSlots(site, outcome.value) } : outcome;
  } catch (err) {
    return { ok: false, reason: reasonOf(err) };
  }
}
