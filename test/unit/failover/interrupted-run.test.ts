import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { FailoverMode } from '../../../src/config/topology-schema.js';
import { decide, type PolicyInput } from '../../../src/domain/failover-policy.js';
import type { TunnelFacts } from '../../../src/domain/tunnel-fitness.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { systemClock } from '../../../src/ports/clock.js';
import type { LivenessAddress } from '../../../src/ports/liveness.js';
import type { Store } from '../../../src/ports/store.js';
import { SiteLock } from '../../../src/services/execution/site-lock.js';
import { interruptedRun } from '../../../src/services/failover/controller-facts.js';
import { FailoverController } from '../../../src/services/failover/failover-controller.js';
import { FailoverExecutor } from '../../../src/services/failover/failover-executor.js';
import { heartbeatTargetCheck } from '../../../src/services/failover/heartbeat-target-check.js';
import { heartbeat, putHeartbeat } from '../../helpers/heartbeats.js';
import { memoryAccount, RecordingChat, testTopology } from './fakes.js';
import { down, policyInput, up } from './policy-inputs.js';

const healthy = up;
const split = (
  tunnels: readonly [TunnelFacts, TunnelFacts],
  mode: FailoverMode = 'propose',
  to = 'secondary',
): PolicyInput =>
  policyInput(
    {
      routesProblem: 'rtb-1 10.20.0.0/16 -> secondary',
      interrupted: { runId: 'failover:UAPPROVER1:abc', actor: 'UAPPROVER1', to },
      tunnels,
    },
    mode,
  );

describe('an interrupted failover run (policy)', () => {
  it('is finished onto its own target when that tunnel is fit, in every mode, cooldown or not', () => {
    for (const mode of ['auto', 'propose', 'manual'] as const) {
      const d = decide(split([healthy('primary'), healthy('secondary')], mode));
      expect(d).toMatchObject({ action: 'failover', code: 'finish-interrupted', to: 'secondary' });
      expect(d.reason).toMatch(
        /finishing the interrupted failover run failover:UAPPROVER1:abc of UAPPROVER1/,
      );
    }
  });

  it('converges onto the other tunnel when its target is down (manual: alert)', () => {
    expect(decide(split([healthy('primary'), down('secondary')], 'auto'))).toMatchObject({
      action: 'failover',
      code: 'finish-interrupted',
      to: 'primary',
    });
    expect(decide(split([healthy('primary'), down('secondary')], 'manual'))).toMatchObject({
      action: 'alert',
      code: 'manual',
    });
  });

  it('changes nothing and alerts when neither tunnel is fit', () => {
    expect(decide(split([down('primary'), down('secondary')], 'auto'))).toMatchObject({
      action: 'alert',
      code: 'both-down',
    });
  });
});

describe('interruptedRun (from the audit)', () => {
  const now = Date.parse('2026-01-15T09:10:00.000Z');
  const entry = (event: string, detail: Record<string, unknown>, at = '2026-01-15T09:09:00.000Z') => ({
    at,
    site: 'dc1',
    action: 'failover',
    actor: 'UAPPROVER1',
    event,
    detail: { runId: 'run-1', ...detail },
  });

  it('is the newest started run with no end, or one that failed unfinished', () => {
    expect(interruptedRun([entry('started', { to: 'secondary' })], now)).toEqual({
      runId: 'run-1',
      actor: 'UAPPROVER1',
      to: 'secondary',
    });
    expect(
      interruptedRun(
        [entry('started', { to: 'secondary' }), entry('failed', { unfinished: { to: 'primary' } })],
        now,
      ),
    ).toMatchObject({ to: 'primary' });
  });

  it('is nothing once the run ended (succeeded, failed and converged), or when it is old history', () => {
    expect(interruptedRun([entry('started', { to: 'secondary' }), entry('succeeded', {})], now)).toBeNull();
    expect(interruptedRun([entry('started', { to: 'secondary' }), entry('failed', {})], now)).toBeNull();
    expect(
      interruptedRun([entry('started', { to: 'secondary' }, '2026-01-15T08:00:00.000Z')], now),
    ).toBeNull();
  });
});

describe('the next controller run finishes an interrupted run', () => {
  let store: Store;
  beforeEach(() => {
    store = new SqliteStore({ path: ':memory:', clock: systemClock });
  });
  afterEach(async () => {
    await store.close();
  });

  it('a run that lost its lease after 1 of 4 routes is finished by the controller as soon as that lease runs out; the audit says whose run it was', async () => {
    const topology = testTopology({ mode: 'propose' });
    const site = topology.sites[0]!;
    const account = memoryAccount(topology, { delayMs: 100 });
    const clock = systemClock;
    for (const t of ['primary', 'secondary'])
      await putHeartbeat(store, heartbeat(t, 'up', clock.now() - 500), 600_000);

    // An approved failover loses its lease while its 1st route change is in flight: another failover process
    // takes it, and then dies (its short lease runs out 300 ms later).
    const executor = new FailoverExecutor({
      store,
      routeTables: account.routeTables,
      clock,
      log: silentLogger(),
      checkTarget: heartbeatTargetCheck({ store, clock }),
      concurrency: 1,
      leaseRenewEveryMs: 20,
    });
    const replace = account.routeTables.replace.bind(account.routeTables);
    let stolen = false;
    account.routeTables.replace = async (s, rtb, cidr, tunnel, signal) => {
      if (!stolen) {
        stolen = true;
        await store.put('lock', `site:${site.name}`, { owner: 'failover:UOTHER:2', purpose: 'x' }, 300);
      }
      await replace(s, rtb, cidr, tunnel, signal);
    };
    const first = await executor.execute({
      site,
      to: 'secondary',
      actor: 'UAPPROVER1',
      requestId: 'req-7',
      trigger: 'approved',
    });
    expect(first).toMatchObject({ ok: false, refused: false, changed: 1, rolledBack: 0 });
    expect(account.routeTables.activeOf('dc1').sort()).toEqual(['primary', 'secondary']);

    // While that lease lives, the controller leaves the routes alone (a run is at work) and says nothing...
    const chat = new RecordingChat();
    const controller = controllerOn({ topology, account }, { chat });
    const meanwhile = await controller.evaluate('dc1', { kind: 'reconcile' });
    expect(meanwhile.decision).toMatchObject({ action: 'none', code: 'run-in-progress' });
    expect(chat.posts).toHaveLength(0);
    expect(account.routeTables.activeOf('dc1').sort()).toEqual(['primary', 'secondary']);

    // ...and looks again by itself once the lease runs out: the interrupted run is finished onto its target.
    const t0 = Date.now();
    while (account.routeTables.activeOf('dc1').length > 1 && Date.now() - t0 < 5000)
      await new Promise((r) => setTimeout(r, 25));
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    expect(Date.now() - t0).toBeLessThan(2000);
    while (!chat.posts.length && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 25));

    const audit = await store.listAudit({ site: 'dc1' });
    const resumed = audit.filter((e) => e.event === 'started').at(-1);
    expect(resumed).toMatchObject({ actor: 'controller' });
    const firstRun = audit.find((e) => e.requestId === 'req-7' && e.event === 'started');
    expect(typeof firstRun?.detail?.runId).toBe('string');
    expect(resumed?.detail?.resumes).toEqual({ actor: 'UAPPROVER1', runId: firstRun?.detail?.runId });
    expect(audit.at(-1)).toMatchObject({ event: 'succeeded', actor: 'controller' });
    expect(chat.posts.at(-1)?.text).toMatch(/finishing the interrupted failover run/);
    expect(await new SiteLock({ store, clock }).holder('dc1')).toBeNull();
  });

  /** An auto-mode site whose primary reports down and whose secondary reports up. */
  async function primaryDown() {
    const topology = testTopology({ mode: 'auto' });
    const account = memoryAccount(topology);
    await putHeartbeat(store, heartbeat('primary', 'down', systemClock.now() - 200), 600_000);
    await putHeartbeat(store, heartbeat('secondary', 'up', systemClock.now() - 200), 600_000);
    return { topology, account };
  }

  /**
   * The primary is down and a run of `actor` (under a 10 s lease, with `holderAt` on it when given) has moved
   * 1 of 4 routes to the secondary: what a follower finds half-way through someone else's failover.
   */
  async function halfDoneRun(actor: string, runId: string, holderAt?: LivenessAddress) {
    const { topology, account } = await primaryDown();
    const clock = systemClock;
    const lock = new SiteLock({ store, clock });
    const lease = await lock.acquire('dc1', runId, 10_000, 'failover to secondary', holderAt);
    expect(lease).not.toBeNull();
    await store.appendAudit({
      at: new Date(clock.now()).toISOString(),
      site: 'dc1',
      action: 'failover',
      actor,
      event: 'started',
      detail: { runId, to: 'secondary' },
    });
    const [first] = [...account.routeTables.routes.keys()];
    account.routeTables.routes.set(first!, 'secondary');
    return { topology, account, clock, lock, lease: lease! };
  }

  type ControllerProps = ConstructorParameters<typeof FailoverController>[0];
  /** A controller on this test's store and the system clock, plus what the test varies. */
  const controllerOn = (
    world: Pick<ControllerProps, 'topology' | 'account'>,
    extra: Partial<ControllerProps> = {},
  ): FailoverController =>
    new FailoverController({ ...world, store, clock: systemClock, log: silentLogger(), ...extra });

  /** Waits (polling, up to `maxMs`) until every route of dc1 is on one tunnel; returns how long it took. */
  async function untilConverged(account: ReturnType<typeof memoryAccount>, maxMs: number): Promise<number> {
    const t0 = Date.now();
    while (account.routeTables.activeOf('dc1').length > 1 && Date.now() - t0 < maxMs)
      await new Promise((r) => setTimeout(r, 20));
    return Date.now() - t0;
  }

  it('a followed run that ends without finishing (lease released, routes split) is finished within a poll, not at its expiry', async () => {
    // The backstop (a holder without a liveness address) is half-way.
    const { topology, account, lock, lease } = await halfDoneRun('controller', 'failover:controller:run-9');

    const controller = controllerOn({ topology, account });
    const meanwhile = await controller.evaluate('dc1', { kind: 'reconcile' });
    expect(meanwhile.decision.code).toBe('run-in-progress');
    // It gives up half-way and lets go of the lease (8+ s before it would have expired).
    await lock.release(lease);
    const tookMs = await untilConverged(account, 5000);
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    expect(tookMs).toBeLessThan(1500);
    const resumed = (await store.listAudit({ site: 'dc1' })).filter((e) => e.event === 'started').at(-1);
    expect(resumed?.detail?.resumes).toEqual({ runId: 'failover:controller:run-9', actor: 'controller' });
  });

  it('a holder that dies between the decision and the follow is finished at once (not left to a later trigger)', async () => {
    const { topology, account } = await halfDoneRun(
      'controller@monitor:dc1/primary',
      'failover:controller@monitor:dc1/primary:r1',
      { host: '10.0.1.10', port: 7406, instance: 'lab/primary:dead-soon' },
    );
    // Alive when the facts are read, dead by the time the run is followed; nothing else will wake this process.
    const answers: Array<'alive' | 'dead'> = ['alive'];
    const liveness = {
      check: async () => answers.shift() ?? ('dead' as const),
      watch: () => new Promise<void>(() => undefined),
    };
    const controller = controllerOn({ topology, account }, { liveness });
    const meanwhile = await controller.evaluate('dc1', { kind: 'reconcile' });
    expect(meanwhile.decision.code).toBe('run-in-progress');
    await untilConverged(account, 3000);
    expect(account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    const resumed = (await store.listAudit({ site: 'dc1' })).filter((e) => e.event === 'started').at(-1);
    expect(resumed?.detail?.resumes).toEqual({
      runId: 'failover:controller@monitor:dc1/primary:r1',
      actor: 'controller@monitor:dc1/primary',
    });
  });

  it('a refusal with no lease behind it (an unfit target) is not followed by another evaluation: no loop', async () => {
    const { topology, account } = await primaryDown();
    let runs = 0;
    const executor = {
      execute: async () => {
        runs++;
        return {
          ok: false as const,
          refused: true,
          reason: 'secondary is not healthy',
          changed: 0,
          rolledBack: 0,
          durationMs: 1,
        };
      },
    };
    const liveness = { check: async () => 'dead' as const, watch: async () => undefined };
    const controller = controllerOn({ topology, account }, { executor, liveness });
    const out = await controller.evaluate('dc1', {
      kind: 'health-changed',
      tunnel: 'primary',
      health: 'down',
    });
    expect(out.decision.action).toBe('failover');
    await new Promise((r) => setTimeout(r, 600));
    expect(runs).toBe(1);
  });
});
