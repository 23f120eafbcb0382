/**
 * What the server may hold of request bodies across all requests at once. Each route bounds one body
 * (RouteOptions.maxBody); this bounds their sum and how many are being read, so many slow or stalled uploads
 * (each under its route's limit) cannot together fill the task's memory or starve /healthz.
 */
export interface BodyLimits {
  /** Bytes of bodies buffered at once (read and not yet released by their handler). */
  maxBytesInFlight: number;
  /** Bodies being read at once; one more is answered 503 at once. */
  maxReads: number;
  /** Refused bodies drained at once (so the client reads our answer); past that, answered and closed. */
  maxDrains: number;
  /** A body must arrive within this long once reading starts (Slack and GitHub send theirs in milliseconds). */
  readTimeoutMs: number;
}

/**
 * 32 MiB is eight of the largest bodies we take (4 MiB GitHub webhooks) and a small share of the bot task's
 * 1 GiB; 64 reads is far above what Slack, SNS and GitHub send at once to one bot.
 */
export const BODY_LIMITS: BodyLimits = {
  maxBytesInFlight: 32 * 1024 * 1024,
  maxReads: 64,
  maxDrains: 8,
  readTimeoutMs: 10_000,
};

/** The counters behind BodyLimits; every take is matched by a give. */
export class BodyBudget {
  private bytes = 0;
  private readsNow = 0;

  constructor(readonly limits: BodyLimits) {}

  get bytesInFlight(): number {
    return this.bytes;
  }

  get reads(): number {
    return this.readsNow;
  }

  /** Starts one body read, or false when maxReads are already under way. */
  startRead(): boolean {
    if (this.readsNow >= this.limits.maxReads) return false;
    this.readsNow++;
    return true;
  }

  endRead(): void {
    this.readsNow--;
  }

  /** Takes `n` more bytes, or false (taking nothing) when that would pass maxBytesInFlight. */
  take(n: number): boolean {
    if (this.bytes + n > this.limits.maxBytesInFlight) return false;
    this.bytes += n;
    return true;
  }

  give(n: number): void {
    this.bytes -= n;
  }
}
