import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { TokenBucket } from '../../../src/aws/token-bucket.js';

// Fake timers and an injected clock: the pacing is asserted exactly, and a loaded CI machine cannot stretch the
// burst past a wall-clock threshold (it once measured a burst at > 20 ms).
describe('TokenBucket (EC2 mutating calls)', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('lets a burst through at once, then paces the rest at the refill rate, in order', async () => {
    const bucket = new TokenBucket(3, 20, () => Date.now()); // 3 at once, then one per 50 ms
    const at: number[] = [];
    const order: number[] = [];
    const all = Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        bucket.take().then(() => {
          at[i] = Date.now();
          order.push(i);
        }),
      ),
    );
    await jest.advanceTimersByTimeAsync(0);
    expect(order).toEqual([0, 1, 2]);
    expect(at.slice(0, 3)).toEqual([0, 0, 0]);

    await jest.advanceTimersByTimeAsync(49);
    expect(order).toEqual([0, 1, 2]);
    await jest.advanceTimersByTimeAsync(1);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(at[3]).toBe(50);

    await jest.advanceTimersByTimeAsync(50);
    await all;
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(at[4]).toBe(100);
  });

  it('refills while idle, up to its capacity and no further', async () => {
    const bucket = new TokenBucket(2, 10, () => Date.now()); // one token per 100 ms
    await bucket.take();
    await bucket.take();
    await jest.advanceTimersByTimeAsync(10_000); // far more than two tokens' worth of idle time
    let granted = 0;
    const takes = [0, 1, 2].map(() => bucket.take().then(() => granted++));
    await jest.advanceTimersByTimeAsync(0);
    expect(granted).toBe(2);
    await jest.advanceTimersByTimeAsync(100);
    await Promise.all(takes);
    expect(granted).toBe(3);
  });
});
