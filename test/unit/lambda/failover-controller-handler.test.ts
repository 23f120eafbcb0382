import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { backstopTickInput } from '../../../src/lambda/backstop-tick.js';
import { createControllerHandler } from '../../../src/lambda/controller-handler.js';
import { handler, loadControllerConfig } from '../../../src/lambda/failover-controller.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import type { Store } from '../../../src/ports/store.js';
import { SiteLock } from '../../../src/services/execution/site-lock.js';
import { FailoverController } from '../../../src/services/failover/failover-controller.js';
import { captureLog } from '../../helpers/capture-log.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { heartbeat, putHeartbeat } from '../../helpers/heartbeats.js';
import { memoryAccount, RecordingChat, testTopology } from '../failover/fakes.js';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(`test/fixtures/events/${name}.json`, 'utf8')) as Record<string, unknown>;

async function setup(
  opts: {
    primaryBeat?: 'up' | 'down' | 'none';
    followBudgetMs?: number;
    store?: Store;
    /** How long the account's route reads queue (an AWS account with a shared budget). */
    routeReadQueueMs?: number;
  } = {},
) {
  const clock = new ManualClock();
  const store = opts.store ?? new SqliteStore({ path: ':memory:', clock });
  const topology = testTopology({ mode: 'auto' });
  const queueMs = opts.routeReadQueueMs;
  const account = {
    ...memoryAccount(topology),
    ...(queueMs === undefined ? {} : { routeReadQueue: { waitMs: async () => queueMs } }),
  };
  const primary = opts.primaryBeat ?? 'down';
  if (primary !== 'none') await putHeartbeat(store, heartbeat('primary', primary, clock.now() - 1000));
  await putHeartbeat(store, heartbeat('secondary', 'up', clock.now() - 1000));
  const { log, lines } = captureLog();
  const controller = new FailoverController({
    topology,
    account,
    store,
    clock,
    chat: new RecordingChat(),
    log: silentLogger(),
  });
  const calls: string[] = [];
  const spy = {
    evaluate: (site: string, trigger: Parameters<FailoverController['evaluate']>[1]) => {
      calls.push(`evaluate ${site} ${trigger.kind}`);
      return controller.evaluate(site, trigger);
    },
    reconcileAll: () => {
      calls.push('reconcileAll');
      return controller.reconcileAll();
    },
    settle: (ms: number) => controller.settle(ms),
  };
  const handle = createControllerHandler({
    topology,
    controller: spy,
    log,
    ...(opts.followBudgetMs === undefined ? {} : { followBudgetMs: opts.followBudgetMs }),
  });
  return { handle, account, calls, lines, store, clock };
}

describe('failover controller Lambda handler', () => {
  it('ECS Task State Change (STOPPED, no replacement) for the active tunnel fails over', async () => {
    const { handle, account, calls, store } = await setup({ primaryBeat: 'none' });
    account.tasks.states.set('dc1/primary', {
      desired: 1,
      running: 0,
      pending: 0,
      deploying: false,
      lastStopReason: 'Essential container in task exited',
    });
    const res = await handle(fixture('ecs-task-state-change-stopped'));
    expect(calls).toEqual(['evaluate dc1 task-state']);
    expect(res).toEqual({
      status: 'evaluated',
      decisions: [
        {
          site: 'dc1',
          action: 'failover',
          code: 'failover',
          to: 'secondary',
          changed: 4,
          reason: expect.stringMatching(/task of primary stopped/),
        },
      ],
    });
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    await store.close();
  });

  it('ignores ECS events of other clusters and services: no evaluation, no route change', async () => {
    const { handle, account, calls, lines, store } = await setup();
    const res = await handle(fixture('ecs-task-state-change-other-cluster'));
    expect(res).toEqual({
      status: 'ignored',
      reason: expect.stringMatching(
        /payments-prod service:payments-api is not one of this topology's tunnel services/,
      ),
    });
    expect(calls).toEqual([]);
    expect(account.routeTables.replaced).toEqual([]);
    expect(lines.some((l) => l.msg === 'ignored an event')).toBe(true);
    await store.close();
  });

  it('a Tunnel Health Changed event evaluates its site', async () => {
    const { handle, account, calls, store } = await setup();
    const res = await handle(fixture('tunnel-health-changed'));
    expect(calls).toEqual(['evaluate dc1 health-changed']);
    expect(res.decisions?.[0]).toMatchObject({ action: 'failover', to: 'secondary' });
    expect(account.routeTables.replaced).toHaveLength(4);
    await store.close();
  });

  it('a CloudWatch alarm on a TunnelOps metric evaluates its site; any other alarm is ignored', async () => {
    const a = await setup({ primaryBeat: 'up' });
    expect(await a.handle(fixture('cloudwatch-alarm-state-change-tunnel'))).toEqual({
      status: 'evaluated',
      decisions: [
        { site: 'dc1', action: 'none', code: 'active-ok', reason: expect.stringMatching(/^did nothing/) },
      ],
    });
    expect(a.calls).toEqual(['evaluate dc1 alarm']);
    expect(await a.handle(fixture('cloudwatch-alarm-state-change-other'))).toMatchObject({
      status: 'ignored',
      reason: expect.stringMatching(/ServerCpuTooHigh/),
    });
    expect(a.calls).toHaveLength(1);
    await a.store.close();
  });

  it("the scheduler's backstop tick reconciles every site", async () => {
    const { handle, calls, account, store } = await setup();
    const res = await handle(fixture('backstop-tick'));
    expect(calls).toEqual(['reconcileAll']);
    expect(res.decisions).toHaveLength(1);
    expect(res.deferred).toBeUndefined();
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    await store.close();
  });

  // Issue 23: while the account's route reads queue long (the fast paths at work), the tick defers, and says so.
  it('a backstop tick while route reads queue long is deferred: no decision, the site named in `deferred`', async () => {
    const { handle, calls, account, store } = await setup({ routeReadQueueMs: 45_000 });
    const res = await handle(fixture('backstop-tick'));
    expect(calls).toEqual(['reconcileAll']);
    expect(res).toEqual({
      status: 'evaluated',
      decisions: [],
      deferred: [{ site: 'dc1', region: 'us-east-1', queueMs: 45_000 }],
    });
    expect(account.routeTables.activeOf('dc1')).toEqual(['primary']);
    // An event for the site is never deferred.
    const health = await handle(fixture('tunnel-health-changed'));
    expect(health.decisions?.map((d) => d.code)).toEqual(['failover']);
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    await store.close();
  });

  it('the tick fixture is the input infra gives the schedule, with the context attributes filled in', () => {
    const tick = fixture('backstop-tick') as { id: string; detail: { scheduledTime: string } };
    expect(backstopTickInput({ id: tick.id, scheduledTime: tick.detail.scheduledTime })).toEqual(tick);
  });

  it('an EventBridge rule\'s "Scheduled Event" (the tick before the scheduler) is ignored: no reconcile', async () => {
    const { handle, calls, account, store } = await setup();
    const res = await handle({
      version: '0',
      id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      region: 'us-east-1',
      detail: {},
    });
    expect(res).toEqual({
      status: 'ignored',
      reason: expect.stringMatching(/aws\.events \/ Scheduled Event/),
    });
    expect(calls).toEqual([]);
    expect(account.routeTables.replaced).toEqual([]);
    await store.close();
  });

  it('rejects malformed events with a logged reason and does nothing', async () => {
    const { handle, account, calls, lines, store } = await setup();
    const ecs = fixture('ecs-task-state-change-stopped');
    const health = fixture('tunnel-health-changed');
    const alarm = fixture('cloudwatch-alarm-state-change-tunnel');
    const bad: unknown[] = [
      null,
      'ECS Task State Change',
      {},
      { ...ecs, detail: 'STOPPED' },
      { ...ecs, detail: { ...(ecs.detail as object), clusterArn: undefined } },
      { ...health, detail: { ...(health.detail as object), health: 'sideways' } },
      { ...health, detail: { site: 'dc1' } },
      { ...alarm, detail: { alarmName: 'x', state: { value: 'PANIC' } } },
    ];
    for (const event of bad)
      expect(await handle(event)).toMatchObject({ status: 'rejected', reason: expect.any(String) });
    expect(calls).toEqual([]);
    expect(account.routeTables.replaced).toEqual([]);
    const rejected = lines.filter((l) => l.msg === 'rejected a malformed event; nothing done');
    expect(rejected).toHaveLength(bad.length);
    expect(rejected[4]?.reason).toMatch(/malformed ECS Task State Change: clusterArn/);
    await store.close();
  });

  // Issue 22 item 10: follow() used to be fire-and-forget; in a Lambda it outlived the invocation (frozen with
  // the sandbox, thawed mid-way in a later one). Each invocation now waits for the run it follows, bounded.
  it('waits within the invocation for the run it follows, and finishes the failover that run left to it', async () => {
    const { handle, account, store, clock } = await setup();
    const other = new SiteLock({ store, clock });
    const lease = await other.acquire('dc1', 'failover:UOTHER:1', 10_000, 'failover to secondary');
    expect(lease).not.toBeNull();
    // The other run ends (without moving anything) 300 ms into this invocation.
    setTimeout(() => void other.release(lease!), 300);
    const res = await handle(fixture('tunnel-health-changed'));
    expect(res.status).toBe('evaluated');
    // Returned only after the follow-up evaluation ran the failover, not later in some other invocation.
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    await store.close();
  });

  it('stops following at its budget and leaves nothing running after it returns', async () => {
    const clock = new ManualClock();
    const inner = new SqliteStore({ path: ':memory:', clock });
    let lockReads = 0;
    const counted = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'get')
          return (ns: string, key: string) => {
            if (ns === 'lock') lockReads++;
            return target.get(ns, key);
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as Store;
    const { handle, account } = await setup({ store: counted, followBudgetMs: 600 });
    // A run that holds the site for longer than the budget (a 10 s lease on a clock that does not move).
    expect(
      await new SiteLock({ store: inner, clock }).acquire('dc1', 'failover:UOTHER:1', 10_000, 'x'),
    ).not.toBeNull();
    const started = Date.now();
    await handle(fixture('tunnel-health-changed'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    const readsAtReturn = lockReads;
    expect(readsAtReturn).toBeGreaterThan(1); // it did follow (polling the lease) while it waited
    await new Promise((r) => setTimeout(r, 800));
    expect(lockReads).toBe(readsAtReturn);
    expect(account.routeTables.replaced).toEqual([]);
    await inner.close();
  });

  it('never throws and never acts on random input', async () => {
    const { handle, account, calls, store } = await setup();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc.record({
            'detail-type': fc.constantFrom(
              'ECS Task State Change',
              'Tunnel Health Changed',
              'CloudWatch Alarm State Change',
            ),
            source: fc.string(),
            detail: fc.dictionary(fc.string(), fc.anything()),
          }),
        ),
        async (event) => {
          const res = await handle(event);
          expect(['rejected', 'ignored']).toContain(res.status);
        },
      ),
      { numRuns: 300 },
    );
    expect(calls).toEqual([]);
    expect(account.routeTables.replaced).toEqual([]);
    await store.close();
  });
});

describe('failover controller Lambda config', () => {
  const topologyJson = JSON.stringify(testTopology());

  it('reads the topology from TUNNELOPS_TOPOLOGY_JSON and needs the DynamoDB store', () => {
    const cfg = loadControllerConfig({
      TUNNELOPS_TOPOLOGY_JSON: topologyJson,
      TUNNELOPS_STORE: 'dynamodb:tunnelops-state',
      AWS_REGION: 'us-east-1',
    });
    expect(cfg.topology.sites.map((s) => s.name)).toEqual(['dc1']);
    expect(() =>
      loadControllerConfig({ TUNNELOPS_TOPOLOGY_JSON: topologyJson, AWS_REGION: 'us-east-1' }),
    ).toThrow(/TUNNELOPS_STORE=dynamodb:<table>/);
    expect(() =>
      loadControllerConfig({
        TUNNELOPS_TOPOLOGY_JSON: '{"sites": []}',
        TUNNELOPS_STORE: 'dynamodb:t1t',
        AWS_REGION: 'us-east-1',
      }),
    ).toThrow(/TUNNELOPS_TOPOLOGY_JSON is invalid/);
  });

  it('the exported handler fails a cold start with a clear configuration error', async () => {
    const saved = { ...process.env };
    try {
      process.env.TUNNELOPS_TOPOLOGY_JSON = topologyJson;
      delete process.env.TUNNELOPS_STORE;
      await expect(handler(fixture('backstop-tick'))).rejects.toThrow(/TUNNELOPS_STORE=dynamodb/);
    } finally {
      process.env = saved;
    }
  });
});
