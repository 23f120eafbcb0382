import type { Site } from '../../config/topology-schema.js';
import type { ApprovalAction, Caution } from '../../domain/approval.js';
import { reasonOf } from '../../domain/outcome.js';
import { type RefusalCode, unknownTunnelReason } from '../../domain/refusal.js';
import { describeStep } from '../../domain/rotation-plan.js';
import { mostCommonTunnel, type RouteSlot, routeSlots } from '../../domain/route-plan.js';
import type { SiteStatus } from '../../domain/status.js';
import { findTunnel, otherTunnel } from '../../domain/topology.js';
import type { RouteTables } from '../../ports/route-tables.js';
import type { TargetCheck } from '../failover/failover-plan.js';
import type { RotationExecutor } from '../rotation/rotation-executor.js';

export interface RequestCheckDeps {
  routeTables: RouteTables;
  checkTarget?: TargetCheck;
  /**
   * The site's status when the deployment has one: it already holds the routes and every tunnel's health,
   * so one report replaces the route read and the target check (which would read the routes again).
   */
  siteStatus?: (site: Site) => Promise<SiteStatus | undefined>;
  rotation?: RotationExecutor;
}

export type RequestCheck =
  | { ok: true; to?: string; evidence: string[]; cautions: Caution[] }
  | RequestRefusal;

/** A request refused before anyone is asked: the code for callers, the reason for people. */
export type RequestRefusal = { ok: false; code: RefusalCode; reason: string };

export const refused = (code: RefusalCode, reason: string): RequestRefusal => ({ ok: false, code, reason });

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
  if (input.action === 'rotate') return rotationCheck(site, deps.rotation);
  const routes = await readRoutes(site, deps);
  if (input.action === 'redeploy') return redeployCheck(site, input, routes);
  return failoverCheck(site, input.to, routes, deps);
}

/** What the routes show, read once: from the site's status when there is one, else from the route tables. */
interface Routes {
  status: SiteStatus | undefined;
  slots: Slots;
  active: string | null;
  /** The routes in one line, the approver's first piece of evidence. */
  evidence: string[];
}

async function readRoutes(site: Site, deps: RequestCheckDeps): Promise<Routes> {
  const status = await deps.siteStatus?.(site).catch(() => undefined);
  const slots = status ? slotsFrom(site, status.routes) : await readSlots(site, deps.routeTables);
  const active = slots.ok ? mostCommonTunnel(slots.value) : null;
  return { status, slots, active, evidence: [routesLine(slots, active)] };
}

function routesLine(slots: Slots, active: string | null): string {
  if (!slots.ok) return `Routes: unknown, because ${slots.reason}`;
  if (!active) return 'Routes: no tunnel carries traffic';
  const on = slots.value.filter((s) => s.tunnel === active).length;
  return `Routes: ${on}/${slots.value.length} on ${active}`;
}

const notATunnel = (site: Site, name: string): RequestCheck =>
  refused('unknown-tunnel', `${unknownTunnelReason(site, name)}.`);

/** A redeploy of a tunnel that carries traffic (or may: routes unread) needs --force, and warns the approver. */
function redeployCheck(
  site: Site,
  input: { tunnel?: string; force?: boolean },
  routes: Routes,
): RequestCheck {
  const tunnel = input.tunnel ?? '';
  if (!findTunnel(site, tunnel)) return notATunnel(site, tunnel);
  const { slots } = routes;
  const carrying = slots.ok ? slots.value.some((s) => s.tunnel === tunnel) : true;
  if (carrying && !input.force) {
    const why = slots.ok
      ? `${tunnel} carries traffic for ${site.name}`
      : `cannot tell whether ${tunnel} carries traffic`;
    return {
      ok: false,
      code: 'carrying-traffic',
      reason: `${why}: fail over first (\`/vpn failover ${site.name}\`), or add --force to restart it anyway.`,
    };
  }
  return {
    ok: true,
    evidence: routes.evidence,
    cautions: carrying ? [{ kind: 'forced-redeploy', tunnel }] : [],
  };
}

/** A failover needs a target (asked, or the tunnel besides the active one) that is not active everywhere yet. */
async function failoverCheck(
  site: Site,
  asked: string | undefined,
  routes: Routes,
  deps: RequestCheckDeps,
): Promise<RequestCheck> {
  const to = asked ?? (routes.active ? otherTunnel(site, routes.active).name : undefined);
  if (to === undefined)
    return {
      ok: false,
      code: 'active-unknown',
      reason: `Cannot tell which tunnel of ${site.name} is active; say which one with --to <tunnel>.`,
    };
  if (!findTunnel(site, to)) return notATunnel(site, to);
  if (routes.slots.ok && routes.slots.value.every((s) => s.tunnel === to)) {
    return {
      ok: false,
      code: 'already-active',
      reason: `${to} is already active on every route of ${site.name}; nothing to fail over.`,
    };
  }
  const check = routes.status ? statusCheck(routes.status) : deps.checkTarget;
  return { ok: true, to, ...(await targetHealth(site, to, check, routes.evidence)) };
}

/** The target's health at request time: evidence when healthy, a caution for the approver when not. */
async function targetHealth(
  site: Site,
  to: string,
  check: TargetCheck | undefined,
  evidence: string[],
): Promise<{ evidence: string[]; cautions: Caution[] }> {
  if (!check) return { evidence, cautions: [] };
  const h = await check(site, to).catch((err) => ({ healthy: false, reason: reasonOf(err) }));
  return h.healthy
    ? { evidence: [...evidence, `Target ${to}: healthy (${h.reason})`], cautions: [] }
    : { evidence, cautions: [{ kind: 'target-unhealthy', tunnel: to, reason: h.reason }] };
}

/** A rotation is refused before anyone is asked when nothing is staged; the plan is the approver's evidence. */
async function rotationCheck(site: Site, rotation: RotationExecutor | undefined): Promise<RequestCheck> {
  if (!rotation)
    return {
      ok: false,
      code: 'not-enabled',
      reason: '`/vpn rotate` is not enabled in this process.',
    };
  const plan = await rotation.plan(site);
  if (!plan.ok) return plan;
  return {
    ok: true,
    evidence: [
      ...plan.evidence,
      `Steps: ${plan.steps.map((s) => describeStep(site.name, s)).join('; then ')}`,
    ],
    cautions: [],
  };
}

type Slots = { ok: true; value: RouteSlot[] } | { ok: false; reason: string };

function slotsFrom(site: Site, routes: SiteStatus['routes'] | undefined): Slots {
  if (!routes) return { ok: false, reason: 'no answer' };
  return routes.ok ? { ok: true, value: routeSlots(site, routes.value) } : routes;
}

async function readSlots(site: Site, routeTables: RouteTables): Promise<Slots> {
  try {
    return slotsFrom(site, (await routeTables.observe([site])).get(site.name));
  } catch (err) {
    return { ok: false, reason: reasonOf(err) };
  }
}

/** The same verdict as statusTargetCheck, taken from a report already read. */
const statusCheck =
  (status: SiteStatus): TargetCheck =>
  async (site, tunnel) => {
    const t = status.tunnels.find((x) => x.name === tunnel);
    if (!t) return { healthy: false, reason: `no status for ${site.name}/${tunnel}` };
    return { healthy: t.health === 'healthy', reason: t.healthReason };
  };
