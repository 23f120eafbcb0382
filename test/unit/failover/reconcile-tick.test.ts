import { describe, expect, it } from '@jest/globals';
import { parseTopology } from '../../../src/config/load-topology.js';
import type { Topology } from '../../../src/config/topology-schema.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import type { RouteReadQueue } from '../../../src/ports/route-read-queue.js';
import { SiteLock } from '../../../src/services/execution/site-lock.js';
import { FailoverController } from '../../../src/services/failover/failover-controller.js';
import { DEFER_RECONCILE_ABOVE_MS } from '../../../src/services/failover/reconcile-tick.js';
import { captureLog } from '../../helpers/capture-log.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { siteInput } from '../../helpers/fakes/site.js';
import { heartbeat, putHeartbeat } from '../../helpers/heartbeats.js';
import { memoryAccount, RecordingChat } from './fakes.js';

/**
 * Issue 23: in an AZ outage the account's route reads queue long in EC2's Describe bucket; the backstop's
 * reconcile then defers (its reads decide nothing the fast paths are not already doing). Every site here has
 * its active tunnel down, so a reconcile that is not deferred fails it over: a deferral that read or decided
 * anything would show.
 */
async function world(opts: {
  queueMs: Record<string, number> | ((region: string) => Promise<number>);
  regions?: string[];
  deferReconcileAboveMs?: number;
}) {
  const clock = new ManualClock();
  const store = new SqliteStore({ path: ':memory:', clock });
  const regions = opts.regions ?? ['us-east-1'];
  const topology: Topology = parseTopology(
    JSON.stringify({
      sites: regions.map((region, i) =>
        siteInput({
          name: `dc${i + 1}`,
          region,
          onPremCidrs: [`10.${20 + i}.0.0/16`],
          routeTableIds: [`rtb-0${i}a1b2c3d4e5f6071`],
          failover: { mode: 'auto', cooldownSeconds: 0 },
        }),
      ),
    }),
  );
  for (const s of topology.sites) {
    await putHeartbeat(store, heartbeat('primary', 'down', clock.now() - 1000, s.name), 600_000);
    await putHeartbeat(store, heartbeat('secondary', 'up', clock.now() - 1000, s.name), 600_000);
  }
  const asked: string[] = [];
  const queue = opts.queueMs;
  const routeReadQueue: RouteReadQueue = {
    waitMs: (region) => {
      asked.push(region);
      return typeof queue === 'function' ? queue(region) : Promise.resolve(queue[region] ?? 0);
    },
  };
  const account = { ...memoryAccount(topology), routeReadQueue };
  // Every AWS read the controller makes: route tables and ECS.
  const reads: string[] = [];
  const observeRoutes = account.routeTables.observe.bind(account.routeTables);
  account.routeTables.observe = (sites) => {
    reads.push(`routes ${sites.map((s) => s.name).join(',')}`);
    return observeRoutes(sites);
  };
  const observeTasks = account.tasks.observe.bind(account.tasks);
  account.tasks.observe = (sites) => {
    reads.push(`tasks ${sites.map((s) => s.name).join(',')}`);
    return observeTasks(sites);
  };
  const { log, lines } = captureLog();
  const controller = new FailoverController({
    topology,
    account,
    store,
    clock,
    chat: new RecordingChat(),
    log,
    ...(opts.deferReconcileAboveMs === undefined
      ? {}
      : { deferReconcileAboveMs: opts.deferReconcileAboveMs }),
  });
  return { controller, account, reads, asked, lines, store, clock };
}

describe("the reconcile tick defers while the account's route reads queue long", () => {
  it('defers with a long queue: no AWS read, nothing decided or changed, and says why', async () => {
    const w = await world({ queueMs: { 'us-east-1': 25_000 } });
    const result = await w.controller.reconcileAll();
    expect(result).toEqual({
      outcomes: [],
      deferred: [{ site: 'dc1', region: 'us-east-1', queueMs: 25_000 }],
    });
    expect(w.reads).toEqual([]);
    expect(w.account.routeTables.replaced).toEqual([]);
    expect(w.account.routeTables.activeOf('dc1')).toEqual(['primary']);
    expect(w.lines.some((l) => /controller decided/.test(String(l.msg)))).toBe(false);
    const why = w.lines.find((l) => /reconcile deferred/.test(String(l.msg)));
    expect(why).toMatchObject({
      region: 'us-east-1',
      queueMs: 25_000,
      thresholdMs: DEFER_RECONCILE_ABOVE_MS,
    });
    expect(String(why!.msg)).toMatch(
      /25\.0 s .*more than 10\.0 s; the fast path is at work; the next tick looks again/,
    );
    await w.store.close();
  });

  it('reconciles with a short queue, and fails the site over', async () => {
    const w = await world({ queueMs: { 'us-east-1': 5_000 } });
    const { outcomes, deferred } = await w.controller.reconcileAll();
    expect(deferred).toEqual([]);
    expect(outcomes.map((o) => [o.site, o.decision.code, o.result?.ok])).toEqual([['dc1', 'failover', true]]);
    expect(w.reads).toContain('routes dc1');
    expect(w.account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    expect(w.asked).toEqual(['us-east-1']);
    await w.store.close();
  });

  it('takes its threshold from the props', async () => {
    const w = await world({ queueMs: { 'us-east-1': 25_000 }, deferReconcileAboveMs: 30_000 });
    const { outcomes, deferred } = await w.controller.reconcileAll();
    expect(deferred).toEqual([]);
    expect(outcomes.map((o) => o.decision.code)).toEqual(['failover']);
    await w.store.close();
  });

  it('never defers an evaluation for an event, and does not even ask the queue', async () => {
    const w = await world({ queueMs: { 'us-east-1': 50_000 } });
    const outcome = await w.controller.evaluate('dc1', {
      kind: 'health-changed',
      tunnel: 'primary',
      health: 'down',
    });
    expect(outcome.decision.code).toBe('failover');
    expect(w.account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    expect(w.asked).toEqual([]);
    await w.store.close();
  });

  it('defers only the sites of the region whose queue is long, one queue read per region', async () => {
    const w = await world({
      regions: ['us-east-1', 'eu-west-1', 'us-east-1'],
      queueMs: { 'us-east-1': 40_000, 'eu-west-1': 0 },
    });
    const { outcomes, deferred } = await w.controller.reconcileAll();
    expect(deferred.map((d) => d.site)).toEqual(['dc1', 'dc3']);
    expect(outcomes.map((o) => [o.site, o.decision.code])).toEqual([['dc2', 'failover']]);
    expect(w.reads.every((r) => !/dc1|dc3/.test(r))).toBe(true);
    expect(w.account.routeTables.activeOf('dc1')).toEqual(['primary']);
    expect(w.account.routeTables.activeOf('dc2')).toEqual(['secondary']);
    expect(w.asked.sort()).toEqual(['eu-west-1', 'us-east-1']);
    await w.store.close();
  });

  it('a queue that cannot be read defers nothing: the backstop reads, as without it', async () => {
    const w = await world({ queueMs: () => Promise.reject(new Error('store down')) });
    const { outcomes, deferred } = await w.controller.reconcileAll();
    expect(deferred).toEqual([]);
    expect(outcomes.map((o) => o.decision.code)).toEqual(['failover']);
    await w.store.close();
  });
});

/**
 * Issue 23: in an AZ outage the backstop found a run already holding the site's lease 174 times, each after a
 * route read that decided nothing but to follow that run. The reconcile now follows it without the read.
 */
describe('the reconcile tick and a site whose lease a run holds', () => {
  it('follows a failover run without reading its routes, and evaluates (with a read) once it ends', async () => {
    const w = await world({ queueMs: {}, regions: ['us-east-1', 'us-east-1', 'us-east-1'] });
    const lock = new SiteLock({ store: w.store, clock: w.clock });
    const lease = await lock.acquire(
      'dc1',
      'failover:controller@monitor:dc1/secondary:run1',
      10_000,
      'failover',
    );
    expect(lease).not.toBeNull();

    const { outcomes } = await w.controller.reconcileAll();

    expect(outcomes.map((o) => [o.site, o.decision.code])).toEqual([
      ['dc1', 'run-in-progress'],
      ['dc2', 'failover'],
      ['dc3', 'failover'],
    ]);
    // The others in one batched read (and their runs' own); none of dc1's routes.
    expect(w.reads[0]).toBe('routes dc2,dc3');
    expect(w.reads.filter((r) => r.startsWith('routes') && r.includes('dc1'))).toEqual([]);
    expect(w.account.routeTables.activeOf('dc1')).toEqual(['primary']);

    // The run ends (here without moving anything): the follower evaluates the site, reading it now.
    await lock.release(lease!);
    await w.controller.settle(10_000);
    expect(w.reads).toContain('routes dc1');
    expect(w.account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    const ended = w.lines.find((l) => l.site === 'dc1' && l.trigger === 'lease-ended');
    expect(ended).toMatchObject({ action: 'failover' });
    await w.store.close();
  });

  it('reads as before when the lease holder is no failover run (a redeploy)', async () => {
    const w = await world({ queueMs: {} });
    const lock = new SiteLock({ store: w.store, clock: w.clock });
    expect(await lock.acquire('dc1', 'redeploy:UOTHER:1', 10_000, 'redeploy primary')).not.toBeNull();

    const { outcomes } = await w.controller.reconcileAll();

    expect(w.reads).toContain('routes dc1');
    expect(outcomes[0]?.decision.code).toBe('failover');
    expect(outcomes[0]?.result).toMatchObject({ ok: false, refused: true });
    await w.controller.settle(0);
    await w.store.close();
  });
});
