import { describe, expect, it } from '@jest/globals';
import { EC2_BUDGET_NS, StoreRequestBudget, waitBoundMs } from '../../../src/aws/ec2-request-budget.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import type { Store } from '../../../src/ports/store.js';
import { captureLog } from '../../helpers/capture-log.js';

// Issue 23: the backstop asks how long the account's queue for an API is before it reads (one get, no write).
describe("the EC2 request budget's queue, read without reserving", () => {
  const bucket = { size: 2, refillPerSecond: 5 }; // 200 ms a token, 400 ms of burst
  const key = 'us-east-1:DescribeRouteTables';
  const setup = (store: Store = new SqliteStore({ path: ':memory:' })) => {
    let now = 1_000_000;
    const waits: number[] = [];
    const { log, lines } = captureLog();
    const budget = new StoreRequestBudget({
      store,
      clock: { now: () => now },
      log,
      bucketOf: () => bucket,
      storeTimeoutMs: 50,
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const advance = (ms: number) => {
      now += ms;
    };
    return { store, now: () => now, advance, waits, lines, budget };
  };

  it('is the wait of the last reservation made, shrinks as time passes, and writes nothing', async () => {
    const { store, advance, waits, budget } = setup();
    for (let i = 0; i < 5; i++) await budget.take('us-east-1', 'DescribeRouteTables');
    expect(waits).toEqual([200, 400, 600]); // the first two within the burst
    const before = await store.get(EC2_BUDGET_NS, key);
    expect(await budget.queueMs('us-east-1', 'DescribeRouteTables')).toBe(600);
    expect((await store.get(EC2_BUDGET_NS, key))!.version).toBe(before!.version);
    advance(250);
    expect(await budget.queueMs('us-east-1', 'DescribeRouteTables')).toBe(350);
    advance(10_000);
    expect(await budget.queueMs('us-east-1', 'DescribeRouteTables')).toBe(0);
    // Per region and API: another's queue is not this one.
    expect(await budget.queueMs('us-east-1', 'DescribeInstances')).toBe(0);
    expect(await budget.queueMs('eu-west-1', 'DescribeRouteTables')).toBe(0);
    await store.close();
  });

  it('is none for an absent record, and creates none', async () => {
    const { store, budget } = setup();
    expect(await budget.queueMs('us-east-1', 'DescribeRouteTables')).toBe(0);
    expect(await store.get(EC2_BUDGET_NS, key)).toBeNull();
    await store.close();
  });

  it('counts the longest queue an honest writer can leave, and a record beyond it (forged) as none, unchanged', async () => {
    const { store, now, lines, budget } = setup();
    // The furthest ahead reservations go: a wait of the bound.
    await store.put(EC2_BUDGET_NS, key, { n: now() + 400 + waitBoundMs(bucket) }, 3_600_000);
    expect(await budget.queueMs('us-east-1', 'DescribeRouteTables')).toBe(waitBoundMs(bucket));
    expect(lines.filter((l) => /impossible/.test(String(l.msg)))).toEqual([]);
    // An hour ahead: no honest writer's (reservations replace it), so it silences no reader.
    await store.put(EC2_BUDGET_NS, key, { n: now() + 3_600_000 }, 3_600_000);
    const forged = await store.get(EC2_BUDGET_NS, key);
    expect(await budget.queueMs('us-east-1', 'DescribeRouteTables')).toBe(0);
    expect(lines.some((l) => /impossible \(corrupt or forged\); counting no queue/.test(String(l.msg)))).toBe(
      true,
    );
    expect((await store.get(EC2_BUDGET_NS, key))!.version).toBe(forged!.version);
    await store.close();
  });

  it('counts a record that is not a number as no queue', async () => {
    const { store, now, budget } = setup();
    await store.put(EC2_BUDGET_NS, key, { n: 'soon' }, 3_600_000);
    expect(await budget.queueMs('us-east-1', 'DescribeRouteTables')).toBe(0);
    await store.put(EC2_BUDGET_NS, key, { tat: now() + 30_000 }, 3_600_000); // the old record's shape
    expect(await budget.queueMs('us-east-1', 'DescribeRouteTables')).toBe(0);
    await store.close();
  });

  it('counts a store that errs or does not answer as no queue, and says so', async () => {
    const failing = { get: () => Promise.reject(new Error('store down')) } as unknown as Store;
    const erring = setup(failing);
    expect(await erring.budget.queueMs('us-east-1', 'DescribeRouteTables')).toBe(0);
    expect(erring.lines.some((l) => /unreadable; counting no queue/.test(String(l.msg)))).toBe(true);

    const hung = { get: () => new Promise(() => {}) } as unknown as Store;
    const slow = setup(hung);
    const started = Date.now();
    expect(await slow.budget.queueMs('us-east-1', 'DescribeRouteTables')).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(slow.lines.some((l) => /unreadable; counting no queue/.test(String(l.msg)))).toBe(true);
  });
});
