// length: not split yet (issue 19 follow-up: one module per part)
import { randomUUID } from 'node:crypto';
import type { Site } from '../../config/topology-schema.js';
import { reasonOf } from '../../domain/outcome.js';
import { Refusal, type RefusalCode } from '../../domain/refusal.js';
import {
  describeSlot,
  mostCommonTunnel,
  type RouteSlot,
  routeSlots,
  slotsToChange,
} from '../../domain/route-plan.js';
import { findTunnel } from '../../domain/topology.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { LivenessAddress, ProcessLiveness } from '../../ports/liveness.js';
import type { RouteTables } from '../../ports/route-tables.js';
import type { Store } from '../../ports/store.js';
import { ExecutionAudit, PROGRESS_SETTLE_MS } from '../execution/execution-audit.js';
import { keepSiteLease, type LeaseKeeper, LeaseLost } from '../execution/lease-keeper.js';
import { SiteLock } from '../execution/site-lock.js';
import { FailoverRuns } from './failover-runs.js';
import { convergeRoutes, type TouchedRoute } from './route-rollback.js';
import { DEFAULT_ROUTE_CONCURRENCY, pointRoute, runBounded, slotKey } from './route-writes.js';

/** Is the target tunnel fit to carry traffic? (probe stats, ECS task, instance ...) */
export type TargetCheck = (site: Site, tunnel: string) => Promise<{ healthy: boolean; reason: string }>;

export interface FailoverPlan {
  site: Site;
  to: string;
  actor: string;
  requestId?: string;
  reason?: string;
  trigger: 'approved' | 'automatic';
  /** The run id of an interrupted run this one finishes (on the audit, so the trail says whose run it was). */
  resumes?: { runId: string; actor: string };
  onProgress?: (message: string) => Promise<void> | void;
}

export type FailoverResult =
  | { ok: true; from: string | null; to: string; changed: number; durationMs: number }
  | {
      ok: false;
      refused: boolean;
      /** Set when refused (nothing was changed): what to decide on, rather than the reason's text. */
      refusal?: RefusalCode;
      reason: string;
      changed: number;
      rolledBack: number;
      durationMs: number;
    };

/**
 * Short, so a run whose process dies blocks the site for seconds, not a minute: the next run (the fast path
 * or the backstop) may take over once it expires. Renewed every quarter of it by a timer while the run lasts.
 */
export const DEFAULT_LOCK_TTL_MS = 10_000;

/**
 * Moves every route of a site onto one tunnel, shared by approved requests and the automatic controller.
 * The route tables are the source of truth: they are read before and (under the site lock) again, changed with
 * ReplaceRoute (CreateRoute for a missing route) a few at a time, read back to verify. If any step fails, every
 * route is converged back onto the tunnel traffic came from, including routes whose call failed in a way that
 * may still have applied it. Slack progress and audit writes run beside the route changes, never between them;
 * a run that loses its lease stops changing routes at once and leaves the site to the next holder.
 */
export class FailoverExecutor {
  private readonly routeTables: RouteTables;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly checkTarget: TargetCheck;
  private readonly lock: SiteLock;
  private readonly lockTtlMs: number;
  private readonly renewEveryMs: number | undefined;
  private readonly concurrency: number;
  private readonly progressTimeoutMs: number | undefined;
  private readonly progressSettleMs: number;
  private readonly store: Store;
  private readonly holderAt: LivenessAddress | undefined;
  private readonly runs: FailoverRuns;

  constructor(props: {
    store: Store;
    routeTables: RouteTables;
    clock: Clock;
    log: Logger;
    checkTarget: TargetCheck;
    lockTtlMs?: number;
    /** How often the lease is renewed while a run lasts (default: a quarter of lockTtlMs). */
    leaseRenewEveryMs?: number;
    /** Route changes in flight at once (default DEFAULT_ROUTE_CONCURRENCY). */
    concurrency?: number;
    /** A progress update is abandoned after this long (default PROGRESS_TIMEOUT_MS). */
    progressTimeoutMs?: number;
    /** How long a finished run waits for its queued progress lines (default PROGRESS_SETTLE_MS). */
    progressSettleMs?: number;
    /** Where this process answers while it lives: put on its leases so others can break them once it dies. */
    holderAt?: LivenessAddress;
    /** Checks other holders: a lease whose process is gone is broken instead of waited out. */
    liveness?: ProcessLiveness;
  }) {
    this.store = props.store;
    this.runs = new FailoverRuns({ store: props.store, clock: props.clock });
    this.routeTables = props.routeTables;
    this.clock = props.clock;
    this.log = props.log;
    this.checkTarget = props.checkTarget;
    this.lock = new SiteLock({
      store: props.store,
      clock: props.clock,
      log: props.log,
      ...(props.liveness ? { liveness: props.liveness } : {}),
    });
    this.holderAt = props.holderAt;
    this.lockTtlMs = props.lockTtlMs ?? DEFAULT_LOCK_TTL_MS;
    this.renewEveryMs = props.leaseRenewEveryMs;
    this.concurrency = props.concurrency ?? DEFAULT_ROUTE_CONCURRENCY;
    this.progressTimeoutMs = props.progressTimeoutMs;
    this.progressSettleMs = props.progressSettleMs ?? PROGRESS_SETTLE_MS;
  }

  // length: not split yet (issue 19 follow-up: one step of this function per helper)
  async execute(plan: FailoverPlan): Promise<FailoverResult> {
    const started = this.clock.now();
    const { site, to } = plan;
    const runId = `failover:${plan.actor}:${randomUUID()}`;
    const log = this.log.child({
      site: site.name,
      to,
      requestId: plan.requestId,
      trigger: plan.trigger,
      runId,
    });
    const audit = new ExecutionAudit({
      store: this.store,
      clock: this.clock,
      log,
      action: 'failover',
      plan,
      runId,
      ...(this.progressTimeoutMs === undefined ? {} : { progressTimeoutMs: this.progressTimeoutMs }),
    });
    const elapsed = (): number => this.clock.now() - started;
    let keeper: LeaseKeeper | null = null;
    let from: string | null = null;
    const touched = new Map<string, TouchedRoute>();
    const applied = (): number => [...touched.values()].filter((t) => t.outcome === 'applied').length;
    try {
      await this.precheck(plan);
      const lease = await this.lock.acquire(
        site.name,
        runId,
        this.lockTtlMs,
        this.purpose(plan),
        this.holderAt,
      );
      if (!lease) throw new Refusal('locked', await this.lock.refusedReason(site.name));
      keeper = keepSiteLease({
        lock: this.lock,
        lease,
        ttlMs: this.lockTtlMs,
        clock: this.clock,
        log,
        ...(this.renewEveryMs === undefined ? {} : { renewEveryMs: this.renewEveryMs }),
      });
      // Read once, under the lock: no other run can move a route from here on, and a read before the lease
      // would only be read again (EC2's Describe bucket is shared by every site of the account).
      const slots = await this.readSlots(site).catch((err) => {
        throw new Refusal(
          'routes-unreadable',
          `cannot read the route tables of ${site.name}: ${reasonOf(err)}`,
        );
      });
      const todo = slotsToChange(slots, to);
      if (todo.length === 0)
        throw new Refusal('already-active', `${to} is already active on every route of ${site.name}`);
      // Again under the lock: the target can die between the precheck and the lease (a wait for a broken lease,
      // a slow store), and a move onto a dead tunnel is the outage this run is meant to end.
      await this.assertTargetHealthy(site, to);
      from = mostCommonTunnel(todo) ?? mostCommonTunnel(slots);
      void audit.record('started', {
        from,
        to,
        trigger: plan.trigger,
        reason: plan.reason,
        routes: todo.length,
        ...(plan.resumes ? { resumes: plan.resumes } : {}),
      });
      void audit.progress(
        `Moving ${todo.length} route(s) of ${site.name} from ${from ?? 'nowhere'} to ${to}...`,
      );

      const held = keeper;
      const failure = await runBounded(
        todo,
        this.concurrency,
        async (slot) => {
          // EC2 takes no fencing token: re-read the lease before each call, and bound the call by it.
          await held.confirmHeld();
          const key = slotKey(slot);
          touched.set(key, { ...slot, outcome: 'unknown' });
          const t0 = this.clock.now();
          await pointRoute(this.routeTables, site, slot, to, held.callSignal());
          touched.set(key, { ...slot, outcome: 'applied' });
          void audit.record('routes-changed', {
            routeTableId: slot.routeTableId,
            cidr: slot.cidr,
            from: slot.tunnel,
            to,
            ...(slot.missing ? { created: true } : {}),
            durationMs: this.clock.now() - t0,
          });
          void audit.progress(
            `${describeSlot(slot)}: ${slot.tunnel ?? 'none'} -> ${to} (${applied()}/${todo.length})`,
          );
        },
        () => held.lost,
      );
      if (failure !== null) throw failure;
      keeper.assertHeld();

      const after = await this.readSlots(site);
      const wrong = after.filter((s) => s.tunnel !== to);
      if (wrong.length > 0) {
        throw new Error(
          `verify failed: ${wrong.map((s) => `${describeSlot(s)} -> ${s.tunnel ?? 'none'}`).join(', ')}`,
        );
      }
      const durationMs = elapsed();
      void audit.record('succeeded', { from, to, changed: applied(), durationMs });
      // Counted for the cooldown and the hourly cap in a record of its own, still under the lease (the audit
      // entry above may be given up; the routes have moved either way).
      await this.runs
        .record(site.name, { runId, actor: plan.actor, at: new Date(this.clock.now()).toISOString() })
        .catch((err) => log.error({ err }, 'could not record the failover run for the cooldown'));
      void audit.progress(
        `Failover of ${site.name} to ${to} done: ${applied()} route(s) in ${durationMs} ms`,
      );
      log.info({ from, changed: applied(), durationMs }, 'failover succeeded');
      return { ok: true, from, to, changed: applied(), durationMs };
    } catch (err) {
      if (err instanceof Refusal) {
        const durationMs = elapsed();
        void audit.record('refused', { reason: err.message, to, trigger: plan.trigger, durationMs });
        void audit.progress(`Failover of ${site.name} to ${to} refused: ${err.message}`);
        log.info({ reason: err.message }, 'failover refused');
        return {
          ok: false,
          refused: true,
          refusal: err.code,
          reason: err.message,
          changed: 0,
          rolledBack: 0,
          durationMs,
        };
      }
      const reason = reasonOf(err);
      const changed = touched.size;
      if (err instanceof LeaseLost || keeper?.lost) {
        // Someone else may own the site now: rolling back could undo their converging run. Marked unfinished,
        // so the next controller run finishes it (towards `to`) once no lease is live.
        const durationMs = elapsed();
        log.error({ err, changed }, 'failover stopped: lost the site lease');
        void audit.record('failed', {
          reason,
          changed,
          rolledBack: 0,
          durationMs,
          unfinished: { to },
        });
        void audit.progress(
          `Failover of ${site.name} to ${to} stopped after ${changed} route(s): ${reason}.`,
        );
        return { ok: false, refused: false, reason, changed, rolledBack: 0, durationMs };
      }
      if (!keeper) {
        // Failed before the lease was ours (the store could not be reached): no route was touched, and none
        // may be written without the lease.
        const durationMs = elapsed();
        log.error({ err }, 'failover failed before taking the site lease');
        void audit.record('failed', { reason, changed: 0, rolledBack: 0, durationMs });
        void audit.progress(`Failover of ${site.name} to ${to} failed: ${reason}.`);
        return { ok: false, refused: false, reason, changed: 0, rolledBack: 0, durationMs };
      }
      const back = from ?? to;
      log.error({ err, changed, convergeTo: back }, 'failover failed; converging every route back');
      const held = keeper;
      const rollback = await convergeRoutes({
        routeTables: this.routeTables,
        site,
        target: back,
        touched: touched.values(),
        read: () => this.readSlots(site),
        audit,
        concurrency: this.concurrency,
        stop: () => held.lost,
        beforeWrite: async () => {
          await held.confirmHeld();
          return held.callSignal();
        },
      });
      const durationMs = elapsed();
      const full = rollback.reason ? `${reason}; ${rollback.reason}` : reason;
      void audit.record('failed', {
        reason: full,
        changed,
        rolledBack: rollback.count,
        durationMs,
        // Routes still off the rollback tunnel: the next run finishes the convergence.
        ...(rollback.stillOff > 0 ? { unfinished: { to: back } } : {}),
      });
      void audit.progress(
        `Failover of ${site.name} to ${to} failed: ${reason}. Rolled back ${rollback.count} route(s) to ${back}.`,
      );
      return { ok: false, refused: false, reason: full, changed, rolledBack: rollback.count, durationMs };
    } finally {
      keeper?.stop();
      await audit.flush();
      if (keeper) await keeper.release().catch((err) => log.warn({ err }, 'could not release the site lock'));
      // Last, with the routes moved and the site free: the result is shown after the last progress line.
      await audit.settleProgress(this.progressSettleMs);
    }
  }

  /** What can refuse before the lease without reading EC2 (the routes are read once, under the lease). */
  private async precheck(plan: FailoverPlan): Promise<void> {
    const { site, to } = plan;
    if (!findTunnel(site, to)) {
      throw new Refusal(
        'unknown-tunnel',
        `${to} is not a tunnel of ${site.name} (${site.tunnels.map((t) => t.name).join(', ')})`,
      );
    }
    await this.assertTargetHealthy(site, to);
    const held = await this.lock.heldReason(site.name);
    if (held) throw new Refusal('locked', held);
  }

  private async assertTargetHealthy(site: Site, to: string): Promise<void> {
    const health = await this.checkTarget(site, to).catch((err) => ({
      healthy: false,
      reason: reasonOf(err),
    }));
    if (!health.healthy) throw new Refusal('target-unhealthy', `${to} is not healthy: ${health.reason}`);
  }

  private async readSlots(site: Site): Promise<RouteSlot[]> {
    const outcome = (await this.routeTables.observe([site])).get(site.name);
    if (!outcome) throw new Error(`no route observation for ${site.name}`);
    if (!outcome.ok) throw new Error(`cannot read the route tables: ${outcome.reason}`);
    return routeSlots(site, outcome.value);
  }

  private purpose(plan: FailoverPlan): string {
    return `failover to ${plan.to} (${plan.trigger}${plan.requestId ? ` ${plan.requestId}` : ''})`;
  }
}
