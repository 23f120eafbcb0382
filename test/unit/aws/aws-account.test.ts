import { describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { createAwsAccount } from '../../../src/aws/aws-account.js';
import { loadEnv } from '../../../src/config/load-env.js';
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
});
