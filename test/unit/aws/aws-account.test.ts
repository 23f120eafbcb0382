import { describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { createAwsAccount } from '../../../src/aws/aws-account.js';
import { EC2_BUDGET_NS } from '../../../src/aws/ec2-request-budget.js';
import { loadEnv } from '../../../src/config/load-env.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { demoSites, FAKE_CREDENTIALS, type FormBody, fixture } from './aws-http.js';

describe('createAwsAccount', () => {
  it('sends every call to AWS_ENDPOINT_URL and shares one instance lookup between routes and instances', async () => {
    const sites = demoSites();
    const env = loadEnv({
      AWS_ENDPOINT_URL: 'http://localhost:4566',
      AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    });
    const account = createAwsAccount({
      env,
      topology: { sites },
      clock: { now: () => Date.parse('2026-11-25T12:00:00Z') },
      log: silentLogger(),
      clientOptions: { credentials: FAKE_CREDENTIALS, maxAttempts: 1 },
    });
    // One interceptor each: a second DescribeInstances would find none and fail its part.
    nock('http://localhost:4566')
      .post('/', (b: FormBody) => b.Action === 'DescribeRouteTables')
      .reply(200, fixture('ec2/describe-route-tables-dc1.xml'))
      .post('/', (b: FormBody) => b.Action === 'DescribeInstances')
      .reply(200, fixture('ec2/describe-instances-dc1.xml'));

    const [routes, instances] = await Promise.all([
      account.routeTables.observe(sites),
      account.instances.observe(sites),
    ]);

    const dc1 = routes.get('dc1');
    expect(dc1?.ok && dc1.value.map((o) => o.tunnel)).toEqual(['primary', 'primary', 'primary', 'secondary']);
    expect(instances.get('dc1/primary')).toEqual({
      ok: true,
      value: { instanceId: 'i-0a1b2c3d4e5f60001', state: 'running' },
    });
    expect(nock.pendingMocks()).toEqual([]);
  });

  // Issue 23: the backstop's gate reads the queue route reads wait in, not another (the budget's key is its API).
  it('with a store, its route-read queue is the one its route reads take their turn in', async () => {
    const sites = demoSites();
    const region = sites[0]!.region;
    const now = Date.parse('2026-11-25T12:00:00Z');
    const store = new SqliteStore({ path: ':memory:' });
    const env = loadEnv({
      AWS_ENDPOINT_URL: 'http://localhost:4566',
      AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
      TUNNELOPS_EC2_BUDGET: 'nonMutating=100/20', // 50 ms a token, 5 s of burst
    });
    const props = {
      env,
      topology: { sites },
      clock: { now: () => now },
      log: silentLogger(),
      clientOptions: { credentials: FAKE_CREDENTIALS, maxAttempts: 1 },
    };
    expect(createAwsAccount(props).routeReadQueue).toBeUndefined(); // no store, no shared budget, no gate
    const account = createAwsAccount({ ...props, store });
    const queue = account.routeReadQueue!;
    // 100 ms of queue for route reads; the same in another API's record is not theirs.
    await store.put(EC2_BUDGET_NS, `${region}:DescribeRouteTables`, { n: now + 5000 + 100 }, 60_000);
    await store.put(EC2_BUDGET_NS, `${region}:DescribeInstances`, { n: now + 5000 + 20 }, 60_000);
    expect(await queue.waitMs(region)).toBe(100);
    nock('http://localhost:4566')
      .post('/', (b: FormBody) => b.Action === 'DescribeRouteTables')
      .reply(200, fixture('ec2/describe-route-tables-dc1.xml'))
      .post('/', (b: FormBody) => b.Action === 'DescribeInstances') // which instance is which tunnel
      .reply(200, fixture('ec2/describe-instances-dc1.xml'));
    await account.routeTables.observe(sites);
    // The read took the next turn (behind the 100 ms queue), and the queue the gate reads grew by it.
    expect(await queue.waitMs(region)).toBe(150);
    expect(nock.pendingMocks()).toEqual([]);
    await store.close();
  });
});
