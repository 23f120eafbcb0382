import type { Site, Topology } from '../../config/topology-schema.js';
import { CONTROLLER_ACTOR } from '../../domain/approval.js';
import { type Decision, decide, type PolicyInput } from '../../domain/failover-policy.js';
import type { Heartbeat } from '../../domain/heartbeat.js';
import type { RouteObservation } from '../../domain/observations.js';
import type { Outcome } from '../../domain/outcome.js';
import { requireSite } from '../../domain/topology.js';
import type { Logger } from '../../log.js';
import type { TunnelHealthChange } from '../../monitor/health-reporter.js';
import type { Account } from '../../ports/account.js';
import type { Chat } from '../../ports/chat.js';
import type { Clock } from '../../ports/clock.js';
import type { ProcessLiveness } from '../../ports/liveness.js';
import type { Store } from '../../ports/store.js';
import { SerialByKey } from '../../serial-by-key.js';
import { SiteLock } from '../execution/site-lock.js';
import { gatherFacts } from './controller-facts.js';
import { ControllerNotices, type Proposal } from './controller-notices.js';
import type { FailoverResult, FailoverRunner } from './failover-plan.js';
import { heartbeatFailoverExecutor } from './heartbeat-target-check.js';
import { LeaseFollower } from './lease-follower.js';
import { moveOffTunnel } from './move-off.js';
import { reconcileSites, type TickResult } from './reconcile-tick.js';
import type { FailoverProposer, ReportSink } from './report-outbox.js';
import type { SeenRoutes } from './route-epoch.js';

/** What woke the controller (logged with the decision). */
export type ControllerTrigger =
  | { kind: 'health-changed'; tunnel: string; health: string; reason?: string }
  | { kind: 'task-state'; tunnel: string; lastStatus: string; desiredStatus?: string; stoppedReason?: string }
  | { kind: 'alarm'; alarmName: string; state: string; tunnel?: string }
  | { kind: 'peer'; tunnel: string; verdict: string }
  | { kind: 'stopping'; tunnel: string }
  | { kind: 'reconcile' }
  | { kind: 'planned-termination'; tunnel: string; instanceId: string }
  | { kind: 'lease-ended'; owner: string };

export interface ControllerOutcome {
  site: string;
  trigger: ControllerTrigger;
  decision: Decision;
  /** Set when the decision was carried out as a failover. */
  result?: FailoverResult;
  /** Set for propose: the approval request id, or why none was made. */
  proposal?: Proposal;
  /** Whether a message went to the site's channel for this decision. */
  posted: boolean;
}

export type ReconcileResult = TickResult<ControllerOutcome>;

export interface FailoverControllerProps {
  topology: Topology;
  /** With `routeReadQueue` (an AWS account with a shared budget) the reconcile tick defers while it is long. */
  account: Pick<Account, 'routeTables' | 'tasks' | 'routeReadQueue'>;
  store: Store;
  chat?: Chat;
  /** Where failover and alert reports go; default: straight to the site's channel through `chat`. */
  reports?: ReportSink;
  /** Default: the executor on the account's route tables whose target check reads the heartbeats. */
  executor?: FailoverRunner;
  approvals?: FailoverProposer;
  clock: Clock;
  log: Logger;
  /** Actor on audit entries; also how automatic failovers are counted for the hourly cap. */
  actor?: string;
  /** The same alert (or proposal) is posted again only after this long. */
  repeatAlertMs?: number;
  /**
   * Where this process can reach lease holders' liveness listeners (the fast path in a monitor): another run's
   * lease is then followed to the moment its process dies, and a dead holder's lease is broken. Without it
   * (the backstop Lambda) a lease is waited out.
   */
  liveness?: ProcessLiveness;
  /** The reconcile tick defers while a route read would wait longer than this (default DEFER_RECONCILE_ABOVE_MS). */
  deferReconcileAboveMs?: number;
}

/**
 * The automatic failover controller: reads the truth (route tables, monitor heartbeats, ECS tasks,
 * failover history), runs the pure policy and carries out its decision: execute (auto, through the
 * same executor as approved failovers), ask for approval (propose) or alert (manual, both down, guards).
 * Evaluations of one site run one at a time in this process; across processes the executor's site
 * lease and its re-read of the routes make a second run a refusal, not a second change.
 */
export class FailoverController {
  private readonly queue = new SerialByKey();
  private readonly actor: string;
  private readonly notices: ControllerNotices;
  private readonly executor: FailoverRunner;
  private readonly follower: LeaseFollower;

  constructor(private readonly props: FailoverControllerProps) {
    this.actor = props.actor ?? CONTROLLER_ACTOR;
    const lock = new SiteLock({
      store: props.store,
      clock: props.clock,
      log: props.log,
      ...(props.liveness ? { liveness: props.liveness } : {}),
    });
    this.follower = new LeaseFollower({
      lock,
      clock: props.clock,
      log: props.log,
      ...(props.liveness ? { liveness: props.liveness } : {}),
      onEnded: (site, owner) => this.evaluate(site, { kind: 'lease-ended', owner }),
    });
    this.executor =
      props.executor ??
      heartbeatFailoverExecutor({
        store: props.store,
        routeTables: props.account.routeTables,
        clock: props.clock,
        log: props.log.child({ component: 'failover' }),
        ...(props.liveness ? { liveness: props.liveness } : {}),
      });
    this.notices = new ControllerNotices({
      store: props.store,
      clock: props.clock,
      log: props.log,
      actor: this.actor,
      ...(props.chat ? { chat: props.chat } : {}),
      ...(props.reports ? { reports: props.reports } : {}),
      ...(props.approvals ? { approvals: props.approvals } : {}),
      ...(props.repeatAlertMs === undefined ? {} : { repeatAlertMs: props.repeatAlertMs }),
    });
  }

  /**
   * Evaluates one site (queued behind any evaluation of the same site in flight). `own`: a monitor's heartbeat of
   * its own tunnel as it just measured it (the fast path); it stands for that tunnel when newer than the store's.
   */
  evaluate(siteName: string, trigger: ControllerTrigger, own?: Heartbeat): Promise<ControllerOutcome> {
    return this.queued(siteName, (site) => this.run(site, trigger, undefined, own));
  }

  /** Runs `work` on the named site after the evaluations queued before it; rejects for an unknown site. */
  private queued(
    siteName: string,
    work: (site: Site) => Promise<ControllerOutcome>,
  ): Promise<ControllerOutcome> {
    let site: Site;
    try {
      site = requireSite(this.props.topology, siteName);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.queue.run(site.name, () => work(site));
  }

  /**
   * A planned termination of a tunnel's instance (ASG lifecycle hook): when the tunnel carries traffic, moves
   * every route to the other tunnel through the same executor (which refuses an unfit target), before the
   * instance goes. Queued with the site's evaluations.
   */
  moveOff(siteName: string, tunnel: string, instanceId: string): Promise<ControllerOutcome> {
    return this.queued(siteName, (site) => this.runMoveOff(site, tunnel, instanceId));
  }

  /**
   * Every site of the topology, from one batched route read (the reconcile tick, reconcile-tick.ts). The only
   * evaluation that defers: while the account's route reads queue long, the fast paths are at work.
   */
  reconcileAll(): Promise<ReconcileResult> {
    return reconcileSites(this.props, this.props.topology.sites, {
      busy: (site) => this.queue.has(site),
      evaluate: (name, observed) =>
        this.queued(name, (site) => this.run(site, { kind: 'reconcile' }, observed)),
    });
  }

  /** The in-process monitor's hook (LocalReporter). */
  onHealthChanged(change: TunnelHealthChange): Promise<ControllerOutcome> {
    return this.evaluate(change.site, {
      kind: 'health-changed',
      tunnel: change.tunnel,
      health: change.to,
      reason: change.reason,
    });
  }

  /** One evaluation: the facts read, the policy's decision logged, then carried out (see act). */
  private async run(
    site: Site,
    trigger: ControllerTrigger,
    observed?: Outcome<RouteObservation[]>,
    own?: Heartbeat,
  ): Promise<ControllerOutcome> {
    const log = this.props.log.child({ site: site.name, trigger: trigger.kind });
    const { input: facts, seen } = await gatherFacts(
      { ...this.props, controllerActor: this.actor },
      site,
      observed,
      own,
    );
    const decision = decide(facts);
    log.info(
      {
        action: decision.action,
        code: decision.code,
        to: decision.to,
        reason: decision.reason,
        evidence: decision.evidence,
        triggerDetail: trigger,
      },
      `controller decided ${decision.action}: ${decision.reason}`,
    );
    const outcome: ControllerOutcome = { site: site.name, trigger, decision, posted: false };
    await this.act(site, facts, decision, outcome, log, seen);
    return outcome;
  }

  /** Follows a run in progress, clears a resolved alert, fails over, or alerts (or proposes). */
  private async act(
    site: Site,
    facts: PolicyInput,
    decision: Decision,
    outcome: ControllerOutcome,
    log: Logger,
    seen: SeenRoutes | undefined,
  ): Promise<void> {
    if (decision.code === 'run-in-progress' && facts.failoverInProgress) {
      this.follower.follow(site.name, 'run-in-progress');
    } else if (decision.action === 'none') {
      await this.notices.clear(site.name);
    } else if (decision.action === 'failover' && decision.to) {
      await this.failOver(site, facts, { ...decision, to: decision.to }, outcome, log, seen);
    } else {
      Object.assign(outcome, await this.notices.alert(site, facts.active, decision, log));
    }
  }

  /** Carries out a failover decision through the executor and reports it (a refusal with nothing changed stays quiet). */
  private async failOver(
    site: Site,
    facts: PolicyInput,
    decision: Decision & { to: string },
    outcome: ControllerOutcome,
    log: Logger,
    seen: SeenRoutes | undefined,
  ): Promise<void> {
    const result = await this.executor.execute({
      site,
      to: decision.to,
      actor: this.actor,
      reason: decision.reason,
      trigger: 'automatic',
      ...(decision.code === 'finish-interrupted' && facts.interrupted
        ? { resumes: { runId: facts.interrupted.runId, actor: facts.interrupted.actor } }
        : {}),
      // The decision's read of the routes serves the run while no run has written them since.
      ...(seen ? { seen } : {}),
    });
    outcome.result = result;
    log.info({ result }, result.ok ? 'automatic failover done' : 'automatic failover did not happen');
    // Refused because another run took the lease first: follow that run in case it dies half-way.
    if (!result.ok && result.refused) this.follower.follow(site.name, 'refused');
    // A refusal with nothing changed (another controller won the race, or the routes already moved) stays quiet.
    if (result.ok || !result.refused)
      outcome.posted = await this.notices.report(site, {
        kind: 'failover',
        to: decision.to,
        reason: decision.reason,
        result,
      });
  }

  private async runMoveOff(site: Site, tunnel: string, instanceId: string): Promise<ControllerOutcome> {
    const trigger: ControllerTrigger = { kind: 'planned-termination', tunnel, instanceId };
    const { routeTables } = this.props.account;
    const deps = {
      routeTables,
      executor: this.executor,
      notices: this.notices,
      actor: this.actor,
      log: this.props.log,
    };
    return { site: site.name, trigger, ...(await moveOffTunnel(deps, site, tunnel, instanceId)) };
  }

  /**
   * Waits for the runs this process follows (and what they lead to) for at most `maxMs`, then stops following
   * (see LeaseFollower.settle). A Lambda calls it before it returns.
   */
  settle(maxMs: number): Promise<void> {
    return this.follower.settle(maxMs);
  }
}
