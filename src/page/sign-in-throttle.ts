/**
 * One budget of sign-in attempts for the whole server (not per request or per address, which parallel or
 * spread guesses get around): a burst of `burst`, refilled at one per `refillMs`. An attempt takes one and a
 * right token gives it back, so only wrong guesses spend it; while it is empty every attempt is refused
 * unchecked (a person with the token waits at most `refillMs`, or uses Slack or the Bearer API meanwhile).
 */
export class SignInThrottle {
  private tokens: number;
  private last: number;

  constructor(
    private readonly now: () => number,
    private readonly burst = 10,
    private readonly refillMs = 6_000,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  take(): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + (t - this.last) / this.refillMs);
    this.last = t;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  giveBack(): void {
    this.tokens = Math.min(this.burst, this.tokens + 1);
  }
}
