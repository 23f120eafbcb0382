import { randomUUID } from 'node:crypto';
import type { Site } from '../config/topology-schema.js';
import { reasonOf } from '../domain/outcome.js';
import {
  describeSlot,
  mostCommonTunnel,
  type RouteSlot,
  routeSlots,
  slotsToChange,
} from '../domain/route-plan.js';
import { findTunnel } from '../domain/topology.js';
import type { Logger } from '../log.js';
import type { Clock } from '../ports/clock.js';
import type { RouteTables } from '../ports/route-tables.js';
import type { Store } from '../ports/store.js';
import { ExecutionAudit } from './execution-audit.js';
import { type ChangedRoute, rollBackRoutes } from './route-rollback.js';
import { type Lease, SiteLock } from './site-lock.js';

/** Is the target tunnel fit to carry traffic? (probe stats, ECS task, instance ...) */
export type TargetCheck = (site: Site, tunnel: string) => Promise<{ healthy: boolean; reason: string }>;

export interface FailoverPlan {
  site: Site;
  to: string;
  actor: string;
  requestId?: string;
  reason?: string;
  trigger: 'approved' | 'automatic';
  onProgress?: (message: string) => Promise<void> | void;
}

export type FailoverResult =
  | { ok: true; from: string | null; to: string; changed: number; durationMs: number }
  | { ok: false; refused: boolean; reason: string; changed: number; rolledBack: number; durationMs: number };

/** A precheck said no: nothing was changed. */
class Refusal extends Error {}
/** The lease expired mid-way and may be someone else's now: rolling back could undo their converging run. */
class LeaseLost extends Error {}

const DEFAULT_LOCK_TTL_MS = 60_000;

/**
 * Moves every route of a site onto one tunnel, shared by approved requests and the automatic controller.
 * The route tables are the source of truth: they are read before and (under the site lock) again, changed only
 * with ReplaceRoute, read back to verify, and what this run changed is rolled back if any step fails.
 */
export class FailoverExecutor {
  private readonly routeTables: RouteTables;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly checkTarget: TargetCheck;
  private readonly lock: SiteLock;
  private readonly lockTtlMs: number;
  private readonly store: Store;

  constructor(props: {
    store: Store;
    routeTables: RouteTables;
    clock: Clock;
    log: Logger;
    checkTarget: TargetCheck;
    lockTtlMs?: number;
  }) {
    this.store = props.store;
    this.routeTables = props.routeTables;
    this.clock = props.clock;
    this.log = props.log;
    this.checkTarget = props.checkTarget;
    this.lock = new SiteLock({ store: props.store, clock: props.clock });
    this.lockTtlMs = props.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
  }

  async execute(plan: FailoverPlan): Promise<FailoverResult> {
    const started = this.clock.now();
    const { site, to } = plan;
    const log = this.log.child({ site: site.name, to, requestId: plan.requestId, trigger: plan.trigger });
    const audit = new ExecutionAudit({ store: this.store, clock: this.clock, log, action: 'failover', plan });
    const elapsed = (): number => this.clock.now() - started;
    let lease: Lease | null = null;
    const changed: ChangedRoute[] = [];
    try {
      const before = await this.precheck(plan);
      lease = await this.lock.acquire(
        site.name,
        `failover:${plan.actor}:${randomUUID()}`,
        this.lockTtlMs,
        this.purpose(plan),
      );
      if (!lease) throw new Refusal(await this.lock.refusedReason(site.name));
      // Re-read under the lock: another run may have finished between our first read and the lease.
      const slots = await this.readSlots(site);
      const todo = slotsToChange(slots, to);
      if (todo.length === 0) throw new Refusal(`${to} is already active on every route of ${site.name}`);
      const from = mostCommonTunnel(todo) ?? mostCommonTunnel(before);
      await audit.record('started', {
        from,
        to,
        trigger: plan.trigger,
        reason: plan.reason,
        routes: todo.length,
      });
      await audit.progress(
        `Moving ${todo.length} route(s) of ${site.name} from ${from ?? 'nowhere'} to ${to}...`,
      );

      for (const slot of todo) {
        lease = await this.keepLease(lease);
        const t0 = this.clock.now();
        await this.routeTables.replace(site, slot.routeTableId, slot.cidr, to);
        changed.push({ ...slot, from: slot.tunnel });
        const detail = { routeTableId: slot.routeTableId, cidr: slot.cidr, from: slot.tunnel, to };
        await audit.record('routes-changed', { ...detail, durationMs: this.clock.now() - t0 });
        await audit.progress(
          `${describeSlot(slot)}: ${slot.tunnel ?? 'none'} -> ${to} (${changed.length}/${todo.length})`,
        );
      }

      const after = await this.readSlots(site);
      const wrong = after.filter((s) => s.tunnel !== to);
      if (wrong.length > 0) {
        throw new Error(
          `verify failed: ${wrong.map((s) => `${describeSlot(s)} -> ${s.tunnel ?? 'none'}`).join(', ')}`,
        );
      }
      const durationMs = elapsed();
      await audit.record('succeeded', { from, to, changed: changed.length, durationMs });
      await audit.progress(
        `Failover of ${site.name} to ${to} done: ${changed.length} route(s) in ${durationMs} ms`,
      );
      log.info({ from, changed: changed.length, durationMs }, 'failover succeeded');
      return { ok: true, from, to, changed: changed.length, durationMs };
    } catch (err) {
      if (err instanceof Refusal) {
        const durationMs = elapsed();
        await audit.record('refused', { reason: err.message, to, trigger: plan.trigger, durationMs });
        await audit.progress(`Failover of ${site.name} to ${to} refused: ${err.message}`);
        log.info({ reason: err.message }, 'failover refused');
        return { ok: false, refused: true, reason: err.message, changed: 0, rolledBack: 0, durationMs };
      }
      const reason = reasonOf(err);
      log.error({ err, changed: changed.length }, 'failover failed; rolling back');
      const rollback =
        err instanceof LeaseLost
          ? { count: 0, reason: 'not rolled back' }
          : await rollBackRoutes(this.routeTables, site, changed, audit);
      const durationMs = elapsed();
      const full = rollback.reason ? `${reason}; ${rollback.reason}` : reason;
      await audit.record('failed', {
        reason: full,
        changed: changed.length,
        rolledBack: rollback.count,
        durationMs,
      });
      await audit.progress(
        `Failover of ${site.name} to ${to} failed: ${reason}. Rolled back ${rollback.count}/${changed.length} route(s).`,
      );
      return {
        ok: false,
        refused: false,
        reason: full,
        changed: changed.length,
        rolledBack: rollback.count,
        durationMs,
      };
    } finally {
      if (lease)
        await this.lock.release(lease).catch((err) => log.warn({ err }, 'could not release the site lock'));
    }
  }

  /** Everything that can refuse without changing anything; returns the routes as first read. */
  private async precheck(plan: FailoverPlan): Promise<RouteSlot[]> {
    const { site, to } = plan;
    if (!findTunnel(site, to)) {
      throw new Refusal(
        `${to} is not a tunnel of ${site.name} (${site.tunnels.map((t) => t.name).join(', ')})`,
      );
    }
    const slots = await this.readSlots(site).catch((err) => {
      throw new Refusal(`cannot read the route tables of ${site.name}: ${reasonOf(err)}`);
    });
    if (slotsToChange(slots, to).length === 0)
      throw new Refusal(`${to} is already active on every route of ${site.name}`);
    const health = await this.checkTarget(site, to).catch((err) => ({
      healthy: false,
      reason: reasonOf(err),
    }));
    if (!health.healthy) throw new Refusal(`${to} is not healthy: ${health.reason}`);
    const held = await this.lock.heldReason(site.name);
    if (held) throw new Refusal(held);
    return slots;
  }

  private async readSlots(site: Site): Promise<RouteSlot[]> {
    const outcome = (await this.routeTables.observe([site])).get(site.name);
    if (!outcome) throw new Error(`no route observation for ${site.name}`);
    if (!outcome.ok) throw new Error(`cannot read the route tables: ${outcome.reason}`);
    return routeSlots(site, outcome.value);
  }

  /** Renews the lease once half of it is used; a lost lease stops the run (someone else may be converging). */
  private async keepLease(lease: Lease): Promise<Lease> {
    if (lease.expiresAt - this.clock.now() > this.lockTtlMs / 2) return lease;
    const renewed = await this.lock.renew(lease, this.lockTtlMs);
    if (!renewed)
      throw new LeaseLost('lost the site lock mid-way (lease expired); the next run converges the routes');
    return renewed;
  }

  private purpose(plan: FailoverPlan): string {
    return `failover to ${plan.to} (${plan.trigger}${plan.requestId ? ` ${plan.requestId}` : ''})`;
  }
}
