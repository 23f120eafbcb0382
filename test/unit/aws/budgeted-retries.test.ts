import { describe, expect, it } from '@jest/globals';
import { retriesOutsideBudget } from '../../../src/aws/budgeted-retries.js';

describe('retriesOutsideBudget (the SDK retry strategy of budgeted EC2 calls)', () => {
  it('retries transient and server errors up to maxAttempts with a bounded backoff', async () => {
    const s = retriesOutsideBudget(3);
    let token = await s.acquireInitialRetryToken();
    expect(token.getRetryCount()).toBe(0);
    token = await s.refreshRetryTokenForRetry(token, { errorType: 'SERVER_ERROR' });
    expect(token.getRetryCount()).toBe(1);
    expect(token.getRetryDelay()).toBeLessThanOrEqual(200);
    token = await s.refreshRetryTokenForRetry(token, { errorType: 'TRANSIENT' });
    expect(token.getRetryCount()).toBe(2);
    await expect(s.refreshRetryTokenForRetry(token, { errorType: 'SERVER_ERROR' })).rejects.toThrow();
  });

  it('never retries a throttled call (the budget gives it its next turn) nor a client error', async () => {
    const s = retriesOutsideBudget(5);
    const token = await s.acquireInitialRetryToken();
    await expect(s.refreshRetryTokenForRetry(token, { errorType: 'THROTTLING' })).rejects.toThrow();
    await expect(s.refreshRetryTokenForRetry(token, { errorType: 'CLIENT_ERROR' })).rejects.toThrow();
  });
});
