import { ConfigError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import type { Clock } from '../ports/clock.js';
import type { Store } from '../ports/store.js';
import { advanceNumber } from '../ports/store-advance.js';
import { withTimeout } from '../with-timeout.js';
import { TokenBucket } from './token-bucket.js';

/** A token bucket as EC2 documents them: at most `size` tokens, `refillPerSecond` added back each second. */
export interface BucketSize {
  size: number;
  refillPerSecond: number;
}

/**
 * EC2 throttles each API with its own bucket per account and region ("Request throttling for the Amazon EC2
 * API"): mutating actions (ReplaceRoute, CreateRoute) 200 tokens refilled at 5 per second, non-mutating
 * (DescribeRouteTables, DescribeInstances) 100 at 20 per second. The budget spends the same figures, so the
 * fleet uses the whole bucket and no more; an account AWS raised sets TUNNELOPS_EC2_BUDGET.
 */
export const EC2_BUCKETS: { mutating: BucketSize; nonMutating: BucketSize } = {
  mutating: { size: 200, refillPerSecond: 5 },
  nonMutating: { size: 100, refillPerSecond: 20 },
};

/** Waits until the account's bucket for an API has room for `tokens` calls of this process. */
export interface RequestBudget {
  take(region: string, api: string, tokens?: number, opts?: TakeOptions): Promise<void>;
}

export interface TakeOptions {
  /**
   * The call already had its turn and EC2 throttled it anyway: EC2's bucket held fewer tokens than the record
   * said (a caller outside the budget took one). The record takes that token too, and the call waits for a turn
   * of its own, at the back: any sooner turn belongs to a call already waiting, which would then be throttled in
   * its place and do the same. (Taking "the next token" instead kept a chain of throttled calls going at 500
   * sites: thousands of RequestLimitExceeded, each adding a token to the record, until the queue passed its
   * bound and every process paced alone; bench:fleet.)
   */
  afterThrottle?: boolean;
}

/** The store namespace of the budget records (one per region and API; infra grants server hosts this one). */
export const EC2_BUDGET_NS = 'ec2-budget';
/** Clocks of honest hosts (NTP) differ by far less; a record further ahead than the bound plus this is forged. */
const SKEW_MS = 5000;

/** A route change that waits longer than this for its turn is overtaken by the backstop's next round (1/min). */
const MIN_WAIT_BOUND_MS = 60_000;

/**
 * The longest wait a reservation may impose: the time the whole bucket takes to refill, and at least a minute
 * (for AWS's default buckets: 60 s), as long as a fleet-wide queue for EC2's own bucket is worth waiting in.
 * A record that claims more (a forged or corrupt one, or a queue longer than that) makes the caller pace
 * itself locally instead, so no writer of the record can hold another site's route changes longer than this.
 */
export const waitBoundMs = (bucket: BucketSize): number =>
  Math.max((bucket.size / bucket.refillPerSecond) * 1000, MIN_WAIT_BOUND_MS);

/** The store's record implies a wait beyond waitBoundMs. */
class WaitBeyondBound extends Error {
  constructor(
    readonly claimedWaitMs: number,
    readonly boundMs: number,
  ) {
    super(
      `EC2 request budget: a wait of ${Math.round(claimedWaitMs)} ms is beyond the bound of ${boundMs} ms`,
    );
  }
}

/**
 * One request budget per account, region and API, shared by every process through the store: the fast path
 * of every monitor, the backstop and the bot draw from the same bucket, so an AZ outage spends EC2's bucket at
 * its rate instead of every process draining it at once and retrying into RequestLimitExceeded.
 *
 * A reservation (GCRA, the generic cell rate algorithm) is one atomic advance of one record (Store.advance, no
 * read first, so no caller loses a race and retries): the caller learns at once when its calls may go and sleeps
 * until then. Reservations are granted in the order they reach the
 * store, so a site that asked first is served first, and a site reserves all its calls at once, so its routes
 * move together (fair across sites, no site starved by others' retries).
 *
 * The store sits in front of route changes here, so it must never stop them: a store that errs or takes longer
 * than `storeTimeoutMs` (2 s) makes this process pace itself with a local bucket of the same size instead.
 */
export class StoreRequestBudget implements RequestBudget {
  private readonly local = new Map<string, TokenBucket>();

  constructor(
    private readonly props: {
      store: Store;
      clock: Clock;
      log: Logger;
      bucketOf?: (api: string) => BucketSize;
      storeTimeoutMs?: number;
      /** Sleeps until a reservation's time (tests pass a fake). */
      sleep?: (ms: number) => Promise<void>;
    },
  ) {}

  async take(region: string, api: string, tokens = 1, opts: TakeOptions = {}): Promise<void> {
    const bucket = this.bucketOf(api);
    const key = `${region}:${api}`;
    let waitMs: number;
    try {
      waitMs = await withTimeout(
        this.reserve(key, bucket, tokens, opts.afterThrottle === true),
        this.props.storeTimeoutMs ?? 2000,
        'EC2 request budget',
      );
    } catch (err) {
      if (err instanceof WaitBeyondBound) {
        this.props.log.warn(
          { region, api, claimedWaitMs: err.claimedWaitMs, boundMs: err.boundMs },
          'EC2 request budget record asks for a longer wait than the bucket allows; waiting the bound, then pacing this process alone',
        );
        // The bound, not the claim: a forged record holds no call longer. Not at once either: a queue that long
        // is real at fleet scale (1,000 monitors starting together), and callers jumping it at once were
        // throttled, came back, and jumped it again (bench:fleet: 34,644 such calls before an outage).
        await (this.props.sleep ?? defaultSleep)(err.boundMs);
      } else
        this.props.log.warn(
          { err, region, api },
          'EC2 request budget unavailable; pacing this process alone',
        );
      const local = this.localBucket(key, bucket);
      for (let i = 0; i < tokens; i++) await local.take();
      return;
    }
    if (waitMs > 0) await (this.props.sleep ?? defaultSleep)(waitMs);
  }

  /**
   * Reserves `tokens` from the shared bucket; returns how long to wait before calling. One atomic advance of
   * the record's GCRA time (Store.advance), no read first, so a fleet reserving at once is served one write each
   * rather than losing compare-and-set races and retrying. The record is outside input (every host that paces
   * through the budget can write it), so the wait it implies is bounded by the time the whole bucket takes to
   * refill (`waitBoundMs`): a longer wait is refused (WaitBeyondBound, nothing written), and a record no honest
   * writer could have left (its bucket full further ahead than that bound, plus clock skew, or not a number) is
   * replaced as if it were absent.
   */
  private async reserve(
    key: string,
    bucket: BucketSize,
    tokens: number,
    afterThrottle: boolean,
  ): Promise<number> {
    const { store, clock } = this.props;
    const { intervalMs, burstMs, boundMs } = recordTimes(bucket);
    const now = clock.now();
    // After a throttle, one token more: the one a caller outside the budget took (see TakeOptions).
    const increment = (tokens + (afterThrottle ? 1 : 0)) * intervalMs;
    const replaceAbove = honestAtMost(now, bucket);
    const result = await store.advance(EC2_BUDGET_NS, key, {
      floor: now,
      increment,
      // A reservation whose wait would pass the bound is not made.
      ceiling: now + burstMs + boundMs - increment,
      replaceAbove,
      // Kept while a reservation may be pending or the bucket refilling; a record behind `now` counts as now.
      ttlMs: Math.ceil(burstMs + boundMs) + 1000,
    });
    if (!result.advanced) throw new WaitBeyondBound(result.stored + increment - burstMs - now, boundMs);
    if (result.replaced)
      this.props.log.warn(
        { key, now },
        'EC2 request budget record is impossible (corrupt or forged); replaced it',
      );
    return waitAt(result.value, bucket, now);
  }

  /**
   * How long a reservation for `api` in `region` made now would wait: the fleet's queue for EC2's bucket, from one
   * read of the record and no write (the backstop asks it before reading routes it may not need). A record no
   * honest writer could have left (reservations replace it), a store error and a store too slow all count as no
   * queue: this only ever holds a caller back, so what cannot be trusted lets it go as it would without the
   * budget, and a forged record holds it for no longer than the bound it is forged within.
   */
  async queueMs(region: string, api: string): Promise<number> {
    const { store, clock, log } = this.props;
    const bucket = this.bucketOf(api);
    const key = `${region}:${api}`;
    let value: unknown;
    try {
      const record = await withTimeout(
        store.get<unknown>(EC2_BUDGET_NS, key),
        this.props.storeTimeoutMs ?? 2000,
        'EC2 request budget',
      );
      value = record?.value;
    } catch (err) {
      log.warn({ err, key }, 'EC2 request budget unreadable; counting no queue');
      return 0;
    }
    if (value === undefined) return 0;
    const now = clock.now();
    const n = advanceNumber(value);
    if (n === undefined || n > honestAtMost(now, bucket)) {
      log.warn(
        { key, now },
        'EC2 request budget record is impossible (corrupt or forged); counting no queue',
      );
      return 0;
    }
    return waitAt(n, bucket, now);
  }

  private bucketOf(api: string): BucketSize {
    return this.props.bucketOf?.(api) ?? (isMutating(api) ? EC2_BUCKETS.mutating : EC2_BUCKETS.nonMutating);
  }

  private localBucket(key: string, bucket: BucketSize): TokenBucket {
    let b = this.local.get(key);
    if (!b) {
      b = new TokenBucket(bucket.size, bucket.refillPerSecond);
      this.local.set(key, b);
    }
    return b;
  }
}

/** A bucket in the record's unit (ms): one token's interval, the whole burst, and the longest wait it imposes. */
function recordTimes(bucket: BucketSize): { intervalMs: number; burstMs: number; boundMs: number } {
  const intervalMs = 1000 / bucket.refillPerSecond;
  return { intervalMs, burstMs: bucket.size * intervalMs, boundMs: waitBoundMs(bucket) };
}

/** The wait at `now` of a reservation whose record reads `n` (the bucket full again at n - burst). */
function waitAt(n: number, bucket: BucketSize, now: number): number {
  return Math.max(0, n - recordTimes(bucket).burstMs - now);
}

/** The furthest ahead an honest writer can leave the record at `now` (the bound's wait), plus clock skew. */
function honestAtMost(now: number, bucket: BucketSize): number {
  const { burstMs, boundMs } = recordTimes(bucket);
  return now + burstMs + boundMs + SKEW_MS;
}

/** EC2's answer when an API's bucket is empty (the SDK has already retried it). */
export const isThrottled = (err: unknown): boolean => {
  const e = err as { name?: string; Code?: string };
  return /^(RequestLimitExceeded|Throttling|ThrottlingException)$/.test(e.Code ?? e.name ?? '');
};

const isMutating = (api: string): boolean => !/^(Describe|Get|List)/.test(api);
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * "mutating=200/5,nonMutating=100/20,ReplaceRoute=400/10" (TUNNELOPS_EC2_BUDGET): sizes per category or API.
 * Throws with the expected form on anything else.
 */
export function parseBudgetSpec(spec: string | undefined): (api: string) => BucketSize {
  const perApi = new Map<string, BucketSize>();
  let { mutating, nonMutating } = EC2_BUCKETS;
  for (const part of spec?.trim() ? spec.split(',') : []) {
    const m = /^\s*([A-Za-z]+)=(\d+)\/(\d+(?:\.\d+)?)\s*$/.exec(part);
    const size = m ? { size: Number(m[2]), refillPerSecond: Number(m[3]) } : null;
    if (!m || !size || size.size < 1 || size.refillPerSecond <= 0)
      throw new ConfigError(
        `TUNNELOPS_EC2_BUDGET: "${part}" is not <api|mutating|nonMutating>=<size>/<refill per second> (e.g. mutating=200/5)`,
      );
    if (m[1] === 'mutating') mutating = size;
    else if (m[1] === 'nonMutating') nonMutating = size;
    else perApi.set(m[1]!, size);
  }
  return (api) => perApi.get(api) ?? (isMutating(api) ? mutating : nonMutating);
}
