import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Site } from '../../config/topology-schema.js';
import { reasonOf } from '../../domain/outcome.js';
import { Refusal, type RefusalCode, unknownTunnelReason } from '../../domain/refusal.js';
import { routeSlots } from '../../domain/route-plan.js';
import { findTunnel } from '../../domain/topology.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { RouteTables } from '../../ports/route-tables.js';
import type { Store } from '../../ports/store.js';
import type { DeploymentProgress, TaskRuntime } from '../../ports/tasks.js';
import { ExecutionAudit } from '../execution/execution-audit.js';
import { type Every, keepSiteLease, type LeaseKeeper } from '../execution/lease-keeper.js';
import { SiteLock } from '../execution/site-lock.js';

export interface RedeployPlan {
  site: Site;
  tunnel: string;
  actor: string;
  requestId?: string;
  force: boolean;
  onProgress?: (message: string) => Promise<void> | void;
}

export type RedeployResult =
  | { ok: true; deploymentId: string; durationMs: number }
  | { ok: false; refused: boolean; refusal?: RefusalCode; reason: string; durationMs: number };

const DEFAULT_TIMEOUT_MS = 15 * 60_000;
const DEFAULT_POLL_MS = 5_000;
/** Consecutive failed progress reads tolerated (throttling, a blip) before the run gives up. */
const MAX_POLL_ERRORS = 3;

/**
 * Starts a new ECS deployment of one tunnel's server and follows it until it completes, fails or times out.
 * Holds the site lock for the whole run, so a failover cannot start onto a tunnel that is restarting.
 */
export class RedeployExecutor {
  private readonly store: Store;
  private readonly tasks: TaskRuntime;
  private readonly routeTables: RouteTables;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly lock: SiteLock;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly every: Every | undefined;

  constructor(props: {
    store: Store;
    tasks: TaskRuntime;
    routeTables: RouteTables;
    clock: Clock;
    log: Logger;
    timeoutMs?: number;
    pollMs?: number;
    sleep?: (ms: number) => Promise<void>;
    /** The lease keeper's timer (tests run it on their manual clock). */
    every?: Every;
  }) {
    this.store = props.store;
    this.tasks = props.tasks;
    this.routeTables = props.routeTables;
    this.clock = props.clock;
    this.log = props.log;
    this.lock = new SiteLock({ store: props.store, clock: props.clock });
    this.timeoutMs = props.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.pollMs = props.pollMs ?? DEFAULT_POLL_MS;
    this.sleep = props.sleep ?? ((ms) => delay(ms).then(() => undefined));
    this.every = props.every;
  }

  /** The lease outlives a poll interval comfortably; its keeper renews it every quarter of this. */
  private get lockTtlMs(): number {
    return Math.max(60_000, this.pollMs * 4);
  }

  async execute(plan: RedeployPlan): Promise<RedeployResult> {
    const started = this.clock.now();
    const { site, tunnel } = plan;
    const log = this.log.child({ site: site.name, tunnel, requestId: plan.requestId });
    const audit = new ExecutionAudit({ store: this.store, clock: this.clock, log, action: 'redeploy', plan });
    const elapsed = (): number => this.clock.now() - started;
    let keeper: LeaseKeeper | null = null;
    try {
      await this.precheck(plan);
      const owner = `redeploy:${plan.actor}:${randomUUID()}`;
      const lease = await this.lock.acquire(site.name, owner, this.lockTtlMs, `redeploy ${tunnel}`);
      if (!lease) throw new Refusal('locked', await this.lock.refusedReason(site.name));
      // A lost lease does not stop the deployment (nothing to undo); it only stops blocking others.
      keeper = keepSiteLease({
        lock: this.lock,
        lease,
        ttlMs: this.lockTtlMs,
        clock: this.clock,
        log,
        ...(this.every ? { every: this.every } : {}),
      });
      await audit.record('started', { tunnel, force: plan.force });
      const deploymentId = await this.tasks.redeploy(site, tunnel);
      await audit.record('deployment-started', { tunnel, deploymentId });
      await audit.progress(`Redeploying ${site.name}/${tunnel}: deployment ${deploymentId} started`);

      const final = await this.follow(plan, deploymentId, started, audit);
      const durationMs = elapsed();
      if (final.state !== 'completed') {
        await audit.record('failed', { tunnel, deploymentId, reason: final.detail, durationMs });
        await audit.progress(`Redeploy of ${site.name}/${tunnel} failed: ${final.detail}`);
        return { ok: false, refused: false, reason: final.detail, durationMs };
      }
      await audit.record('succeeded', { tunnel, deploymentId, durationMs });
      await audit.progress(`Redeploy of ${site.name}/${tunnel} done in ${Math.round(durationMs / 1000)} s`);
      log.info({ deploymentId, durationMs }, 'redeploy succeeded');
      return { ok: true, deploymentId, durationMs };
    } catch (err) {
      const durationMs = elapsed();
      const refused = err instanceof Refusal;
      const reason = refused ? err.message : reasonOf(err);
      await audit.record(refused ? 'refused' : 'failed', { tunnel, reason, durationMs });
      await audit.progress(`Redeploy of ${site.name}/${tunnel} ${refused ? 'refused' : 'failed'}: ${reason}`);
      if (!refused) log.error({ err }, 'redeploy failed');
      return { ok: false, refused, ...(refused ? { refusal: err.code } : {}), reason, durationMs };
    } finally {
      if (keeper) await keeper.release().catch((err) => log.warn({ err }, 'could not release the site lock'));
    }
  }

  private async precheck(plan: RedeployPlan): Promise<void> {
    const { site, tunnel } = plan;
    if (!findTunnel(site, tunnel)) {
      throw new Refusal('unknown-tunnel', unknownTunnelReason(site, tunnel));
    }
    if (plan.force) return;
    const outcome = (await this.routeTables.observe([site]).catch(() => undefined))?.get(site.name);
    if (!outcome?.ok) {
      const why = outcome && !outcome.ok ? outcome.reason : 'no answer';
      throw new Refusal(
        'routes-unreadable',
        `cannot tell whether ${tunnel} carries traffic (${why}); fail over first or use --force`,
      );
    }
    const carrying = routeSlots(site, outcome.value).filter((s) => s.tunnel === tunnel).length;
    if (carrying > 0) {
      throw new Refusal(
        'carrying-traffic',
        `${tunnel} is active on ${carrying} route(s) of ${site.name}: fail over first (or use --force)`,
      );
    }
  }

  /** Polls until completed, failed or the timeout, posting progress when the detail changes. */
  private async follow(
    plan: RedeployPlan,
    deploymentId: string,
    started: number,
    audit: ExecutionAudit,
  ): Promise<DeploymentProgress> {
    let lastDetail = '';
    let errors = 0;
    for (;;) {
      if (this.clock.now() - started >= this.timeoutMs) {
        return {
          state: 'failed',
          detail: `timed out after ${Math.round(this.timeoutMs / 1000)} s (${lastDetail || 'no progress'})`,
        };
      }
      await this.sleep(this.pollMs);
      let progress: DeploymentProgress;
      try {
        progress = await this.tasks.deploymentProgress(plan.site, plan.tunnel, deploymentId);
        errors = 0;
      } catch (err) {
        if (++errors >= MAX_POLL_ERRORS)
          return { state: 'failed', detail: `cannot follow the deployment: ${reasonOf(err)}` };
        continue;
      }
      if (progress.state !== 'in-progress') return progress;
      if (progress.detail !== lastDetail) {
        lastDetail = progress.detail;
        await audit.progress(`${plan.site.name}/${plan.tunnel}: ${progress.detail}`);
      }
    }
  }
}
