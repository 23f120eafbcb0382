/** The SDK's retry token (RetryStrategyV2): how many retries so far, and how long to wait before the next. */
interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/**
 * The SDK's retries for EC2 calls that wait their turn in the account's request budget (ec2-request-budget.ts):
 * a dropped connection or a server error is retried with exponential backoff, as the SDK's standard strategy
 * does; a throttled call (RequestLimitExceeded) is not. It goes straight back to the caller, which waits for a
 * fresh turn in the budget: an SDK backoff on top would go out of turn, after a wait no other process knows of.
 */
export function retriesOutsideBudget(maxAttempts: number) {
  const token = (count: number, delayMs: number): RetryToken => ({
    getRetryCount: () => count,
    getRetryDelay: () => delayMs,
  });
  return {
    acquireInitialRetryToken: async (): Promise<RetryToken> => token(0, 0),
    refreshRetryTokenForRetry: async (
      previous: RetryToken,
      info: { errorType: 'TRANSIENT' | 'SERVER_ERROR' | 'CLIENT_ERROR' | 'THROTTLING' },
    ): Promise<RetryToken> => {
      const next = previous.getRetryCount() + 1;
      if (next >= maxAttempts || info.errorType === 'THROTTLING' || info.errorType === 'CLIENT_ERROR')
        throw new Error('not retried by the SDK');
      // The standard strategy's backoff: full jitter over 100 ms x 2^n, at most 20 s.
      return token(next, Math.random() * Math.min(20_000, 100 * 2 ** next));
    },
    recordSuccess: (_token: RetryToken): void => {},
  };
}
