import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { routeSlots } from '../../../src/domain/route-plan.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import type { Store } from '../../../src/ports/store.js';
import { FailoverExecutor } from '../../../src/services/failover/failover-executor.js';
import type { FailoverPlan, TargetCheck } from '../../../src/services/failover/failover-plan.js';
import { ROUTE_EPOCH_NS, RouteEpochs, type SeenRoutes } from '../../../src/services/failover/route-epoch.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { CountingRouteTables, site } from '../execution/fixtures.js';

const healthy: TargetCheck = async () => ({ healthy: true, reason: 'probes 0% loss' });

// Issue 23: a run used to read the routes again under its lease, and in an AZ outage at fleet scale that read
// waited behind every other site's decision read in EC2's DescribeRouteTables bucket (bench:fleet: first site
// healed at 24 s). The decision's own read now serves the run while the site's route epoch shows no run wrote
// the routes since; any other run that wrote them moves the epoch on and the run reads again.
describe('route epoch: the decision read serves the run', () => {
  let clock: ManualClock;
  let store: Store;
  let routes: CountingRouteTables;
  let reads: number;
  let epochs: RouteEpochs;

  const executor = (over: { store?: Store; checkTarget?: TargetCheck; concurrency?: number } = {}) =>
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
    actor: 'controller',
    reason: 'primary down',
    trigger: 'automatic',
    ...over,
  });
  /** What the controller hands the executor: the epoch read, then the routes read. */
  const decisionRead = async (): Promise<SeenRoutes> => {
    const epoch = await epochs.read(site.name);
    const observed = (await routes.observe([site])).get(site.name);
    if (!observed?.ok) throw new Error('the fixture routes are readable');
    return { epoch, slots: routeSlots(site, observed.value) };
  };

  beforeEach(() => {
    clock = new ManualClock();
    store = new SqliteStore({ path: ':memory:', clock });
    epochs = new RouteEpochs(store);
    routes = new CountingRouteTables();
    reads = 0;
    const observe = routes.observe.bind(routes);
    routes.observe = (sites) => {
      reads++;
      return observe(sites);
    };
  });

  afterEach(async () => {
    await store.close();
  });

  it('moves the routes without reading them again under the lease, then reads them back once', async () => {
    const seen = await decisionRead();
    expect(reads).toBe(1);
    const result = await executor().execute(plan({ seen }));
    expect(result).toMatchObject({ ok: true, from: 'primary', changed: 4 });
    // The verify read only.
    expect(reads).toBe(2);
    expect(routes.tunnels().every((t) => t === 'secondary')).toBe(true);
    // Once before the first route call, once after the last: a decision reading meanwhile cannot reuse its read.
    expect(await epochs.read(site.name)).toBe(seen.epoch + 2);
  });

  it('reads the routes again when another run wrote them since the decision read them, and changes nothing', async () => {
    // Two deciders read the same routes (all on primary); the first one's run moves them.
    const stale = await decisionRead();
    const first = await executor().execute(plan({ seen: await decisionRead() }));
    expect(first).toMatchObject({ ok: true, changed: 4 });
    expect(routes.calls).toHaveLength(4);

    const second = await executor().execute(plan({ seen: stale, actor: 'controller@monitor:dc1/secondary' }));
    // Without the epoch it would have written the four routes again and reported a second failover.
    expect(second).toMatchObject({ ok: false, refused: true, refusal: 'already-active', changed: 0 });
    expect(routes.calls).toHaveLength(4);
  });

  it('reads the routes again when a run was writing them while the decision read them', async () => {
    // The decision reads its epoch, then the routes half-way through another run's writes.
    let seen: SeenRoutes | undefined;
    let epochBefore = -1;
    routes.beforeWrite = async (n) => {
      if (n === 1) epochBefore = await epochs.read(site.name);
      if (n === 3) {
        const observed = (await routes.observe([site])).get(site.name);
        if (observed?.ok) seen = { epoch: epochBefore, slots: routeSlots(site, observed.value) };
      }
    };
    expect(await executor({ concurrency: 1 }).execute(plan())).toMatchObject({ ok: true, changed: 4 });
    routes.beforeWrite = () => {};
    expect(seen?.slots.filter((s) => s.tunnel === 'secondary')).toHaveLength(2);

    const again = await executor().execute(plan({ seen: seen! }));
    expect(again).toMatchObject({ ok: false, refused: true, refusal: 'already-active' });
    expect(routes.calls).toHaveLength(4);
  });

  it('reads the routes again when the store cannot say what the epoch is', async () => {
    const seen = await decisionRead();
    const failing: Store = Object.create(store, {
      get: {
        value: (ns: string, key: string) =>
          ns === ROUTE_EPOCH_NS ? Promise.reject(new Error('store unavailable')) : store.get(ns, key),
      },
    });
    const result = await executor({ store: failing }).execute(plan({ seen }));
    expect(result).toMatchObject({ ok: true, changed: 4 });
    // The decision's read, one under the lease, one to verify.
    expect(reads).toBe(3);
  });

  it('a run refused before any route call leaves the epoch where it was', async () => {
    routes = new CountingRouteTables('secondary');
    expect(await executor().execute(plan())).toMatchObject({ ok: false, refused: true });
    expect(await epochs.read(site.name)).toBe(0);
  });

  it('a run whose route call failed moves the epoch on after its rollback has returned', async () => {
    routes.failOnCall.add(2);
    const seen = await decisionRead();
    const result = await executor().execute(plan({ seen }));
    expect(result).toMatchObject({ ok: false, refused: false });
    expect(routes.tunnels().every((t) => t === 'primary')).toBe(true);
    expect(await epochs.read(site.name)).toBe(seen.epoch + 2);
  });

  it('reads a record that holds no number as 0 and moves it on from there', async () => {
    await store.put(ROUTE_EPOCH_NS, site.name, { n: 'forged' });
    expect(await epochs.read(site.name)).toBe(0);
    expect(await epochs.advance(site.name)).toBe(1);
    expect(await epochs.read(site.name)).toBe(1);
  });
});
