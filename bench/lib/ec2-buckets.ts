/**
 * EC2's request throttling as the account sees it (AWS's "Request throttling for the Amazon EC2 API"): every API
 * has its own token bucket per account and region, with a maximum size and a refill per second; a request that
 * finds its bucket empty fails with RequestLimitExceeded and costs nothing. Refill tokens arrive whether or not
 * anyone waits, and a full bucket drops them.
 *
 * Defaults: the page's request-token categories, mutating actions (ReplaceRoute, CreateRoute ...) 200 tokens
 * refilled at 5 per second, non-mutating (Describe*) 100 at 20 per second. Each API has a bucket of its own.
 * Every figure can be changed (an account AWS raised, or a scaled-down short form): see parseBucketSpec.
 */
export interface BucketSize {
  size: number;
  refillPerSecond: number;
}

export interface BucketConfig {
  mutating: BucketSize;
  nonMutating: BucketSize;
  /** Per-API sizes that differ from their category's. */
  perApi?: Record<string, BucketSize>;
}

export const AWS_DEFAULT_BUCKETS: BucketConfig = {
  mutating: { size: 200, refillPerSecond: 5 },
  nonMutating: { size: 100, refillPerSecond: 20 },
};

const MUTATING =
  /^(Create|Replace|Delete|Modify|Associate|Disassociate|Attach|Detach|Run|Terminate|Start|Stop)/;

/**
 * "mutating=200/5,nonMutating=100/20,ReplaceRoute=400/10": any of the keys, each size/refill per second.
 * Unknown keys are per-API sizes. Throws on anything else, so a typo never runs a bench against wrong limits.
 */
export function parseBucketSpec(
  spec: string | undefined,
  base: BucketConfig = AWS_DEFAULT_BUCKETS,
): BucketConfig {
  const config: BucketConfig = { ...base, perApi: { ...base.perApi } };
  if (!spec?.trim()) return config;
  for (const part of spec.split(',')) {
    const m = /^\s*([A-Za-z]+)=(\d+)\/(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m)
      throw new Error(`bad bucket "${part}": expected <api|mutating|nonMutating>=<size>/<refill per second>`);
    const size = { size: Number(m[2]), refillPerSecond: Number(m[3]) };
    if (size.size < 1 || size.refillPerSecond <= 0)
      throw new Error(`bad bucket "${part}": size >= 1, refill > 0`);
    if (m[1] === 'mutating') config.mutating = size;
    else if (m[1] === 'nonMutating') config.nonMutating = size;
    else config.perApi![m[1]!] = size;
  }
  return config;
}

/**
 * The same sizes as TUNNELOPS_EC2_BUDGET spells them, per-API sizes included: the budget must pace each API at
 * the rate the stand-in throttles it (a per-API size left out made the budget pace at its category's rate and
 * EC2 throttle most calls).
 */
export function budgetSpecOf(config: BucketConfig): string {
  const spec = (key: string, b: BucketSize) => `${key}=${b.size}/${b.refillPerSecond}`;
  return [
    spec('mutating', config.mutating),
    spec('nonMutating', config.nonMutating),
    ...Object.entries(config.perApi ?? {}).map(([api, b]) => spec(api, b)),
  ].join(',');
}

export const isMutating = (api: string): boolean => MUTATING.test(api);

export function bucketOf(config: BucketConfig, api: string): BucketSize {
  return config.perApi?.[api] ?? (isMutating(api) ? config.mutating : config.nonMutating);
}

/** The account's buckets for one region: take() at the moment a request arrives. */
export class Ec2ApiBuckets {
  private readonly state = new Map<string, { tokens: number; at: number }>();
  readonly throttled = new Map<string, number>();
  readonly accepted = new Map<string, number>();

  constructor(
    readonly config: BucketConfig,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True when the request may run (a token was taken); false: RequestLimitExceeded. */
  take(api: string): boolean {
    const { size, refillPerSecond } = bucketOf(this.config, api);
    const t = this.now();
    const s = this.state.get(api) ?? { tokens: size, at: t };
    s.tokens = Math.min(size, s.tokens + ((t - s.at) / 1000) * refillPerSecond);
    s.at = t;
    this.state.set(api, s);
    const counts = s.tokens >= 1 ? this.accepted : this.throttled;
    counts.set(api, (counts.get(api) ?? 0) + 1);
    if (s.tokens < 1) return false;
    s.tokens -= 1;
    return true;
  }

  count(map: Map<string, number>, filter: (api: string) => boolean): number {
    return [...map].filter(([api]) => filter(api)).reduce((a, [, n]) => a + n, 0);
  }
}

/**
 * The shortest time `calls` mutating calls can take under one bucket that starts full: the burst at once, the
 * rest at the refill rate, plus one call's latency for the last to answer.
 */
export function bucketLimitSeconds(calls: number, bucket: BucketSize, callSeconds: number): number {
  if (calls <= 0) return 0;
  return Math.max(0, calls - bucket.size) / bucket.refillPerSecond + callSeconds;
}
