import type { Site } from '../../config/topology-schema.js';
import { reasonOf } from '../../domain/outcome.js';
import { Refusal, unknownTunnelReason } from '../../domain/refusal.js';
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
import { PROGRESS_SETTLE_MS } from '../execution/execution-audit.js';
import { keepSiteLease, type LeaseKeeper, LeaseLost } from '../execution/lease-keeper.js';
import { SiteLock } from '../execution/site-lock.js';
import { FailoverAttempt } from './failover-attempt.js';
import type { FailoverPlan, FailoverResult, TargetCheck } from './failover-plan.js';
import { FailoverRuns } from './failover-runs.js';
import { RouteEpochs } from './route-epoch.js';
import { convergeRoutes } from './route-rollback.js';
import { DEFAULT_ROUTE_CONCURRENCY, pointRoute, runBounded, slotKey } from './route-writes.js';

/**
 * Short, so a run whose process dies blocks the site for seconds, not a minute: the next run (the fast path
 * or the backstop) may take over once it expires. Renewed every quarter of it by a timer while the run lasts.
 */
export const DEFAULT_LOCK_TTL_MS = 10_000;

/**
 * Moves every route of a site onto one tunnel, shared by approved requests and the automatic controller.
 * The route tables are the source of truth: as of the site lock they are the decision's read if the site's route
 * epoch says no run has written them since (RouteEpochs), else read again; then they are changed with
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
  private readonly epochs: RouteEpochs;

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
    this.epochs = new RouteEpochs(props.store);
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

  /**
   * One run: its steps (move), and on any failure the ending that fits it (fail); the lease is released and the
   * trail written whichever way it ends.
   */
  async execute(plan: FailoverPlan): Promise<FailoverResult> {
    const run = new FailoverAttempt(plan, {
      store: this.store,
      clock: this.clock,
      log: this.log,
      progressTimeoutMs: this.progressTimeoutMs,
    });
    try {
      return await this.move(run);
    } catch (err) {
      return await this.fail(run, err);
    } finally {
      // Every call of this run has returned: the epoch moves on before the lease is released, so a decision that
      // read the routes while they moved reads them again (see RouteEpochs).
      if (run.touched.size > 0) await this.epochs.moveOn(run.plan.site.name, run.log);
      await run.close(this.progressSettleMs);
    }
  }

  /**
   * Precheck, lease, the routes as of the lease, the target re-checked, the routes moved, read back, the run
   * counted.
   */
  private async move(run: FailoverAttempt): Promise<FailoverResult> {
    const { site, to } = run.plan;
    await this.precheck(run.plan);
    const keeper = await this.takeLease(run);
    const slots = await this.slotsUnderLease(run);
    const todo = slotsToChange(slots, to);
    if (todo.length === 0)
      throw new Refusal('already-active', `${to} is already active on every route of ${site.name}`);
    // Again under the lock: the target can die between the precheck and the lease (a wait for a broken lease,
    // a slow store), and a move onto a dead tunnel is the outage this run is meant to end.
    await this.assertTargetHealthy(site, to);
    run.begin(mostCommonTunnel(todo) ?? mostCommonTunnel(slots), todo);
    // Not awaited: the store stays off the route calls. The epoch moves on again once they have all returned.
    void this.epochs.moveOn(site.name, run.log);
    await this.changeRoutes(run, keeper, todo);
    await this.verify(site, to);
    // Counted for the cooldown and the hourly cap in a record of its own, still under the lease (the audit
    // entry may be given up; the routes have moved either way).
    return run.succeeded(() =>
      this.runs
        .record(site.name, {
          runId: run.runId,
          actor: run.plan.actor,
          at: new Date(this.clock.now()).toISOString(),
        })
        .catch((err) => run.log.error({ err }, 'could not record the failover run for the cooldown')),
    );
  }

  /** The site lease for this run, kept alive by a timer until the run ends; refused when another run holds it. */
  private async takeLease(run: FailoverAttempt): Promise<LeaseKeeper> {
    const { site } = run.plan;
    const lease = await this.lock.acquire(
      site.name,
      run.runId,
      this.lockTtlMs,
      this.purpose(run.plan),
      this.holderAt,
    );
    if (!lease) throw new Refusal('locked', await this.lock.refusedReason(site.name));
    run.keeper = keepSiteLease({
      lock: this.lock,
      lease,
      ttlMs: this.lockTtlMs,
      clock: this.clock,
      log: run.log,
      ...(this.renewEveryMs === undefined ? {} : { renewEveryMs: this.renewEveryMs }),
    });
    return run.keeper;
  }

  /**
   * The routes as they are now that no other run can move them: the decision's own read when the site's route
   * epoch is what it was before that read (no run has written since, nor was writing then), else one read now.
   * Reading again under the lease would wait in EC2's Describe bucket behind every other site's decision read.
   */
  private async slotsUnderLease(run: FailoverAttempt): Promise<RouteSlot[]> {
    const { site, seen } = run.plan;
    if (seen && (await this.epochs.unchangedSince(site.name, seen.epoch, run.log))) return [...seen.slots];
    return this.readSlots(site).catch((err) => {
      throw new Refusal(
        'routes-unreadable',
        `cannot read the route tables of ${site.name}: ${reasonOf(err)}`,
      );
    });
  }

  /** Points each route at the target, a few at a time; stops at the first failure or once the lease is lost. */
  private async changeRoutes(run: FailoverAttempt, held: LeaseKeeper, todo: RouteSlot[]): Promise<void> {
    const { site, to } = run.plan;
    const failure = await runBounded(
      todo,
      this.concurrency,
      async (slot) => {
        // EC2 takes no fencing token: re-read the lease before each call, and bound the call by it.
        await held.confirmHeld();
        const key = slotKey(slot);
        run.touched.set(key, { ...slot, outcome: 'unknown' });
        const t0 = this.clock.now();
        await pointRoute(this.routeTables, site, slot, to, held.callSignal());
        run.touched.set(key, { ...slot, outcome: 'applied' });
        run.routeChanged(slot, this.clock.now() - t0, todo.length);
      },
      () => held.lost,
    );
    if (failure !== null) throw failure;
    held.assertHeld();
  }

  /** Reads the routes back: every one must be on the target. */
  private async verify(site: Site, to: string): Promise<void> {
    const wrong = (await this.readSlots(site)).filter((s) => s.tunnel !== to);
    if (wrong.length > 0) {
      throw new Error(
        `verify failed: ${wrong.map((s) => `${describeSlot(s)} -> ${s.tunnel ?? 'none'}`).join(', ')}`,
      );
    }
  }

  /** The ending that fits the failure: refused, stopped on a lost lease, failed before the lease, or rolled back. */
  private async fail(run: FailoverAttempt, err: unknown): Promise<FailoverResult> {
    if (err instanceof Refusal) return run.refused(err);
    if (err instanceof LeaseLost || run.keeper?.lost) return run.stoppedOnLostLease(err);
    if (!run.keeper) return run.failedBeforeLease(err);
    return this.rollBack(run, run.keeper, err);
  }

  /** Converges every route back onto the tunnel traffic came from (see convergeRoutes), under the lease. */
  private async rollBack(run: FailoverAttempt, held: LeaseKeeper, err: unknown): Promise<FailoverResult> {
    const { site, to } = run.plan;
    const back = run.from ?? to;
    run.log.error(
      { err, changed: run.touched.size, convergeTo: back },
      'failover failed; converging every route back',
    );
    const rollback = await convergeRoutes({
      routeTables: this.routeTables,
      site,
      target: back,
      touched: run.touched.values(),
      read: () => this.readSlots(site),
      audit: run.audit,
      concurrency: this.concurrency,
      stop: () => held.lost,
      beforeWrite: async () => {
        await held.confirmHeld();
        return held.callSignal();
      },
    });
    return run.rolledBack(reasonOf(err), back, rollback);
  }

  /** What can refuse before the lease without reading EC2 (the routes are read once, under the lease). */
  private async precheck(plan: FailoverPlan): Promise<void> {
    const { site, to } = plan;
    if (!findTunnel(site, to)) {
      throw new Refusal('unknown-tunnel', unknownTunnelReason(site, to));
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
