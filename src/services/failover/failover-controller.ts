// length: not split yet (issue 19 follow-up: one module per part)
import type { Site, Topology } from '../../config/topology-schema.js';
import { CONTROLLER_ACTOR } from '../../domain/approval.js';
import { type Decision, decide } from '../../domain/failover-policy.js';
import type { RouteObservation } from '../../domain/observations.js';
import { type Outcome, reasonOf } from '../../domain/outcome.js';
import { routeSlots } from '../../domain/route-plan.js';
import { requireSite } from '../../domain/topology.js';
import type { Logger } from '../../log.js';
import type { TunnelHealthChange } from '../../monitor/health-reporter.js';
import type { Account } from '../../ports/account.js';
import type { Chat } from '../../ports/chat.js';
import type { Clock } from '../../ports/clock.js';
import type { ProcessLiveness } from '../../ports/liveness.js';
import type { Store } from '../../ports/store.js';
import { SiteLock } from '../execution/site-lock.js';
import { gatherFacts } from './controller-facts.js';
import { evidenceLines, NoticeBoard } from './controller-notices.js';
import type { FailoverPlan, FailoverResult } from './failover-plan.js';
import { heartbeatFailoverExecutor } from './heartbeat-target-check.js';
import { chatReports, type FailoverProposer, type ReportSink } from './report-outbox.js';

/** How often a followed lease is read (to see it released) while its run lasts. */
const FOLLOW_POLL_MS = 250;
/** A run is followed for at most this long (a lease is renewed while its run lasts; runs last seconds). */
const FOLLOW_MAX_MS = 60_000;

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

/** The slice of FailoverExecutor the controller uses. */
export interface FailoverRunner {
  execute(plan: FailoverPlan): Promise<FailoverResult>;
}

export interface ControllerOutcome {
  site: string;
  trigger: ControllerTrigger;
  decision: Decision;
  /** Set when the decision was carried out as a failover. */
  result?: FailoverResult;
  /** Set for propose: the approval request id, or why none was made. */
  proposal?: { requestId?: string; created: boolean; reason?: string };
  /** Whether a message went to the site's channel for this decision. */
  posted: boolean;
}

export interface FailoverControllerProps {
  topology: Topology;
  account: Pick<Account, 'routeTables' | 'tasks'>;
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
}

/**
 * The automatic failover controller: reads the truth (route tables, monitor heartbeats, ECS tasks,
 * failover history), runs the pure policy and carries out its decision: execute (auto, through the
 * same executor as approved failovers), ask for approval (propose) or alert (manual, both down, guards).
 * Evaluations of one site run one at a time in this process; across processes the executor's site
 * lease and its re-read of the routes make a second run a refusal, not a second change.
 */
export class FailoverController {
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly actor: string;
  private readonly notices: NoticeBoard;
  private readonly executor: FailoverRunner;
  private readonly lock: SiteLock;
  /** Sites whose lease holder this process is already following. */
  private readonly following = new Set<string>();
  /** Every follow still running (with the evaluation it ends in): what settle() waits for or stops. */
  private readonly follows = new Set<{ stop: AbortController; done: Promise<void> }>();

  constructor(private readonly props: FailoverControllerProps) {
    this.actor = props.actor ?? CONTROLLER_ACTOR;
    this.lock = new SiteLock({
      store: props.store,
      clock: props.clock,
      log: props.log,
      ...(props.liveness ? { liveness: props.liveness } : {}),
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
    this.notices = new NoticeBoard({
      store: props.store,
      clock: props.clock,
      repeatMs: props.repeatAlertMs ?? 15 * 60_000,
    });
  }

  /** Evaluates one site (queued behind any evaluation of the same site in flight). */
  evaluate(siteName: string, trigger: ControllerTrigger): Promise<ControllerOutcome> {
    return this.queued(siteName, (site) => this.run(site, trigger));
  }

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
    const previous = this.queues.get(site.name) ?? Promise.resolve();
    const next = previous.then(
      () => work(site),
      () => work(site),
    );
    const tail = next.catch(() => undefined);
    this.queues.set(site.name, tail);
    void tail.then(() => {
      if (this.queues.get(site.name) === tail) this.queues.delete(site.name);
    });
    return next;
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
   * Every site of the topology (the reconcile tick). The routes of every site are read in one batched observe
   * (one DescribeRouteTables per region and 200 tables, not one per site: at 500 sites that is the difference
   * between 5 and 500 calls a minute from EC2's shared Describe bucket). A site with an evaluation already
   * queued reads its own, fresher routes.
   */
  async reconcileAll(): Promise<ControllerOutcome[]> {
    const { sites } = this.props.topology;
    const idle = sites.filter((s) => !this.queues.has(s.name));
    const observed =
      idle.length > 1
        ? await this.props.account.routeTables.observe(idle).catch((err: Error) => {
            this.props.log.warn({ err }, 'reconcile: the batched route read failed; each site reads its own');
            return undefined;
          })
        : undefined;
    const results = await Promise.allSettled(
      sites.map((s) =>
        this.queued(s.name, (site) => this.run(site, { kind: 'reconcile' }, observed?.get(site.name))),
      ),
    );
    return results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
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

  // length: not split yet (issue 19 follow-up: one step of this function per helper)
  private async run(
    site: Site,
    trigger: ControllerTrigger,
    observed?: Outcome<RouteObservation[]>,
  ): Promise<ControllerOutcome> {
    const { store, clock } = this.props;
    const log = this.props.log.child({ site: site.name, trigger: trigger.kind });
    const facts = await gatherFacts({ ...this.props, controllerActor: this.actor }, site, observed);
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

    if (decision.code === 'run-in-progress' && facts.failoverInProgress) {
      this.follow(site.name, 'run-in-progress');
      return outcome;
    }
    if (decision.action === 'none') {
      await this.notices.clear(site.name);
      return outcome;
    }
    if (decision.action === 'failover' && decision.to) {
      const result = await this.executor.execute({
        site,
        to: decision.to,
        actor: this.actor,
        reason: decision.reason,
        trigger: 'automatic',
        ...(decision.code === 'finish-interrupted' && facts.interrupted
          ? { resumes: { runId: facts.interrupted.runId, actor: facts.interrupted.actor } }
          : {}),
      });
      outcome.result = result;
      log.info({ result }, result.ok ? 'automatic failover done' : 'automatic failover did not happen');
      // Refused because another run took the lease first: follow that run in case it dies half-way.
      if (!result.ok && result.refused) this.follow(site.name, 'refused');
      // A refusal with nothing changed (another controller won the race, or the routes already moved) stays quiet.
      if (result.ok || !result.refused)
        outcome.posted = await this.report(site, {
          kind: 'failover',
          to: decision.to,
          reason: decision.reason,
          result,
        });
      return outcome;
    }
    // Alerts and proposals repeat only when something new is said, or after repeatAlertMs.
    const signature = `${decision.code}:${facts.active}:${decision.to ?? ''}`;
    if (!(await this.notices.isNews(site.name, signature))) {
      log.debug({ signature }, 'same notice already posted recently');
      return outcome;
    }
    let extra: string | undefined;
    if (decision.action === 'propose' && decision.to && this.props.approvals) {
      outcome.proposal = await this.propose(site, decision);
      if (outcome.proposal?.requestId) return outcome;
      // The approval service said no: say so in the channel rather than stay silent.
      extra = `Could not ask for approval: ${outcome.proposal?.reason ?? 'unknown reason'}`;
    }
    outcome.posted = await this.report(site, {
      kind: 'alert',
      code: decision.code,
      reason: decision.reason,
      ...(extra ? { extra } : {}),
    });
    await store
      .appendAudit({
        at: new Date(clock.now()).toISOString(),
        site: site.name,
        action: 'controller',
        actor: this.actor,
        event: decision.code === 'both-down' ? 'both-down-alert' : 'alert',
        detail: { code: decision.code, reason: decision.reason, ...(decision.to ? { to: decision.to } : {}) },
      })
      .catch((err) => log.error({ err }, 'could not audit the alert'));
    return outcome;
  }

  private async runMoveOff(site: Site, tunnel: string, instanceId: string): Promise<ControllerOutcome> {
    const trigger: ControllerTrigger = { kind: 'planned-termination', tunnel, instanceId };
    const log = this.props.log.child({ site: site.name, trigger: trigger.kind, tunnel, instanceId });
    const other = site.tunnels.find((t) => t.name !== tunnel)?.name;
    const observed = (await this.props.account.routeTables.observe([site]).catch(() => undefined))?.get(
      site.name,
    );
    const carrying = observed?.ok
      ? routeSlots(site, observed.value).filter((s) => s.tunnel === tunnel).length
      : null;
    const decide = (action: Decision['action'], reason: string): Decision => ({
      action,
      code: 'planned-termination',
      reason,
      evidence: { tunnel, instanceId, carrying },
      ...(other && action === 'failover' ? { to: other } : {}),
    });
    if (carrying === 0 || !other) {
      const decision = decide(
        'none',
        `did nothing: ${tunnel} (instance ${instanceId}) carries no route of ${site.name}`,
      );
      log.info({ decision }, decision.reason);
      return { site: site.name, trigger, decision, posted: false };
    }
    // Unreadable routes: try anyway; the executor reads them again and refuses if it cannot.
    const decision = decide(
      'failover',
      `the instance ${instanceId} of ${tunnel} is being terminated by its Auto Scaling group (planned)`,
    );
    const result = await this.executor.execute({
      site,
      to: other,
      actor: this.actor,
      reason: decision.reason,
      trigger: 'automatic',
    });
    log.info(
      { result },
      result.ok ? 'moved traffic off a terminating instance' : 'could not move traffic off',
    );
    const quiet = !result.ok && result.refusal === 'already-active';
    const outcome: ControllerOutcome = { site: site.name, trigger, decision, result, posted: false };
    if (!quiet)
      outcome.posted = await this.report(site, {
        kind: 'failover',
        to: other,
        reason: decision.reason,
        result,
      });
    return outcome;
  }

  /**
   * Another run holds the site's lease: evaluate again the moment it ends, whether it finished (the lease is
   * released: seen by reading it every FOLLOW_POLL_MS), ran out, or its process died (with the holder's
   * liveness address, heard at once as its held connection closes; the lease is then broken). A run that
   * died half-way is so finished within a second; the 1-minute reconcile is the backstop where the process
   * does not live on (Lambda).
   */
  private follow(site: string, why: 'run-in-progress' | 'refused'): void {
    if (this.following.has(site)) return;
    this.following.add(site);
    const { clock, liveness, log } = this.props;
    const stop = new AbortController();
    const stopped = new Promise<'stopped'>((r) =>
      stop.signal.addEventListener('abort', () => r('stopped'), { once: true }),
    );
    const work = async (): Promise<void> => {
      const { holder: first, brokeDead } = await this.lock.inspect(site);
      if (!first) {
        this.following.delete(site);
        // Its holder was found dead just now, or the lease the decision saw is gone: look again at once. A
        // refusal with no lease behind it had another reason (an unfit target): the usual triggers retry it,
        // and evaluating here would only be refused again, as fast as the store answers.
        if (brokeDead || why === 'run-in-progress')
          await this.evaluate(site, { kind: 'lease-ended', owner: 'gone before it was followed' });
        return;
      }
      let died: Promise<void> | null =
        first.liveness && liveness ? liveness.watch(first.liveness, FOLLOW_MAX_MS, stop.signal) : null;
      const since = clock.now();
      for (let holder = first; clock.now() - since < FOLLOW_MAX_MS; ) {
        const left = holder.expiresAt - clock.now();
        let timer: NodeJS.Timeout | undefined;
        const tick = new Promise<'tick'>((r) => {
          timer = setTimeout(() => r('tick'), Math.max(20, Math.min(FOLLOW_POLL_MS, left + 100)));
        });
        const woke = await Promise.race([tick, stopped, ...(died ? [died.then(() => 'died' as const)] : [])]);
        clearTimeout(timer);
        // settle() ran out of time: the next event or the reconcile looks at the site again.
        if (woke === 'stopped') return;
        // The connection closed but the check could not prove death: from here on the lease decides.
        if (woke === 'died') died = null;
        // A plain read while the held connection says nothing; the liveness check only once it closed.
        const next = (await this.lock.inspect(site, woke === 'died')).holder;
        if (!next || next.owner !== holder.owner) break;
        holder = next;
      }
      this.following.delete(site);
      await this.evaluate(site, { kind: 'lease-ended', owner: first.owner });
    };
    const entry = { stop, done: Promise.resolve() };
    this.follows.add(entry);
    entry.done = work()
      .catch((err) => log.error({ err, site }, 'following a failover lease failed'))
      .finally(() => {
        stop.abort();
        this.following.delete(site);
        this.follows.delete(entry);
      });
  }

  /**
   * Waits for the runs this process follows (and what they lead to) for at most `maxMs`, then stops following.
   * A Lambda calls it before it returns: work left running would be frozen with the sandbox and go on
   * mid-way through a later invocation. A long-lived process does not need it.
   */
  async settle(maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    while (this.follows.size > 0) {
      const left = deadline - Date.now();
      const pending = [...this.follows];
      if (left <= 0) {
        for (const f of pending) f.stop.abort();
        await Promise.all(pending.map((f) => f.done));
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(pending.map((f) => f.done)),
        new Promise((r) => {
          timer = setTimeout(r, left);
        }),
      ]);
      clearTimeout(timer);
    }
  }

  private async propose(site: Site, decision: Decision): Promise<ControllerOutcome['proposal']> {
    try {
      const res = await this.props.approvals!.request({
        action: 'failover',
        site: site.name,
        requester: this.actor,
        to: decision.to!,
        reason: `automatic: ${decision.reason}`,
        evidence: evidenceLines(decision),
      });
      return res.ok
        ? { requestId: res.request.id, created: res.created }
        : { created: false, reason: res.reason };
    } catch (err) {
      this.props.log.error({ err, site: site.name }, 'could not propose the failover');
      return { created: false, reason: reasonOf(err) };
    }
  }

  private async report(site: Site, r: Parameters<ReportSink['report']>[1]): Promise<boolean> {
    const sink = this.props.reports ?? (this.props.chat ? chatReports(this.props.chat) : undefined);
    if (!sink) return false;
    try {
      await sink.report(site, r);
      return true;
    } catch (err) {
      this.props.log.warn({ err, site: site.name }, 'could not post the controller notice');
      return false;
    }
  }
}
