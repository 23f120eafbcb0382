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

/** The holder's lease is gone (expired, or taken by another run): it must stop acting under it at once. */
export class LeaseLost extends Error {}

/** What a keeper keeps: how to extend the lease and, where the holder has them, how to re-read and release it. */
export interface RenewableLease {
  /** When the lease ends unless renewed. */
  expiresAt: number;
  /** Extends the lease; its new expiry, or null when it is no longer the holder's (expired, broken, taken). */
  renew(): Promise<number | null>;
  /** One read of the stored lease: false when it is another's now. Without it, confirmHeld() only checks time. */
  stillHeld?(): Promise<boolean>;
  /** Gives the lease up (conditional on it still being the holder's, so it never frees a later holder's). */
  release?(): Promise<void>;
}

/** Calls `tick` every `ms` until the returned stop is called (a timer that does not keep the process alive). */
export type Every = (ms: number, tick: () => void) => () => void;

const realEvery: Every = (ms, tick) => {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/**
 * The one way a long-running holder keeps its lease (a failover's or a redeploy's site lease, an approved run's
 * execution lease): renewed on a timer, independent of how long any one step of the run takes. Once a renewal
 * says the lease is lost, or the clock says it has (nearly) run out, the timer stops, `signal` aborts at once and
 * `assertHeld()` throws, so the holder learns it lost the lease on that tick rather than at its next store write.
 *
 * For route writers (EC2 takes no fencing token): `confirmHeld()` re-reads the lease before a route call unless
 * the store confirmed it within the last CONFIRMED_FRESH_MS, and `callSignal()` aborts a call (and the SDK's
 * retries) before the lease's expiry, so no call of this run lands after another run may hold it.
 */
export class LeaseKeeper {
  private expiresAt: number;
  private lostReason: string | null = null;
  private renewing = false;
  private readonly lostSignal = new AbortController();
  private readonly stopTimer: () => void;
  /** Fires at the lease's current expiry (less the margin); re-armed by every renewal. */
  private expiryTimer: NodeJS.Timeout | undefined;
  /** When the store last said the lease is the holder's (the acquire's read-back, a renewal, a re-read). */
  private confirmedAt: number;

  constructor(
    private readonly props: {
      lease: RenewableLease;
      /** What the lease is, for messages: 'site lock', 'execution lease'. */
      name: string;
      /** What happens after a loss, for the holder's error ("the next run converges the routes"). */
      afterLoss?: string;
      /** Renewal period: a quarter of the lease, so three renewals can fail before it runs out. */
      everyMs: number;
      clock: Clock;
      log: Logger;
      /** The holder stops this long before the expiry (room for a last call and clock skew); default 0. */
      safetyMs?: number;
      every?: Every;
    },
  ) {
    this.expiresAt = props.lease.expiresAt;
    this.confirmedAt = props.clock.now();
    this.stopTimer = (props.every ?? realEvery)(props.everyMs, () => void this.renew());
    this.armExpiry();
  }

  /** Aborts (with a LeaseLost) the moment the lease is known lost. */
  get signal(): AbortSignal {
    return this.lostSignal.signal;
  }

  /** Throws LeaseLost when the holder may no longer act under the lease (as far as this process knows). */
  assertHeld(): void {
    if (this.lost)
      throw new LeaseLost(
        `lost the ${this.props.name} mid-way (${this.lostReason})${this.props.afterLoss ? `; ${this.props.afterLoss}` : ''}`,
      );
  }

  /**
   * assertHeld(), then one read of the stored lease: throws LeaseLost when it carries another token (broken by
   * someone who wrongly took this process for dead, or taken after a clock-skewed expiry). A read that fails or
   * does not answer in the lease's remaining time proves nothing; the lease's expiry still bounds the run.
   */
  async confirmHeld(): Promise<void> {
    this.assertHeld();
    const { stillHeld } = this.props.lease;
    if (!stillHeld || this.props.clock.now() - this.confirmedAt < CONFIRMED_FRESH_MS) return;
    const readAt = this.props.clock.now();
    let held: boolean;
    try {
      held = await withTimeout(stillHeld.call(this.props.lease), this.remainingMs(), 'no lease read');
    } catch (err) {
      this.props.log.warn({ err }, `could not re-read the ${this.props.name} before acting under it`);
      this.assertHeld();
      return;
    }
    if (!held) this.lose('the stored lease is no longer ours');
    else this.confirmedAt = Math.max(this.confirmedAt, readAt);
    this.assertHeld();
  }

  /**
   * For one route call: aborts when the lease is lost, or when its expiry (less the safety margin) comes before a
   * renewal extended it, so neither the call nor an SDK retry of it goes out after the lease may be another's.
   * The expiry is the renewed one: a call that waits its turn in the account's EC2 request budget longer than
   * one TTL (the queue of an AZ outage) still goes out while the lease is renewed, rather than failing the run.
   */
  callSignal(): AbortSignal {
    return this.lostSignal.signal;
  }

  /** True once a renewal found the lease gone, a re-read found another's, or its time ran out. */
  get lost(): boolean {
    if (!this.lostReason && this.remainingMs() <= 0)
      this.lose('the lease ran out before it could be renewed');
    return this.lostReason !== null;
  }

  /** Stops renewing; the lease runs out at its expiry unless released. */
  stop(): void {
    this.stopTimer();
    clearTimeout(this.expiryTimer);
  }

  /** Stops renewing and gives the lease up (a lost one is left to expire or to its new holder: see release). */
  async release(): Promise<void> {
    this.stop();
    await this.props.lease.release?.();
  }

  /** Time left before the holder must stop: the lease's expiry less the safety margin. */
  private remainingMs(): number {
    return this.expiresAt - (this.props.safetyMs ?? 0) - this.props.clock.now();
  }

  /** Counts the lease lost (aborting every call signal) once its current expiry, less the margin, has come. */
  private armExpiry(): void {
    clearTimeout(this.expiryTimer);
    if (this.lostReason) return;
    this.expiryTimer = setTimeout(
      () => {
        if (!this.lost) this.armExpiry();
      },
      Math.max(0, this.remainingMs()),
    );
    this.expiryTimer.unref();
  }

  private lose(reason: string): void {
    if (this.lostReason) return;
    this.lostReason = reason;
    this.stop();
    this.lostSignal.abort(new LeaseLost(`lost the ${this.props.name} (${reason})`));
    this.props.log.error({ reason }, `lost the ${this.props.name}`);
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.lostReason) return;
    this.renewing = true;
    try {
      const renewedUntil = await this.props.lease.renew();
      if (renewedUntil !== null) {
        this.expiresAt = renewedUntil;
        this.confirmedAt = this.props.clock.now();
        this.armExpiry();
      } else this.lose('another holder has it now, or it expired');
    } catch (err) {
      // A store hiccup is not a lost lease yet: the next tick retries, and `lost` watches the expiry.
      this.props.log.warn({ err }, `could not renew the ${this.props.name}; retrying`);
    } finally {
      this.renewing = false;
    }
  }
}

/**
 * Keeps a run's site lease (SiteLock) alive every quarter of its TTL: renew, re-read and release all act only
 * under the lease's token, and the holder stops SiteLock.safetyMs before the expiry.
 */
export function keepSiteLease(props: {
  lock: SiteLock;
  lease: Lease;
  ttlMs: number;
  clock: Clock;
  log: Logger;
  renewEveryMs?: number;
  every?: Every;
}): LeaseKeeper {
  const { lock, ttlMs } = props;
  let lease = props.lease;
  return new LeaseKeeper({
    lease: {
      expiresAt: lease.expiresAt,
      async renew() {
        const renewed = await lock.renew(lease, ttlMs);
        if (renewed) lease = renewed;
        return renewed?.expiresAt ?? null;
      },
      stillHeld: () => lock.stillHeld(lease),
      release: () => lock.release(lease),
    },
    name: 'site lock',
    afterLoss: 'the next run converges the routes',
    everyMs: props.renewEveryMs ?? ttlMs / 4,
    clock: props.clock,
    log: props.log,
    safetyMs: lock.safetyMs,
    ...(props.every ? { every: props.every } : {}),
  });
}
