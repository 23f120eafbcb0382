import { describe, expect, it } from '@jest/globals';
import { budgetSpecOf, parseBucketSpec } from '../../../bench/lib/ec2-buckets.js';
import { parseBudgetSpec } from '../../../src/aws/ec2-request-budget.js';

// bench:fleet's EC2 stand-in throttles each API at the sizes BENCH_EC2_BUCKETS gives; the monitors' budget must pace
// at the same ones. A per-API size was once left out of the budget's spec: the budget paced DescribeRouteTables at
// its category's rate while the stand-in throttled it at its own, and most calls came back RequestLimitExceeded.
describe("bench:fleet's buckets as the budget reads them", () => {
  it('gives the budget every size the stand-in enforces, per-API sizes included', () => {
    const config = parseBucketSpec('mutating=40/5,nonMutating=20/20,DescribeRouteTables=20/3');
    const budget = parseBudgetSpec(budgetSpecOf(config));
    expect(budget('DescribeRouteTables')).toEqual({ size: 20, refillPerSecond: 3 });
    expect(budget('DescribeInstances')).toEqual({ size: 20, refillPerSecond: 20 });
    expect(budget('ReplaceRoute')).toEqual({ size: 40, refillPerSecond: 5 });
  });
});
