import type { Logger } from '../../log.js';
import type { Clock } from '../../ports/clock.js';
import type { Lease, SiteLock } from './site-lock.js';

/** The run's site lease is gone (expired, or taken by another run): it must stop changing routes at once. */
export class LeaseLost extends Error {}

/**
 * Keeps a run's site lease alive on a timer (every quarter of its TTL), independent of how long any one route
 * call takes, instead of renewing between calls. Once a renewal says the lease is lost, or the clock says it
 * has (nearly) run out, `assertHeld()` throws and the run issues no further route change.
 */
export class LeaseKeeper {
  private lease: Lease;
  private lostReason: string | null = null;
  private readonly timer: NodeJS.Timeout;
  private renewing = false;

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
    this.timer = setInterval(() => void this.renew(), props.renewEveryMs ?? props.ttlMs / 4);
    this.timer.unref();
  }

  /** Throws LeaseLost when this run may no longer act on the site. */
  assertHeld(): void {
    if (!this.lostReason && this.lease.expiresAt - this.props.clock.now() < this.props.lock.safetyMs)
      this.lostReason = 'the lease ran out before it could be renewed';
    if (this.lostReason)
      throw new LeaseLost(
        `lost the site lock mid-way (${this.lostReason}); the next run converges the routes`,
      );
  }

  get lost(): boolean {
    return this.lostReason !== null;
  }

  /** The lease as last renewed (what release() needs). */
  current(): Lease {
    return this.lease;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.lostReason) return;
    this.renewing = true;
    try {
      const renewed = await this.props.lock.renew(this.lease, this.props.ttlMs);
      if (renewed) this.lease = renewed;
      else this.lostReason = 'another run holds it now, or it expired';
    } catch (err) {
      // A store hiccup is not a lost lease yet: the next tick retries, and assertHeld() watches the expiry.
      this.props.log.warn({ err }, 'could not renew the site lease; retrying');
    } finally {
      this.renewing = false;
    }
    if (this.lostReason) this.props.log.error({ reason: this.lostReason }, 'lost the site lease');
  }
}
