/**
 * The monitor's metrics through moto's CloudWatch: the real CloudWatchReporter's PutMetricData, read back
 * by the status service's real AWS account (GetMetricData, DescribeAlarms, DescribeRouteTables ...).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createAwsAccount } from '../../src/aws/aws-account.js';
import { DynamoStore } from '../../src/aws/dynamo-store.js';
import { loadEnv } from '../../src/config/load-env.js';
import { silentLogger } from '../../src/log.js';
import { systemClock } from '../../src/ports/clock.js';
import { StatusService } from '../../src/services/status/status-service.js';
import { describeWithMoto } from './support/describe-with-moto.js';
import { reportRounds } from './support/monitor-rounds.js';
import { type MotoServer, startMoto } from './support/moto-server.js';
import { buildWorld, type MotoClients, motoClients, type World } from './support/site-world.js';

describeWithMoto('monitor metrics against moto', () => {
  let moto: MotoServer;
  let c: MotoClients;
  let world: World;
  let store: DynamoStore;

  beforeAll(async () => {
    moto = await startMoto();
    c = motoClients(moto.endpoint);
    world = await buildWorld(c);
    store = new DynamoStore({ client: c.dynamodb, tableName: world.tableName });
  }, 60_000);

  afterAll(async () => {
    c?.destroy();
    await moto?.stop();
  });

  it('PutMetricData from the monitor is read back by status as each tunnel health', async () => {
    const deps = { cloudwatch: c.cloudwatch, store };
    await reportRounds(deps, {
      site: 'dc1',
      tunnel: 'primary',
      up: true,
      count: 20,
      lossPct: 0,
      latencyMs: 12,
    });
    await reportRounds(deps, {
      site: 'dc1',
      tunnel: 'secondary',
      up: true,
      count: 20,
      lossPct: 50,
      latencyMs: 80,
    });

    const env = loadEnv({ AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: moto.endpoint });
    const account = createAwsAccount({
      env,
      topology: world.topology,
      clock: systemClock,
      log: silentLogger(),
      clients: c.factory,
    });
    const site = world.sites[0]!.site;
    const stats = await account.metrics.probeStats([site], 5);
    expect(stats.get('dc1/primary')).toEqual({
      ok: true,
      value: expect.objectContaining({ lossPct: 0, latencyMs: 12, samples: 20 }),
    });
    expect(stats.get('dc1/secondary')).toEqual({
      ok: true,
      value: expect.objectContaining({ lossPct: 50, latencyMs: 80, samples: 20 }),
    });

    const status = new StatusService({
      topology: world.topology,
      account,
      store,
      clock: systemClock,
      log: silentLogger(),
    });
    const report = await status.report(['dc1']);
    const [primary, secondary] = report.sites[0]!.tunnels;
    expect(report.sites[0]!.activeTunnel).toBe('primary');
    expect(primary).toMatchObject({ name: 'primary', health: 'healthy' });
    expect(secondary).toMatchObject({ name: 'secondary', health: 'degraded' });
    expect(secondary!.healthReason).toContain('probe loss 50.0% over 5 min');
  }, 30_000);
});
