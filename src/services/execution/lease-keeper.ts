import type { Logger } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import { withTimeout } from '../../with-timeout.js';
import type { Lease, SiteLock } from './site-lock.js';

/**
 * A lease the store confirmed this recently (acquired, renewed or re-read) is not read again before a route call:
 * the first calls of a run go out together right after the lease was taken, as before. Well inside the 250 ms
 * safety margin, so a call still goes out at most this long after the store last said the lease was ours.
 */
const CONFIRMED_FRESH_MS = 100;

/** The run's site lease is gone (expired, or taken by another run): it must stop changing routes at once. */
export class LeaseLost extends Error {}

/**
 * Keeps a run's site lease alive on a timer (every quarter of its TTL), independent of how long any one route
 * call takes, instead of renewing between calls. Once a renewal says the lease is lost, or the clock says it
 * has (nearly) run out, `assertHeld()` throws and the run issues no further route change.
 *
 * EC2 takes no fencing token, so a route call cannot be refused by EC2 for a stale holder. What stands in for
 * it: `confirmHeld()` re-reads the lease (its token) before a route call unless the store confirmed it within
 * the last CONFIRMED_FRESH_MS, and `callSignal()` aborts a call
 * (and the SDK's retries) before the lease's expiry, so no call of this run lands after another run may hold it.
 */
export class LeaseKeeper {
  private lease: Lease;
  private lostReason: string | null = null;
  private readonly timer: NodeJS.Timeout;
  private renewing = false;
  private readonly lostSignal = new AbortController();
  /** When the store last said the lease is ours (the acquire's read-back, a renewal, a re-read). */
  private confirmedAt: number;

  constructor(
    private readonly props: {
      lock: SiteLock;
      lease: Lease;
      ttlMs: number;
      clock: Clock;
      log: Logger;
      renewEveryMs?: number;
    },
  ) {
    this.lease = props.lease;
    this.confirmedAt = props.clock.now();
    this.timer = setInterval(() => void this.renew(), props.renewEveryMs ?? props.ttlMs / 4);
    this.timer.unref();
  }

  /** Throws LeaseLost when this run may no longer act on the site (as far as this process knows). */
  assertHeld(): void {
    if (this.lost)
      throw new LeaseLost(
        `lost the site lock mid-way (${this.lostReason}); the next run converges the routes`,
      );
  }

  /**
   * assertHeld(), then one read of the stored lease: throws LeaseLost when it carries another token (broken by
   * someone who wrongly took this process for dead, or taken after a clock-skewed expiry). A read that fails or
   * does not answer in the lease's remaining time proves nothing; the lease's expiry still bounds the run.
   */
  async confirmHeld(): Promise<void> {
    this.assertHeld();
    if (this.props.clock.now() - this.confirmedAt < CONFIRMED_FRESH_MS) return;
    const readAt = this.props.clock.now();
    let held: boolean;
    try {
      held = await withTimeout(this.props.lock.stillHeld(this.lease), this.remainingMs(), 'no lease read');
    } catch (err) {
      this.props.log.warn({ err }, 'could not re-read the site lease before a route call');
      this.assertHeld();
      return;
    }
    if (!held) this.lose('the stored lease is no longer ours');
    else this.confirmedAt = Math.max(this.confirmedAt, readAt);
    this.assertHeld();
  }

  /**
   * For one route call: aborts when the lease is lost or when its current expiry (less the safety margin) comes,
   * whichever is first, so neither the call nor an SDK retry of it goes out after the lease may be another's.
   */
  callSignal(): AbortSignal {
    return AbortSignal.any([this.lostSignal.signal, AbortSignal.timeout(Math.max(0, this.remainingMs()))]);
  }

  /** True once a renewal found the lease gone, a re-read found another's, or its time ran out. */
  get lost(): boolean {
    if (!this.lostReason && this.remainingMs() <= 0)
      this.lose('the lease ran out before it could be renewed');
    return this.lostReason !== null;
  }

  /** The lease as last renewed (what release() needs). */
  current(): Lease {
    return this.lease;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Time left before the writer must stop: the lease's expiry less the safety margin. */
  private remainingMs(): number {
    return this.lease.expiresAt - this.props.lock.safetyMs - this.props.clock.now();
  }

  private lose(reason: string): void {
    if (this.lostReason) return;
    this.lostReason = reason;
    this.lostSignal.abort(new LeaseLost(`lost the site lock (${reason})`));
    this.props.log.error({ reason }, 'lost the site lease');
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.lostReason) return;
    this.renewing = true;
    try {
      const renewed = await this.props.lock.renew(this.lease, this.props.ttlMs);
      if (renewed) {
        this.lease = renewed;
        this.confirmedAt = this.props.clock.now();
      } else this.lose('another run holds it now, or it expired');
    } catch (err) {
      // A store hiccup is not a lost lease yet: the next tick retries, and assertHeld() watches the expiry.
      this.props.log.warn({ err }, 'could not renew the site lease; retrying');
    } finally {
      this.renewing = false;
    }
  }
}
