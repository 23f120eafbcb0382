import { randomUUID } from 'node:crypto';
import { reasonOf } from '../../domain/outcome.js';
import type { Refusal } from '../../domain/refusal.js';
import { describeSlot, type RouteSlot } from '../../domain/route-plan.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { Store } from '../../ports/store.js';
import { ExecutionAudit } from '../execution/execution-audit.js';
import type { LeaseKeeper } from '../execution/lease-keeper.js';
import type { FailoverPlan, FailoverResult } from './failover-plan.js';
import type { TouchedRoute } from './route-rollback.js';

/**
 * One failover run: its id, logger and audit, what it has touched so far, and the ways it ends. Each ending
 * writes the run's last audit entry and progress line (beside the routes, never between them) and shapes the
 * result.
 */
export class FailoverAttempt {
  readonly runId: string;
  readonly log: Logger;
  readonly audit: ExecutionAudit;
  /** Every route a call went out for, and whether the call came back applied. */
  readonly touched = new Map<string, TouchedRoute>();
  /** Set once the site lease is ours; null means no route was, or may be, written. */
  keeper: LeaseKeeper | null = null;
  /** The tunnel traffic came from: where a failed run converges back to. */
  from: string | null = null;
  private readonly startedAt: number;

  constructor(
    readonly plan: FailoverPlan,
    private readonly deps: { store: Store; clock: Clock; log: Logger; progressTimeoutMs: number | undefined },
  ) {
    this.startedAt = deps.clock.now();
    this.runId = `failover:${plan.actor}:${randomUUID()}`;
    this.log = deps.log.child({
      site: plan.site.name,
      to: plan.to,
      requestId: plan.requestId,
      trigger: plan.trigger,
      runId: this.runId,
    });
    this.audit = new ExecutionAudit({
      store: deps.store,
      clock: deps.clock,
      log: this.log,
      action: 'failover',
      plan,
      runId: this.runId,
      ...(deps.progressTimeoutMs === undefined ? {} : { progressTimeoutMs: deps.progressTimeoutMs }),
    });
  }

  elapsed(): number {
    return this.deps.clock.now() - this.startedAt;
  }

  /** Routes whose call came back: the count a success reports. */
  applied(): number {
    return [...this.touched.values()].filter((t) => t.outcome === 'applied').length;
  }

  /** The routes are about to move: the trail's first entry and the first progress line. */
  begin(from: string | null, todo: readonly RouteSlot[]): void {
    const { plan } = this;
    const { site, to } = plan;
    this.from = from;
    void this.audit.record('started', {
      from,
      to,
      trigger: plan.trigger,
      reason: plan.reason,
      routes: todo.length,
      ...(plan.resumes ? { resumes: plan.resumes } : {}),
    });
    void this.audit.progress(
      `Moving ${todo.length} route(s) of ${site.name} from ${from ?? 'nowhere'} to ${to}...`,
    );
  }

  /** One route landed on the target. */
  routeChanged(slot: RouteSlot, durationMs: number, total: number): void {
    const { to } = this.plan;
    void this.audit.record('routes-changed', {
      routeTableId: slot.routeTableId,
      cidr: slot.cidr,
      from: slot.tunnel,
      to,
      ...(slot.missing ? { created: true } : {}),
      durationMs,
    });
    void this.audit.progress(
      `${describeSlot(slot)}: ${slot.tunnel ?? 'none'} -> ${to} (${this.applied()}/${total})`,
    );
  }

  /** Every route verified on the target. `countRun` records the run for the cooldown, still under the lease. */
  async succeeded(countRun: () => Promise<void>): Promise<FailoverResult> {
    const { site, to } = this.plan;
    const { from } = this;
    const durationMs = this.elapsed();
    void this.audit.record('succeeded', { from, to, changed: this.applied(), durationMs });
    await countRun();
    void this.audit.progress(
      `Failover of ${site.name} to ${to} done: ${this.applied()} route(s) in ${durationMs} ms`,
    );
    this.log.info({ from, changed: this.applied(), durationMs }, 'failover succeeded');
    return { ok: true, from, to, changed: this.applied(), durationMs };
  }

  /** Refused before any route changed: the code says why. */
  refused(err: Refusal): FailoverResult {
    const { site, to, trigger } = this.plan;
    const durationMs = this.elapsed();
    void this.audit.record('refused', { reason: err.message, to, trigger, durationMs });
    void this.audit.progress(`Failover of ${site.name} to ${to} refused: ${err.message}`);
    this.log.info({ reason: err.message }, 'failover refused');
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

  /**
   * The lease was lost: someone else may own the site now, and rolling back could undo their converging run.
   * Marked unfinished, so the next controller run finishes it (towards `to`) once no lease is live.
   */
  stoppedOnLostLease(err: unknown): FailoverResult {
    const { site, to } = this.plan;
    const reason = reasonOf(err);
    const changed = this.touched.size;
    const durationMs = this.elapsed();
    this.log.error({ err, changed }, 'failover stopped: lost the site lease');
    void this.audit.record('failed', { reason, changed, rolledBack: 0, durationMs, unfinished: { to } });
    void this.audit.progress(
      `Failover of ${site.name} to ${to} stopped after ${changed} route(s): ${reason}.`,
    );
    return { ok: false, refused: false, reason, changed, rolledBack: 0, durationMs };
  }

  /**
   * Failed before the lease was ours (the store could not be reached): no route was touched, and none may be
   * written without the lease.
   */
  failedBeforeLease(err: unknown): FailoverResult {
    const { site, to } = this.plan;
    const reason = reasonOf(err);
    const durationMs = this.elapsed();
    this.log.error({ err }, 'failover failed before taking the site lease');
    void this.audit.record('failed', { reason, changed: 0, rolledBack: 0, durationMs });
    void this.audit.progress(`Failover of ${site.name} to ${to} failed: ${reason}.`);
    return { ok: false, refused: false, reason, changed: 0, rolledBack: 0, durationMs };
  }

  /** Failed mid-way and converged back onto `back` (see convergeRoutes); routes still off it are left unfinished. */
  rolledBack(
    reason: string,
    back: string,
    rollback: { count: number; reason?: string; stillOff: number },
  ): FailoverResult {
    const { site, to } = this.plan;
    const changed = this.touched.size;
    const durationMs = this.elapsed();
    const full = rollback.reason ? `${reason}; ${rollback.reason}` : reason;
    void this.audit.record('failed', {
      reason: full,
      changed,
      rolledBack: rollback.count,
      durationMs,
      // Routes still off the rollback tunnel: the next run finishes the convergence.
      ...(rollback.stillOff > 0 ? { unfinished: { to: back } } : {}),
    });
    void this.audit.progress(
      `Failover of ${site.name} to ${to} failed: ${reason}. Rolled back ${rollback.count} route(s) to ${back}.`,
    );
    return { ok: false, refused: false, reason: full, changed, rolledBack: rollback.count, durationMs };
  }

  /** Stops the lease's timer, writes the trail, frees the site, then waits for the last progress lines. */
  async close(progressSettleMs: number): Promise<void> {
    const { keeper } = this;
    keeper?.stop();
    await this.audit.flush();
    if (keeper)
      await keeper.release().catch((err) => this.log.warn({ err }, 'could not release the site lock'));
    // Last, with the routes moved and the site free: the result is shown after the last progress line.
    await this.audit.settleProgress(progressSettleMs);
  }
}
