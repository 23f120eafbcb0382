import type { Heartbeat } from '../domain/heartbeat.js';
import type { PeerVerdict } from '../domain/peer-view.js';
import type { Logger } from '../log.js';
import type { Clock } from '../ports/clock.js';
import type { ControllerTrigger } from '../services/failover/failover-controller.js';
import type { HealthReporter, ProbeRound, TunnelHealthChange } from './health-reporter.js';

/** The slice of FailoverController the fast path drives. */
export interface FastPathController {
  /** `own`: this monitor's tunnel as it just measured it (see FailoverController.evaluate). */
  evaluate(site: string, trigger: ControllerTrigger, own?: Heartbeat): Promise<unknown>;
}

export interface FastPathReporterProps {
  controller: FastPathController;
  log: Logger;
  clock: Clock;
  /** While something is still wrong (own tunnel down, peer host dead), evaluate again this often. */
  retryMs?: number;
  /** Each evaluation that decides nothing doubles the wait before the next retry, up to this (default 60 s). */
  maxRetryMs?: number;
  /** The heartbeat a round makes (HeartbeatReporter.beatOf): each evaluation gets this tunnel's newest one. */
  ownHeartbeat?: (round: ProbeRound) => Heartbeat | undefined;
}

/**
 * The controller decided to do nothing (its outcome's decision), as opposed to a run refused or cut short. Another
 * process's run in progress is not "nothing": should that process die, this side finishes the run.
 */
const decidedNothing = (outcome: unknown): boolean => {
  const decision = (outcome as { decision?: { action?: unknown; code?: unknown } } | undefined)?.decision;
  return decision?.action === 'none' && decision.code !== 'run-in-progress';
};

/**
 * The controller found every route on this monitor's own tunnel and that tunnel fine ("active-ok" with it
 * active), or has just moved them here and verified it. With the peer host dead nothing is left for this side
 * to do until its own health or its view of the peer changes (each triggers an evaluation of its own), so it
 * stops retrying: a retry would only spend another read of the account's Describe buckets. Routes moved behind
 * its back are the backstop's (every minute).
 */
const carriesEveryRoute = (outcome: unknown, tunnel: string): boolean => {
  const o = outcome as
    | {
        decision?: { action?: unknown; code?: unknown; to?: unknown; evidence?: { active?: unknown } };
        result?: { ok?: unknown };
      }
    | undefined;
  const d = o?.decision;
  if (d?.code === 'active-ok') return d.evidence?.active === tunnel;
  return d?.action === 'failover' && d.to === tunnel && o?.result?.ok === true;
};

const ALARMING: ReadonlySet<PeerVerdict> = new Set(['host-dead', 'monitor-silent']);

/**
 * The fast path: the decision runs where the detection is. The monitor beside each server hands its own health
 * changes and its verdicts on the peer straight to the failover controller (same policy, site lease, audit and
 * Slack as the backstop), without an EventBridge or Lambda hop. Evaluations run beside the probe loop, never in
 * it: a slow store or Slack must not stop the heartbeats (that would look like a dead monitor to the peer).
 * One evaluation at a time; a trigger that arrives meanwhile runs right after.
 */
export class FastPathReporter implements HealthReporter {
  private inFlight: Promise<void> | null = null;
  private pending: ControllerTrigger | null = null;
  private lastVerdict: PeerVerdict = 'alive';
  private peerWasDown = false;
  /** When the last evaluation ended: a retry's wait counts from there. */
  private lastEvalAt = Number.NEGATIVE_INFINITY;
  private retryMs: number;
  /** Set while the last evaluation found this tunnel carrying every route (carriesEveryRoute): no retries. */
  private settled = false;
  /** This tunnel's newest round (a probe round, or the goodbye). */
  private latest: ProbeRound | undefined;

  constructor(private readonly props: FastPathReporterProps) {
    this.retryMs = props.retryMs ?? 5000;
  }

  async round(round: ProbeRound): Promise<void> {
    this.latest = round;
    const verdict = round.peer?.verdict ?? 'alive';
    const changed = verdict !== this.lastVerdict;
    this.lastVerdict = verdict;
    if (changed) this.settled = false;
    // The peer's monitor reported its own tunnel down: it decides, and this side evaluates too. Whichever
    // takes the site lease first runs; the other follows that run and finishes it should its process die. A
    // goodbye counts however late it is read: its age alone says "silent", and that verdict may not change.
    const peerDown = round.peer?.health === 'down' && (verdict === 'alive' || round.peer.goodbye === true);
    const peerWentDown = peerDown && !this.peerWasDown;
    this.peerWasDown = peerDown;
    if (changed && ALARMING.has(verdict) && round.peer) {
      this.trigger(round.site, round.tunnel, { kind: 'peer', tunnel: round.peer.view.tunnel, verdict });
      return;
    }
    if (peerWentDown && round.peer) {
      this.trigger(round.site, round.tunnel, {
        kind: 'health-changed',
        tunnel: round.peer.view.tunnel,
        health: 'down',
        reason: 'reported down in its monitor heartbeat',
      });
      return;
    }
    // Still wrong: a run that was refused or interrupted (lease lost, process killed) is retried from here. A
    // retry that decided nothing (the dead one is the standby, or traffic already moved) backs off: in an AZ
    // outage every monitor of the other AZ sees a dead peer, and each evaluation reads EC2's route tables from
    // the account's shared Describe bucket.
    const ownDown = round.state.health === 'down';
    const wrong = ownDown || verdict === 'host-dead';
    if (!wrong) {
      this.retryMs = this.props.retryMs ?? 5000;
      this.settled = false;
    }
    // Settled quiets only the dead peer's retries: with its own tunnel down this side keeps retrying, since the
    // "active-ok" that settled it may have been read before its own down heartbeat reached the store.
    // A retry never queues behind the evaluation in flight, and its wait counts from that one's end: with reads
    // queued for 30 s in the account's Describe bucket, each evaluation queued the next, back to back, and one
    // that would have settled never did (bench:fleet: 827 evaluations for 250 sites with nothing to do).
    if (
      wrong &&
      (ownDown || !this.settled) &&
      !this.inFlight &&
      this.props.clock.now() - this.lastEvalAt >= this.retryMs
    ) {
      this.trigger(
        round.site,
        round.tunnel,
        verdict === 'host-dead' && round.peer
          ? { kind: 'peer', tunnel: round.peer.view.tunnel, verdict }
          : { kind: 'health-changed', tunnel: round.tunnel, health: round.state.health },
      );
    }
  }

  async changed(change: TunnelHealthChange): Promise<void> {
    this.latest = change.round;
    this.settled = false;
    this.trigger(change.site, change.tunnel, {
      kind: 'health-changed',
      tunnel: change.tunnel,
      health: change.to,
      reason: change.reason,
    });
  }

  /** Waits for the evaluation in flight (and one queued behind it). */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** `tunnel` is this monitor's own. */
  private trigger(site: string, tunnel: string, trigger: ControllerTrigger): void {
    if (this.inFlight) {
      this.pending = trigger;
      return;
    }
    const run = async (t: ControllerTrigger): Promise<void> => {
      try {
        // Its own tunnel as measured by the round just before this evaluation, not as the store may still say:
        // its heartbeat write may not have landed yet (or failed), and the decision must not rest on that race.
        const own = this.latest && this.props.ownHeartbeat?.(this.latest);
        const outcome = await this.props.controller.evaluate(site, t, own);
        const base = this.props.retryMs ?? 5000;
        this.retryMs = decidedNothing(outcome)
          ? Math.min(this.props.maxRetryMs ?? 60_000, this.retryMs * 2)
          : base;
        // A trigger queued behind this evaluation re-decides; only the last one settles.
        this.settled = !this.pending && carriesEveryRoute(outcome, tunnel);
      } catch (err) {
        this.props.log.error({ err, site, trigger: t }, 'fast path evaluation failed');
      }
      this.lastEvalAt = this.props.clock.now();
      const next = this.pending;
      this.pending = null;
      if (next) return run(next);
      this.inFlight = null;
    };
    this.inFlight = run(trigger);
  }
}
