import { describe, expect, it } from '@jest/globals';
import { TokenBucket } from '../../../src/aws/token-bucket.js';

describe('TokenBucket (EC2 mutating calls)', () => {
  it('lets a burst through at once, then paces the rest at the refill rate, in order', async () => {
    const bucket = new TokenBucket(3, 20); // 3 at once, then one per 50 ms
    const t0 = performance.now();
    const at: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((i) =>
        bucket.take().then(() => {
          at[i] = performance.now() - t0;
        }),
      ),
    );
    expect(at.slice(0, 3).every((t) => t < 20)).toBe(true);
    expect(at[3]).toBeGreaterThanOrEqual(40);
    expect(at[4]).toBeGreaterThanOrEqual(90);
    expect(at[4]!).toBeGreaterThan(at[3]!);
  });
});
