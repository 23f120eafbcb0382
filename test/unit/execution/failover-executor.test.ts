import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { loadTopology } from '../../../src/config/load-topology.js';
import { createSandboxAccount } from '../../../src/local/sandbox-account.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import type { Store } from '../../../src/ports/store.js';
import {
  FailoverExecutor,
  type FailoverPlan,
  type TargetCheck,
} from '../../../src/services/failover-executor.js';
import { SiteLock } from '../../../src/services/site-lock.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { CountingRouteTables, site } from './fixtures.js';

const healthy: TargetCheck = async () => ({ healthy: true, reason: 'probes 0% loss' });
const RTB1 = 'rtb-0a1b2c3d4e5f60718';
const RTB2 = 'rtb-0a1b2c3d4e5f60719';

describe('FailoverExecutor', () => {
  let clock: ManualClock;
  let store: Store;
  let routes: CountingRouteTables;
  let progress: string[];

  const executor = (over: Partial<ConstructorParameters<typeof FailoverExecutor>[0]> = {}) =>
    new FailoverExecutor({
      store,
      routeTables: routes,
      clock,
      log: silentLogger(),
      checkTarget: healthy,
      ...over,
    });
  const plan = (over: Partial<FailoverPlan> = {}): FailoverPlan => ({
    site,
    to: 'secondary',
    actor: 'UAPPROVER1',
    requestId: 'req-1',
    reason: 'primary flapping',
    trigger: 'approved',
    onProgress: (m) => {
      progress.push(m);
    },
    ...over,
  });
  const events = async () => (await store.listAudit({ site: 'dc1' })).map((e) => e.event);

  beforeEach(() => {
    clock = new ManualClock();
    store = new SqliteStore({ path: ':memory:', clock });
    routes = new CountingRouteTables();
    progress = [];
  });

  afterEach(async () => {
    await store.close();
  });

  it('replaces every route table x CIDR, verifies, audits one routes-changed per route and releases the lock', async () => {
    const result = await executor().execute(plan());

    expect(result).toMatchObject({ ok: true, from: 'primary', to: 'secondary', changed: 4 });
    expect(routes.calls).toHaveLength(4);
    expect(routes.tunnels()).toEqual(['secondary', 'secondary', 'secondary', 'secondary']);
    const audit = await store.listAudit({ site: 'dc1' });
    expect(audit.map((e) => e.event)).toEqual([
      'started',
      'routes-changed',
      'routes-changed',
      'routes-changed',
      'routes-changed',
      'succeeded',
    ]);
    for (const e of audit)
      expect(e).toMatchObject({ site: 'dc1', action: 'failover', requestId: 'req-1', actor: 'UAPPROVER1' });
    expect(audit.filter((e) => e.event === 'routes-changed').map((e) => e.detail)).toEqual(
      [RTB1, RTB2].flatMap((rtb) =>
        ['10.20.0.0/16', '10.21.0.0/16'].map((cidr) =>
          expect.objectContaining({ routeTableId: rtb, cidr, from: 'primary', to: 'secondary' }),
        ),
      ),
    );
    expect(audit.at(-1)?.detail).toMatchObject({ from: 'primary', to: 'secondary', changed: 4 });
    expect(audit[0]?.detail).toMatchObject({
      from: 'primary',
      to: 'secondary',
      trigger: 'approved',
      reason: 'primary flapping',
      routes: 4,
    });
    expect(typeof audit.at(-1)?.detail?.durationMs).toBe('number');
    expect(progress[0]).toMatch(/Moving 4 route\(s\) of dc1 from primary to secondary/);
    expect(progress.at(-1)).toMatch(/Failover of dc1 to secondary done: 4 route\(s\)/);
    expect(await new SiteLock({ store, clock }).holder('dc1')).toBeNull();
  });

  it('converges mixed routes by changing only those not on the target', async () => {
    routes.set(RTB1, '10.20.0.0/16', 'secondary');
    routes.set(RTB2, '10.21.0.0/16', null);
    const result = await executor().execute(plan());
    expect(result).toMatchObject({ ok: true, from: 'primary', changed: 3 });
    expect(routes.calls.map((c) => `${c.routeTableId} ${c.cidr}`)).toEqual([
      `${RTB1} 10.21.0.0/16`,
      `${RTB2} 10.20.0.0/16`,
      `${RTB2} 10.21.0.0/16`,
    ]);
    expect(routes.tunnels().every((t) => t === 'secondary')).toBe(true);
  });

  it('refuses when the target is already active on every route, changing nothing', async () => {
    routes = new CountingRouteTables('secondary');
    const result = await executor().execute(plan());
    expect(result).toMatchObject({ ok: false, refused: true, changed: 0, rolledBack: 0 });
    if (!result.ok) expect(result.reason).toMatch(/secondary is already active on every route of dc1/);
    expect(routes.calls).toHaveLength(0);
    expect(await events()).toEqual(['refused']);
    expect(progress.at(-1)).toMatch(/refused: secondary is already active/);
  });

  it('refuses an unknown tunnel', async () => {
    const result = await executor().execute(plan({ to: 'tertiary' }));
    expect(result).toMatchObject({ ok: false, refused: true });
    if (!result.ok) expect(result.reason).toMatch(/tertiary is not a tunnel of dc1 \(primary, secondary\)/);
    expect(routes.calls).toHaveLength(0);
  });

  it('refuses an unhealthy target and says why', async () => {
    const asked: string[] = [];
    const checkTarget: TargetCheck = async (s, t) => {
      asked.push(`${s.name}/${t}`);
      return { healthy: false, reason: 'probe loss 100% over the last minute' };
    };
    const result = await executor({ checkTarget }).execute(plan());
    expect(asked).toEqual(['dc1/secondary']);
    expect(result).toMatchObject({ ok: false, refused: true, changed: 0 });
    if (!result.ok)
      expect(result.reason).toBe('secondary is not healthy: probe loss 100% over the last minute');
    expect(routes.calls).toHaveLength(0);
    const audit = await store.listAudit();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      event: 'refused',
      detail: { reason: expect.stringMatching(/not healthy/) },
    });
  });

  it('treats a health check that throws as unhealthy', async () => {
    const checkTarget: TargetCheck = async () => {
      throw new Error('CloudWatch timed out');
    };
    const result = await executor({ checkTarget }).execute(plan());
    expect(result).toMatchObject({ ok: false, refused: true });
    if (!result.ok) expect(result.reason).toMatch(/not healthy: .*CloudWatch timed out/);
    expect(routes.calls).toHaveLength(0);
  });

  it('refuses when the route tables cannot be read', async () => {
    routes.observeFails = true;
    const result = await executor().execute(plan());
    expect(result).toMatchObject({ ok: false, refused: true });
    if (!result.ok) expect(result.reason).toMatch(/cannot read the route tables of dc1: .*throttled/);
    expect(routes.calls).toHaveLength(0);
  });

  it('refuses while another holder has the site lock, and leaves that lease alone', async () => {
    const lock = new SiteLock({ store, clock });
    const other = await lock.acquire('dc1', 'redeploy:UOTHER:1', 60_000, 'redeploy primary');
    expect(other).not.toBeNull();
    const result = await executor().execute(plan());
    expect(result).toMatchObject({ ok: false, refused: true });
    if (!result.ok) expect(result.reason).toMatch(/dc1 is locked by redeploy:UOTHER:1 for redeploy primary/);
    expect(routes.calls).toHaveLength(0);
    expect(await lock.holder('dc1')).toMatchObject({ owner: 'redeploy:UOTHER:1' });
  });

  it('rolls back the routes it changed when ReplaceRoute fails on the 3rd of 4', async () => {
    routes.failOnCall = new Set([3]);
    const result = await executor().execute(plan());

    expect(result).toMatchObject({ ok: false, refused: false, changed: 2, rolledBack: 2 });
    if (!result.ok) expect(result.reason).toMatch(/InvalidRoute\.NotFound/);
    expect(routes.tunnels()).toEqual(['primary', 'primary', 'primary', 'primary']);
    // 3 attempts forward, then the 2 changed routes back to primary, newest first.
    expect(routes.calls.map((c) => `${c.routeTableId} ${c.cidr} ${c.tunnel}`)).toEqual([
      `${RTB1} 10.20.0.0/16 secondary`,
      `${RTB1} 10.21.0.0/16 secondary`,
      `${RTB2} 10.20.0.0/16 secondary`,
      `${RTB1} 10.21.0.0/16 primary`,
      `${RTB1} 10.20.0.0/16 primary`,
    ]);
    const audit = await store.listAudit({ site: 'dc1' });
    expect(audit.map((e) => e.event)).toEqual([
      'started',
      'routes-changed',
      'routes-changed',
      'rolled-back',
      'failed',
    ]);
    expect(audit[3]?.detail).toMatchObject({ rolledBack: 2, failures: [] });
    expect(audit[4]?.detail).toMatchObject({ changed: 2, rolledBack: 2 });
    expect(progress.at(-1)).toMatch(/failed: .*Rolled back 2\/2 route\(s\)/);
    expect(await new SiteLock({ store, clock }).holder('dc1')).toBeNull();
  });

  it('reports a rollback that itself fails', async () => {
    routes.failOnCall = new Set([3, 4]);
    const result = await executor().execute(plan());
    expect(result).toMatchObject({ ok: false, refused: false, changed: 2, rolledBack: 1 });
    if (!result.ok)
      expect(result.reason).toMatch(/could not roll back rtb-0a1b2c3d4e5f60718 10\.21\.0\.0\/16/);
    expect(routes.tunnels()).toEqual(['primary', 'secondary', 'primary', 'primary']);
  });

  it('rolls back when the read-back does not show every route on the target', async () => {
    routes.ignored = new Set([`${RTB2} 10.21.0.0/16`]);
    const result = await executor().execute(plan());
    expect(result).toMatchObject({ ok: false, refused: false, changed: 4, rolledBack: 4 });
    if (!result.ok)
      expect(result.reason).toMatch(/verify failed: rtb-0a1b2c3d4e5f60719 10\.21\.0\.0\/16 -> primary/);
    expect(routes.tunnels()).toEqual(['primary', 'primary', 'primary', 'primary']);
    expect(await events()).toEqual([
      'started',
      'routes-changed',
      'routes-changed',
      'routes-changed',
      'routes-changed',
      'rolled-back',
      'failed',
    ]);
  });

  it('lets exactly one of concurrent executions for a site change the routes', async () => {
    const a = executor();
    const b = executor({ log: silentLogger() });
    const results = await Promise.all([
      a.execute(plan({ requestId: 'req-a' })),
      b.execute(plan({ requestId: 'req-b' })),
      a.execute(plan({ requestId: 'req-c', trigger: 'automatic', actor: 'controller' })),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.refused)).toHaveLength(2);
    expect(routes.calls).toHaveLength(4);
    expect((await store.listAudit()).filter((e) => e.event === 'routes-changed')).toHaveLength(4);
  });

  it('re-reads the routes under the lock, so a run whose first read went stale changes nothing', async () => {
    let releaseB: () => void = () => {};
    const bMayGoOn = new Promise<void>((resolve) => {
      releaseB = resolve;
    });
    // B reads the routes (all primary), then its health check waits until A has finished the failover.
    const slowCheck: TargetCheck = async () => {
      await bMayGoOn;
      return { healthy: true, reason: 'ok' };
    };
    const b = executor({ checkTarget: slowCheck }).execute(plan({ requestId: 'req-b' }));
    await new Promise((r) => setTimeout(r, 20));
    const a = await executor().execute(plan({ requestId: 'req-a' }));
    releaseB();
    expect(a).toMatchObject({ ok: true, changed: 4 });
    const rb = await b;
    expect(rb).toMatchObject({ ok: false, refused: true, changed: 0 });
    if (!rb.ok) expect(rb.reason).toMatch(/already active on every route/);
    expect(routes.calls).toHaveLength(4);
  });

  it('is not blocked by an expired lease of a dead process, and converges what it left half-done', async () => {
    const lock = new SiteLock({ store, clock });
    expect(await lock.acquire('dc1', 'failover:dead', 30_000, 'failover to secondary')).not.toBeNull();
    routes.set(RTB1, '10.20.0.0/16', 'secondary');
    routes.set(RTB1, '10.21.0.0/16', 'secondary');
    expect(await executor().execute(plan())).toMatchObject({ ok: false, refused: true });

    clock.advance(30_000);
    const result = await executor().execute(plan());
    expect(result).toMatchObject({ ok: true, changed: 2, from: 'primary' });
    expect(routes.calls.map((c) => c.routeTableId)).toEqual([RTB2, RTB2]);
    expect(routes.tunnels().every((t) => t === 'secondary')).toBe(true);
  });

  it('renews the lease on a slow run so it is never left unheld', async () => {
    const lock = new SiteLock({ store, clock });
    const versions: number[] = [];
    // 350 ms per route against a 1000 ms lease: without renewal it expires before the 4th route.
    routes.afterReplace = () => clock.advance(350);
    const seen = routes.replace.bind(routes);
    routes.replace = async (...args) => {
      const rec = await store.get('lock', 'site:dc1');
      if (rec) versions.push(rec.version);
      await seen(...args);
    };
    const result = await executor({ lockTtlMs: 1000 }).execute(plan());
    expect(result).toMatchObject({ ok: true, changed: 4 });
    // Live before every replace (the 4th is at +1050 ms), renewed (version bumped) once half was used.
    expect(versions).toEqual([1, 1, 2, 2]);
    expect(await lock.holder('dc1')).toBeNull();
  });

  it('stops without rolling back when its lease expired mid-way (another run may own the site now)', async () => {
    routes.afterReplace = () => clock.advance(1500);
    const result = await executor({ lockTtlMs: 1000 }).execute(plan());
    expect(result).toMatchObject({ ok: false, refused: false, changed: 1, rolledBack: 0 });
    if (!result.ok) expect(result.reason).toMatch(/lost the site lock/);
    expect(routes.calls).toHaveLength(1);
  });

  it('fails over the sandbox account and the route tables then show the target', async () => {
    const topology = await loadTopology('tunnels.yml');
    const account = createSandboxAccount({ topology, clock });
    const dc1 = topology.sites[0]!;
    const exec = new FailoverExecutor({
      store,
      routeTables: account.routeTables,
      clock,
      log: silentLogger(),
      checkTarget: healthy,
    });
    const result = await exec.execute(plan({ site: dc1 }));
    expect(result).toMatchObject({ ok: true, from: 'primary', to: 'secondary', changed: 4 });
    const observed = (await account.routeTables.observe([dc1])).get('dc1');
    expect(observed?.ok && observed.value.map((r) => r.tunnel)).toEqual([
      'secondary',
      'secondary',
      'secondary',
      'secondary',
    ]);
    const back = await exec.execute(plan({ site: dc1, to: 'secondary' }));
    expect(back).toMatchObject({ ok: false, refused: true });
  });
});
