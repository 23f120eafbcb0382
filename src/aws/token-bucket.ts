/**
 * A client-side token bucket in front of EC2's own. EC2 throttles mutating actions (ReplaceRoute, CreateRoute)
 * per account and region with a bucket of 200 tokens refilled at 5 per second, shared with everything else in
 * the account (an ASG launching instances, CloudFormation ...). We keep to a small share of it: a burst of 20
 * (a 3 x 4 site moves at once) then 5 per second, so a runaway loop cannot starve the account or get every
 * call answered with RequestLimitExceeded in the middle of a failover.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private waiters: Array<() => void> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly capacity = 20,
    private readonly refillPerSecond = 5,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  /** Resolves once a token is taken (at once while the burst lasts). */
  take(): Promise<void> {
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.schedule();
    });
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((t - this.last) / 1000) * this.refillPerSecond);
    this.last = t;
  }

  private schedule(): void {
    if (this.timer) return;
    const waitMs = Math.max(1, ((1 - this.tokens) / this.refillPerSecond) * 1000);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refill();
      while (this.waiters.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        this.waiters.shift()?.();
      }
      if (this.waiters.length > 0) this.schedule();
    }, waitMs);
  }
}
