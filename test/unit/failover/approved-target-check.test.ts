import { describe, expect, it } from '@jest/globals';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { approvedTargetCheck } from '../../../src/services/failover/approved-target-check.js';
import { FailoverExecutor } from '../../../src/services/failover/failover-executor.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { heartbeat, putHeartbeat } from '../../helpers/heartbeats.js';
import { memoryAccount, testTopology } from './fakes.js';

/**
 * Issue 22 item 5, failure: the target's host died a moment ago. Its monitor's heartbeat goes stale and it sends
 * no metrics, but `/vpn status` (5-minute probe mean, stale heartbeat ignored) still calls it healthy for
 * 30-60 s. An approved failover must refuse it, as the fast path does.
 */
describe('approved failover target check', () => {
  const topology = testTopology({ mode: 'propose' });
  const site = topology.sites[0]!;
  // What the status view says of a host that died 20 s ago: its 5-minute mean still looks fine.
  const statusSaysHealthy = async () => ({ healthy: true, reason: 'probes 0% loss, 12 ms' });

  async function setup(beat: 'fresh-up' | 'stale-up' | 'fresh-down' | 'none') {
    const clock = new ManualClock();
    const store = new SqliteStore({ path: ':memory:', clock });
    const age = beat === 'stale-up' ? 20_000 : 1000; // heartbeatStaleSeconds is 10
    if (beat !== 'none')
      await putHeartbeat(
        store,
        heartbeat('secondary', beat === 'fresh-down' ? 'down' : 'up', clock.now() - age),
      );
    const check = approvedTargetCheck({ store, clock, also: statusSaysHealthy });
    const account = memoryAccount(topology);
    const executor = new FailoverExecutor({
      store,
      routeTables: account.routeTables,
      clock,
      log: silentLogger(),
      checkTarget: check,
    });
    const plan = { site, to: 'secondary', actor: 'UAPPROVER1', trigger: 'approved' as const };
    return { store, check, account, executor, plan };
  }

  it('refuses a target whose heartbeat is stale, though the status view calls it healthy', async () => {
    const { store, check, account, executor, plan } = await setup('stale-up');
    expect(await check(site, 'secondary')).toEqual({
      healthy: false,
      reason: 'secondary has no fresh heartbeat',
    });
    const result = await executor.execute(plan);
    expect(result).toMatchObject({ ok: false, refused: true, changed: 0 });
    expect(account.routeTables.replaced).toEqual([]);
    await store.close();
  });

  it('refuses a target with no heartbeat at all, or whose monitor says down', async () => {
    for (const beat of ['none', 'fresh-down'] as const) {
      const { store, check } = await setup(beat);
      expect((await check(site, 'secondary')).healthy).toBe(false);
      await store.close();
    }
  });

  it('moves the routes onto a target its monitor reports up with a fresh heartbeat', async () => {
    const { store, check, account, executor, plan } = await setup('fresh-up');
    expect(await check(site, 'secondary')).toEqual({ healthy: true, reason: 'probes 0% loss, 12 ms' });
    expect(await executor.execute(plan)).toMatchObject({ ok: true, changed: 4 });
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    await store.close();
  });

  it('still refuses what the status view refuses (task stopped, alarm ...)', async () => {
    const clock = new ManualClock();
    const store = new SqliteStore({ path: ':memory:', clock });
    await putHeartbeat(store, heartbeat('secondary', 'up', clock.now() - 1000));
    const check = approvedTargetCheck({
      store,
      clock,
      also: async () => ({ healthy: false, reason: 'ECS task 0/1 running' }),
    });
    expect(await check(site, 'secondary')).toEqual({ healthy: false, reason: 'ECS task 0/1 running' });
    await store.close();
  });
});
