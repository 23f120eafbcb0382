import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { createAwsAccount } from '../../../src/aws/aws-account.js';
import { loadEnv } from '../../../src/config/load-env.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { StatusService } from '../../../src/services/status/status-service.js';
import {
  demoSites,
  FAKE_CREDENTIALS,
  fixture,
  jsonFixture,
  nockDescribeAlarms,
  nockDescribeServices,
  nockDescribeTasks,
  nockEc2,
  nockGetMetricData,
  nockListTasks,
} from './aws-http.js';

const clock = { now: () => Date.parse('2026-11-25T12:00:00Z') };
let dataDir: string | undefined;

afterEach(() => {
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

describe('status over the AWS adapters (HTTP faked with nock)', () => {
  it('renders every part it could read and says why the throttled one is unknown', async () => {
    nockEc2('us-east-1', 'DescribeRouteTables', 200, fixture('ec2/describe-route-tables-dc1.xml'));
    nockEc2('us-east-1', 'DescribeInstances', 200, fixture('ec2/describe-instances-dc1.xml'));
    nockDescribeServices('us-east-1')(200, jsonFixture('ecs/describe-services-dc1.json'));
    nockListTasks('us-east-1')(200, jsonFixture('ecs/list-tasks-stopped-dc1-secondary.json'));
    nockDescribeTasks('us-east-1')(200, jsonFixture('ecs/describe-tasks-stopped-dc1-secondary.json'));
    nockGetMetricData('us-east-1')(200, jsonFixture('cloudwatch/get-metric-data-dc1.json'));
    nockDescribeAlarms('us-east-1')(400, { __type: 'Throttling', message: 'Rate exceeded' });

    const sites = demoSites();
    const topology = { sites };
    const env = loadEnv({ AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId });
    const log = silentLogger();
    const account = createAwsAccount({
      env,
      topology,
      clock,
      log,
      clientOptions: { credentials: FAKE_CREDENTIALS, maxAttempts: 1 },
    });
    dataDir = mkdtempSync(join(tmpdir(), 'tunnelops-aws-status-'));
    const store = new SqliteStore({ path: join(dataDir, 'store.sqlite'), clock });
    const status = new StatusService({ topology, account, store, clock, log });

    const report = await status.report();
    await store.close();

    const dc1 = report.sites[0]!;
    expect(dc1.activeTunnel).toBe('primary');
    expect(dc1.disagreements).toEqual([
      expect.objectContaining({
        routeTableId: 'rtb-0a1b2c3d4e5f60719',
        cidr: '10.21.0.0/16',
        problem: 'blackhole',
      }),
    ]);
    const [primary, secondary] = dc1.tunnels;
    expect(primary).toMatchObject({ name: 'primary', active: true, instance: { ok: true } });
    expect(primary?.alarms).toEqual({ ok: false, reason: 'AWS throttled the call (Throttling)' });
    expect(secondary).toMatchObject({ name: 'secondary', active: false, health: 'down' });
    expect(secondary?.healthReason).toContain('stopped');
    expect(secondary?.task).toMatchObject({
      ok: true,
      value: { running: 0, lastStopReason: 'Essential container in task exited' },
    });
    expect(nock.pendingMocks()).toEqual([]);
  });
});
