import type { Logger } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { ProcessLiveness } from '../../ports/liveness.js';
import type { LeaseHolder, SiteLock } from '../execution/site-lock.js';

/** How often a followed lease is read (to see it released) while its run lasts. */
const FOLLOW_POLL_MS = 250;
/** A run is followed for at most this long (a lease is renewed while its run lasts; runs last seconds). */
const FOLLOW_MAX_MS = 60_000;

/** Why a lease is followed: the decision saw a run in progress, or the executor was refused by its lease. */
export type FollowReason = 'run-in-progress' | 'refused';

/**
 * Another run holds the site's lease: evaluate again the moment it ends, whether it finished (the lease is
 * released: seen by reading it every FOLLOW_POLL_MS), ran out, or its process died (with the holder's
 * liveness address, heard at once as its held connection closes; the lease is then broken). A run that
 * died half-way is so finished within a second; the 1-minute reconcile is the backstop where the process
 * does not live on (Lambda).
 */
export class LeaseFollower {
  /** Sites whose lease holder this process is already following. */
  private readonly following = new Set<string>();
  /** Every follow still running (with the evaluation it ends in): what settle() waits for or stops. */
  private readonly follows = new Set<{ stop: AbortController; done: Promise<void> }>();

  constructor(
    private readonly props: {
      lock: SiteLock;
      clock: Clock;
      log: Logger;
      liveness?: ProcessLiveness;
      /** Evaluates the site again once the followed lease ended (`owner`: whose it was). */
      onEnded: (site: string, owner: string) => Promise<unknown>;
    },
  ) {}

  /** Follows the site's lease holder, unless this process already does. */
  follow(site: string, why: FollowReason): void {
    if (this.following.has(site)) return;
    this.following.add(site);
    const stop = new AbortController();
    const entry = { stop, done: Promise.resolve() };
    this.follows.add(entry);
    entry.done = this.watch(site, why, stop.signal)
      .catch((err) => this.props.log.error({ err, site }, 'following a failover lease failed'))
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

  /** One follow: the holder the decision saw, until its lease ends; then the evaluation it leads to. */
  private async watch(site: string, why: FollowReason, signal: AbortSignal): Promise<void> {
    const { holder: first, brokeDead } = await this.props.lock.inspect(site);
    if (!first) {
      this.following.delete(site);
      // Its holder was found dead just now, or the lease the decision saw is gone: look again at once. A
      // refusal with no lease behind it had another reason (an unfit target): the usual triggers retry it,
      // and evaluating here would only be refused again, as fast as the store answers.
      if (brokeDead || why === 'run-in-progress')
        await this.props.onEnded(site, 'gone before it was followed');
      return;
    }
    if ((await this.untilEnded(site, first, signal)) === 'stopped') return;
    this.following.delete(site);
    await this.props.onEnded(site, first.owner);
  }

  /**
   * Reads the lease until another owner (or none) holds it, its holder's process dies, or FOLLOW_MAX_MS pass;
   * 'stopped' when settle() ran out of time (the next event or the reconcile looks at the site again).
   */
  private async untilEnded(
    site: string,
    first: LeaseHolder,
    signal: AbortSignal,
  ): Promise<'ended' | 'stopped'> {
    const { clock, liveness } = this.props;
    // Aborted while the first read was out: stopped at once, as a listener added now would never hear it.
    const stopped = new Promise<'stopped'>((r) => {
      if (signal.aborted) r('stopped');
      else signal.addEventListener('abort', () => r('stopped'), { once: true });
    });
    let died: Promise<void> | null =
      first.liveness && liveness ? liveness.watch(first.liveness, FOLLOW_MAX_MS, signal) : null;
    const since = clock.now();
    for (let holder = first; clock.now() - since < FOLLOW_MAX_MS; ) {
      const left = holder.expiresAt - clock.now();
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<'tick'>((r) => {
        timer = setTimeout(() => r('tick'), Math.max(20, Math.min(FOLLOW_POLL_MS, left + 100)));
      });
      const woke = await Promise.race([tick, stopped, ...(died ? [died.then(() => 'died' as const)] : [])]);
      clearTimeout(timer);
      if (woke === 'stopped') return 'stopped';
      // The connection closed but the check could not prove death: from here on the lease decides.
      if (woke === 'died') died = null;
      // A plain read while the held connection says nothing; the liveness check only once it closed.
      const next = (await this.props.lock.inspect(site, woke === 'died')).holder;
      if (!next || next.owner !== holder.owner) break;
      holder = next;
    }
    return 'ended';
  }
}
