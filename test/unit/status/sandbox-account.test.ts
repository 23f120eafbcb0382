import { describe, expect, it } from '@jest/globals';
import { createSandboxAccount, SANDBOX_DEPLOY_MS } from '../../../src/local/sandbox-account.js';
import { RouteExistsError } from '../../../src/ports/route-tables.js';
import { demoTopology } from '../../helpers/test-app.js';

function setup() {
  let now = Date.parse('2026-11-25T12:00:00Z');
  const clock = { now: () => now };
  const topology = demoTopology();
  const account = createSandboxAccount({ topology, clock });
  return { account, site: topology.sites[0]!, advance: (ms: number) => (now += ms) };
}

describe('sandbox account', () => {
  it('behaves like EC2 for route writes: create adds only a missing route, replace only an existing one', async () => {
    const { account, site } = setup();
    const rtb = site.routeTableIds[0]!;
    const cidr = site.onPremCidrs[0]!;
    await expect(account.routeTables.create(site, rtb, cidr, 'secondary')).rejects.toBeInstanceOf(
      RouteExistsError,
    );
    await expect(account.routeTables.create(site, rtb, '0.0.0.0/0', 'secondary')).rejects.toThrow(
      /no route 0\.0\.0\.0\/0/,
    );
    const observed = (await account.routeTables.observe([site])).get('dc1');
    expect(observed?.ok && observed.value[0]?.tunnel).toBe('primary');
  });

  it('starts every route at the primary and moves one route on replace', async () => {
    const { account, site } = setup();
    const before = (await account.routeTables.observe([site])).get('dc1');
    expect(before?.ok && before.value.map((r) => r.tunnel)).toEqual([
      'primary',
      'primary',
      'primary',
      'primary',
    ]);
    await account.routeTables.replace(site, site.routeTableIds[1]!, site.onPremCidrs[0]!, 'secondary');
    const after = (await account.routeTables.observe([site])).get('dc1');
    expect(after?.ok && after.value.map((r) => `${r.routeTableId} ${r.cidr} ${r.tunnel}`)).toEqual([
      'rtb-0a1b2c3d4e5f60718 10.20.0.0/16 primary',
      'rtb-0a1b2c3d4e5f60718 10.21.0.0/16 primary',
      'rtb-0a1b2c3d4e5f60719 10.20.0.0/16 secondary',
      'rtb-0a1b2c3d4e5f60719 10.21.0.0/16 primary',
    ]);
    await expect(
      account.routeTables.replace(site, 'rtb-0000000000000000', '10.20.0.0/16', 'secondary'),
    ).rejects.toThrow(/no route/);
    await expect(
      account.routeTables.replace(site, site.routeTableIds[0]!, '10.20.0.0/16', 'tertiary'),
    ).rejects.toThrow(/no tunnel/);
  });

  it('shows healthy probe stats with small jitter, 100% recent loss once broken, and recovery after heal', async () => {
    const { account, site, advance } = setup();
    const stats = async (tunnel: string) => {
      const o = (await account.metrics.probeStats([site], 5)).get(`dc1/${tunnel}`);
      if (!o?.ok) throw new Error('no stats');
      return o.value;
    };
    const healthy = await stats('primary');
    expect(healthy.samples).toBe(300);
    expect(healthy.lossPct).toBeLessThan(0.5);
    expect(healthy.latencyMs).toBeGreaterThan(10);
    expect(healthy.latencyMs).toBeLessThan(40);
    expect(await stats('primary')).toEqual(healthy);

    account.chaos.break('dc1', 'primary');
    expect(account.tunnelUp('dc1', 'primary')).toBe(false);
    expect(account.tunnelUp('dc1', 'secondary')).toBe(true);
    expect((await stats('primary')).recentLossPct).toBe(100);
    expect((await stats('secondary')).recentLossPct).toBeLessThan(1);

    advance(60_000);
    const broken = await stats('primary');
    expect(broken.lossPct).toBeCloseTo(20, 0);
    const alarms = (await account.metrics.alarms([site])).get('dc1/primary');
    expect(alarms?.ok && alarms.value[0]?.state).toBe('ALARM');
    const tasks = (await account.tasks.observe([site])).get('dc1/primary');
    expect(tasks?.ok && tasks.value.running).toBe(1);

    account.chaos.heal('dc1', 'primary');
    advance(30_000);
    const healing = await stats('primary');
    expect(healing.recentLossPct).toBeGreaterThan(40);
    expect(healing.recentLossPct).toBeLessThan(100);
    advance(5 * 60_000);
    expect((await stats('primary')).lossPct).toBeLessThan(0.5);
  });

  it('runs a redeploy for about 3 s of clock time', async () => {
    const { account, site, advance } = setup();
    const id = await account.tasks.redeploy(site, 'secondary');
    expect(await account.tasks.deploymentProgress(site, 'secondary', id)).toMatchObject({
      state: 'in-progress',
    });
    const during = (await account.tasks.observe([site])).get('dc1/secondary');
    expect(during?.ok && during.value.deploying).toBe(true);
    advance(SANDBOX_DEPLOY_MS);
    expect(await account.tasks.deploymentProgress(site, 'secondary', id)).toMatchObject({
      state: 'completed',
    });
    const after = (await account.tasks.observe([site])).get('dc1/secondary');
    expect(after?.ok && after.value.deploying).toBe(false);
    expect(await account.tasks.deploymentProgress(site, 'primary', id)).toMatchObject({ state: 'failed' });
  });

  it('rejects chaos on an unknown site or tunnel', () => {
    const { account } = setup();
    expect(() => account.chaos.break('dc9', 'primary')).toThrow(/unknown site "dc9" \(sites: dc1\)/);
    expect(() => account.chaos.heal('dc1', 'tertiary')).toThrow(/no tunnel "tertiary"/);
  });

  it('has running instances with stable ids and no health graph', async () => {
    const { account, site } = setup();
    const a = (await account.instances.observe([site])).get('dc1/primary');
    const b = (await account.instances.observe([site])).get('dc1/primary');
    expect(a?.ok && a.value.state).toBe('running');
    expect(a?.ok && a.value.instanceId).toMatch(/^i-0[0-9a-f]{16}$/);
    expect(a).toEqual(b);
    expect(await account.metrics.healthGraph(site)).toBeNull();
  });
});
