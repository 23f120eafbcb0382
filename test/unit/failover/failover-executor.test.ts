import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { loadTopology } from '../../../src/config/load-topology.js';
import { createSandboxAccount } from '../../../src/local/sandbox-account.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { systemClock } from '../../../src/ports/clock.js';
import type { Store } from '../../../src/ports/store.js';
import { SiteLock } from '../../../src/services/execution/site-lock.js';
import { FailoverExecutor } from '../../../src/services/failover/failover-executor.js';
import type { FailoverPlan, TargetCheck } from '../../../src/services/failover/failover-plan.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { CountingRouteTables, site } from '../execution/fixtures.js';

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
    expect(result).toMatchObject({
      ok: false,
      refused: true,
      refusal: 'already-active',
      changed: 0,
      rolledBack: 0,
    });
    if (!result.ok) expect(result.reason).toMatch(/secondary is already active on every route of dc1/);
    expect(routes.calls).toHaveLength(0);
    expect(await events()).toEqual(['refused']);
    expect(progress.at(-1)).toMatch(/refused: secondary is already active/);
  });

  it('refuses an unknown tunnel', async () => {
    const result = await executor().execute(plan({ to: 'tertiary' }));
    expect(result).toMatchObject({ ok: false, refused: true, refusal: 'unknown-tunnel' });
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
    expect(result).toMatchObject({ ok: false, refused: true, refusal: 'target-unhealthy', changed: 0 });
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
    expect(result).toMatchObject({ ok: false, refused: true, refusal: 'target-unhealthy' });
    if (!result.ok) expect(result.reason).toMatch(/not healthy: .*CloudWatch timed out/);
    expect(routes.calls).toHaveLength(0);
  });

  it('refuses when the route tables cannot be read', async () => {
    routes.observeFails = true;
    const result = await executor().execute(plan());
    expect(result).toMatchObject({ ok: false, refused: true, refusal: 'routes-unreadable' });
    if (!result.ok) expect(result.reason).toMatch(/cannot read the route tables of dc1: .*throttled/);
    expect(routes.calls).toHaveLength(0);
  });

  it('refuses while another holder has the site lock, and leaves that lease alone', async () => {
    const lock = new SiteLock({ store, clock });
    const other = await lock.acquire('dc1', 'redeploy:UOTHER:1', 60_000, 'redeploy primary');
    expect(other).not.toBeNull();
    const result = await executor().execute(plan());
    expect(result).toMatchObject({ ok: false, refused: true, refusal: 'locked' });
    if (!result.ok) expect(result.reason).toMatch(/dc1 is locked by redeploy:UOTHER:1 for redeploy primary/);
    expect(routes.calls).toHaveLength(0);
    expect(await lock.holder('dc1')).toMatchObject({ owner: 'redeploy:UOTHER:1' });
  });

  it('converges every route back when ReplaceRoute fails on the 3rd of 4 (all 4 in flight at once)', async () => {
    routes.failOnCall = new Set([3]);
    const result = await executor().execute(plan());

    // The 4 calls went out together: 3 landed, the 3rd failed (possibly applied). Every one is put back.
    expect(result).toMatchObject({ ok: false, refused: false, changed: 4, rolledBack: 4 });
    if (!result.ok) expect(result.reason).toMatch(/InternalError/);
    expect(routes.tunnels()).toEqual(['primary', 'primary', 'primary', 'primary']);
    expect(routes.calls.slice(4).every((c) => c.tunnel === 'primary')).toBe(true);
    expect(routes.calls).toHaveLength(8);
    const audit = await store.listAudit({ site: 'dc1' });
    expect(audit.map((e) => e.event)).toEqual([
      'started',
      'routes-changed',
      'routes-changed',
      'routes-changed',
      'rolled-back',
      'failed',
    ]);
    expect(audit[4]?.detail).toMatchObject({ to: 'primary', rolledBack: 4, failures: [] });
    expect(audit[5]?.detail).toMatchObject({ changed: 4, rolledBack: 4 });
    expect(audit[5]?.detail?.unfinished).toBeUndefined();
    expect(await new SiteLock({ store, clock }).holder('dc1')).toBeNull();
  });

  it('one at a time, stops at the failing route and converges only what it touched or finds off', async () => {
    routes.failOnCall = new Set([3]);
    const result = await executor({ concurrency: 1 }).execute(plan());
    expect(result).toMatchObject({ ok: false, refused: false, changed: 3, rolledBack: 3 });
    // 3 forward (the 4th never starts), then the 2 that landed and the failed one (possibly applied) back.
    expect(routes.calls.map((c) => `${c.routeTableId} ${c.cidr} ${c.tunnel}`)).toEqual([
      `${RTB1} 10.20.0.0/16 secondary`,
      `${RTB1} 10.21.0.0/16 secondary`,
      `${RTB2} 10.20.0.0/16 secondary`,
      `${RTB1} 10.20.0.0/16 primary`,
      `${RTB1} 10.21.0.0/16 primary`,
      `${RTB2} 10.20.0.0/16 primary`,
    ]);
    expect(routes.tunnels()).toEqual(['primary', 'primary', 'primary', 'primary']);
    expect(progress.at(-1)).toMatch(/failed: .*Rolled back 3 route\(s\) to primary/);
  });

  it('counts a ReplaceRoute that EC2 applied but whose answer was lost as changed, and converges it back', async () => {
    // The 3rd call lands, then times out: before, it was not in the rollback list and stayed on secondary.
    routes.applyThenFailOnCall = new Set([3]);
    const result = await executor({ concurrency: 1 }).execute(plan());
    expect(result).toMatchObject({ ok: false, refused: false, changed: 3, rolledBack: 3 });
    if (!result.ok) expect(result.reason).toMatch(/timed out|no answer/);
    expect(routes.tunnels()).toEqual(['primary', 'primary', 'primary', 'primary']);
  });

  it('retries a failing rollback once, then says what is still off and marks the run unfinished', async () => {
    // Forward: 1, 2 land, 3 fails. Rollback of RTB1 10.20 fails twice (calls 4, 5); the others go back.
    routes.failOnCall = new Set([3, 4, 5]);
    const result = await executor({ concurrency: 1 }).execute(plan());
    expect(result).toMatchObject({ ok: false, refused: false, changed: 3, rolledBack: 2 });
    if (!result.ok)
      expect(result.reason).toMatch(/could not roll back rtb-0a1b2c3d4e5f60718 10\.20\.0\.0\/16/);
    expect(routes.tunnels()).toEqual(['secondary', 'primary', 'primary', 'primary']);
    const failed = (await store.listAudit({ site: 'dc1' })).at(-1);
    // The next controller run finishes this convergence (see the interrupted-run controller test).
    expect(failed).toMatchObject({ event: 'failed', detail: { unfinished: { to: 'primary' } } });
  });

  it('creates a missing route (CreateRoute) instead of failing the whole failover', async () => {
    routes.remove(RTB2, '10.21.0.0/16');
    const result = await executor().execute(plan());
    expect(result).toMatchObject({ ok: true, changed: 4 });
    expect(routes.calls.map((c) => c.op)).toEqual(['replace', 'replace', 'replace', 'create']);
    expect(routes.tunnels()).toEqual(['secondary', 'secondary', 'secondary', 'secondary']);
    const created = (await store.listAudit({ site: 'dc1' })).find((e) => e.detail?.created === true);
    expect(created?.detail).toMatchObject({ routeTableId: RTB2, cidr: '10.21.0.0/16', from: null });
  });

  it('replaces a route that was created after it was read as missing (RouteAlreadyExists)', async () => {
    routes.remove(RTB2, '10.21.0.0/16');
    // Someone creates it (on primary) between our read and our CreateRoute.
    routes.beforeWrite = (n) => {
      if (n === 1) routes.set(RTB2, '10.21.0.0/16', 'primary');
    };
    const result = await executor({ concurrency: 1 }).execute(plan());
    expect(result).toMatchObject({ ok: true });
    expect(routes.calls.at(-2)).toMatchObject({ routeTableId: RTB2, op: 'create' });
    expect(routes.calls.at(-1)).toMatchObject({ routeTableId: RTB2, op: 'replace', tunnel: 'secondary' });
    expect(routes.tunnels()).toEqual(['secondary', 'secondary', 'secondary', 'secondary']);
  });

  it('keeps at most `concurrency` route changes in flight', async () => {
    routes.latencyMs = 15;
    expect(await executor({ concurrency: 2 }).execute(plan())).toMatchObject({ ok: true, changed: 4 });
    expect(routes.maxInFlight).toBe(2);
    routes = new CountingRouteTables();
    routes.latencyMs = 15;
    expect(await executor().execute(plan())).toMatchObject({ ok: true, changed: 4 });
    expect(routes.maxInFlight).toBe(4);
  });

  it('parallel changes with one failure in the middle end on one tunnel, never split', async () => {
    // Call 2 fails slowly while 1, 3, 4 land: every route must still end on one tunnel.
    routes.latencyOfCall = new Map([[2, 40]]);
    routes.failOnCall = new Set([2]);
    const result = await executor().execute(plan());
    expect(result).toMatchObject({ ok: false, refused: false });
    expect(routes.maxInFlight).toBe(4);
    expect(new Set(routes.tunnels())).toEqual(new Set(['primary']));
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

  it('stops at once when its lease expired mid-way, without rolling back (another run may own the site)', async () => {
    routes.afterReplace = () => clock.advance(1500);
    const result = await executor({ lockTtlMs: 1000, concurrency: 1 }).execute(plan());
    expect(result).toMatchObject({ ok: false, refused: false, changed: 1, rolledBack: 0 });
    if (!result.ok) expect(result.reason).toMatch(/lost the site lock/);
    expect(routes.calls).toHaveLength(1);
    const failed = (await store.listAudit({ site: 'dc1' })).at(-1);
    expect(failed).toMatchObject({ event: 'failed', detail: { unfinished: { to: 'secondary' } } });
  });

  describe('on the real clock', () => {
    let realStore: Store;
    beforeEach(() => {
      realStore = new SqliteStore({ path: ':memory:', clock: systemClock });
    });
    afterEach(async () => {
      await realStore.close();
    });
    const realExecutor = (over: Partial<ConstructorParameters<typeof FailoverExecutor>[0]> = {}) =>
      executor({ store: realStore, clock: systemClock, ...over });

    it('renews the lease on a timer while a run outlasts it, so the run is never unheld', async () => {
      // 4 routes one at a time x 900 ms = 3.6 s against a 2 s lease: without the timer it runs out. (At 400 ms
      // against 150 ms a call, a loaded CI machine made the renewals late enough to lose the lease.)
      routes.latencyMs = 900;
      const versions: number[] = [];
      routes.beforeWrite = async () => {
        const rec = await realStore.get('lock', 'site:dc1');
        versions.push(rec?.version ?? 0);
      };
      const result = await realExecutor({ lockTtlMs: 2000, concurrency: 1 }).execute(plan());
      expect(result).toMatchObject({ ok: true, changed: 4 });
      expect(versions.every((v) => v >= 1)).toBe(true); // live before every call
      expect(versions.at(-1)).toBeGreaterThan(versions[0]!); // renewed in between, by the timer
      expect(await new SiteLock({ store: realStore, clock: systemClock }).holder('dc1')).toBeNull();
    });

    it('stops issuing route changes as soon as a renewal finds the lease taken by another run', async () => {
      routes.latencyMs = 120;
      routes.beforeWrite = async (n) => {
        // While the 1st change is in flight, the lease is lost: another run holds it now.
        if (n === 1)
          await realStore.put('lock', 'site:dc1', { owner: 'failover:other:1', purpose: 'x' }, 60_000);
      };
      const result = await realExecutor({ lockTtlMs: 2000, leaseRenewEveryMs: 30, concurrency: 1 }).execute(
        plan(),
      );
      expect(result).toMatchObject({ ok: false, refused: false, changed: 1, rolledBack: 0 });
      if (!result.ok) expect(result.reason).toMatch(/lost the site lock mid-way/);
      expect(routes.calls).toHaveLength(1);
      expect(routes.tunnels()).toEqual(['secondary', 'primary', 'primary', 'primary']);
      // The other run's lease is left alone.
      expect(await new SiteLock({ store: realStore, clock: systemClock }).holder('dc1')).toMatchObject({
        owner: 'failover:other:1',
      });
    });

    it('a Slack progress update that stalls 61 s does not delay the route changes', async () => {
      let release: () => void = () => {};
      const stalled = new Promise<void>((r) => {
        release = r;
      });
      const sent: string[] = [];
      const writesDoneAt: number[] = [];
      routes.latencyMs = 5;
      routes.afterReplace = () => writesDoneAt.push(Date.now());
      // The first progress call hangs like a rate-limited Slack (61 s); later ones would answer at once.
      const onProgress = async (m: string) => {
        sent.push(m);
        if (sent.length === 1)
          await Promise.race([stalled, new Promise((r) => setTimeout(r, 61_000).unref())]);
      };
      const t0 = Date.now();
      const result = await realExecutor({ progressTimeoutMs: 61_000, progressSettleMs: 2000 }).execute(
        plan({ onProgress }),
      );
      const took = Date.now() - t0;
      expect(result).toMatchObject({ ok: true, changed: 4 });
      expect(routes.tunnels()).toEqual(['secondary', 'secondary', 'secondary', 'secondary']);
      // Every route moved at once, before even the settle bound (2 s) ran out, let alone the stalled call (61 s);
      // the result waited only the settle bound. The margins are wide so a loaded CI machine cannot flake them.
      expect(writesDoneAt).toHaveLength(4);
      expect(Math.max(...writesDoneAt) - t0).toBeLessThan(1500);
      expect(took).toBeGreaterThanOrEqual(1900);
      expect(took).toBeLessThan(5000);
      // Only the first message went out; the rest were coalesced while it hung, then dropped after the run
      // (a late line must not overwrite the result the caller shows next).
      expect(sent).toHaveLength(1);
      expect((await realStore.listAudit({ site: 'dc1' })).map((e) => e.event).at(-1)).toBe('succeeded');
      release();
      await new Promise((r) => setTimeout(r, 20));
      expect(sent).toHaveLength(1);
    });

    it('abandons a hung progress update after its timeout and sends the newest message', async () => {
      const sent: string[] = [];
      const onProgress = (m: string) => {
        sent.push(m);
        return sent.length === 1 ? new Promise<void>(() => {}) : undefined;
      };
      const result = await realExecutor({ progressTimeoutMs: 50 }).execute(plan({ onProgress }));
      expect(result).toMatchObject({ ok: true });
      await new Promise((r) => setTimeout(r, 120));
      expect(sent).toHaveLength(2);
      expect(sent[1]).toMatch(/done/);
    });
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
