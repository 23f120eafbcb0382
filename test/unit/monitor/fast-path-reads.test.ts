import { describe, expect, it } from '@jest/globals';
import type { Heartbeat } from '../../../src/domain/heartbeat.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { FastPathReporter } from '../../../src/monitor/fast-path-reporter.js';
import type { ProbeRound } from '../../../src/monitor/health-reporter.js';
import { HeartbeatReporter } from '../../../src/monitor/heartbeat-reporter.js';
import { SiteLock } from '../../../src/services/execution/site-lock.js';
import {
  type ControllerOutcome,
  FailoverController,
} from '../../../src/services/failover/failover-controller.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { heartbeat, putHeartbeat } from '../../helpers/heartbeats.js';
import { memoryAccount, RecordingChat, testTopology } from '../failover/fakes.js';

type Tunnel = 'primary' | 'secondary';
const other = (t: Tunnel): Tunnel => (t === 'primary' ? 'secondary' : 'primary');

/**
 * One site whose `own` tunnel's monitor runs the fast path with the real controller (policy, lease, executor) on
 * memory routes, while the other tunnel's host is dead: its heartbeat stopped and `own`'s monitor's probes of it
 * go unanswered. Counts the controller's route reads (each one a DescribeRouteTables in AWS).
 */
async function deadPeer(own: Tunnel) {
  const clock = new ManualClock();
  const store = new SqliteStore({ path: ':memory:', clock });
  const topology = testTopology({ mode: 'auto' });
  const account = memoryAccount(topology);
  let reads = 0;
  const observe = account.routeTables.observe.bind(account.routeTables);
  account.routeTables.observe = (sites) => {
    reads++;
    return observe(sites);
  };
  const controller = new FailoverController({
    topology,
    account,
    store,
    clock,
    chat: new RecordingChat(),
    log: silentLogger(),
  });
  const outcomes: ControllerOutcome[] = [];
  const fast = new FastPathReporter({
    controller: {
      evaluate: async (site, trigger) => {
        const o = await controller.evaluate(site, trigger);
        outcomes.push(o);
        return o;
      },
    },
    clock,
    log: silentLogger(),
  });
  const died = clock.now() - 30_000;
  await putHeartbeat(store, heartbeat(other(own), 'up', died));
  const peerView = { tunnel: other(own), failCount: 3, okCount: 0, at: '' };
  /** One probe round of `own`'s monitor (every 500 ms): its heartbeat, then the fast path. */
  const round = async (verdict: 'host-dead' | 'alive' = 'host-dead') => {
    clock.advance(500);
    const beat: Heartbeat = { ...heartbeat(own, 'up', clock.now()), peer: { ...peerView, at: '' } };
    await putHeartbeat(store, beat);
    const r: ProbeRound = {
      site: 'dc1',
      tunnel: own,
      at: clock.now(),
      results: [],
      lossPct: 0,
      latencyMs: 1,
      state: { health: 'up', since: 0, riseCount: 9, fallCount: 0, reason: '' },
      peer: { view: peerView, heartbeatAgeMs: clock.now() - died, verdict, health: 'up' },
    };
    await fast.round(r);
    await fast.flush();
  };
  const rounds = async (n: number) => {
    for (let i = 0; i < n; i++) await round();
  };
  return { account, clock, fast, outcomes, round, rounds, reads: () => reads, store };
}

describe('fast path reads during an AZ outage: a survivor carrying every route stops reading', () => {
  it("the standby's host died: the active's monitor reads the routes once, then not again while nothing changes", async () => {
    const s = await deadPeer('primary');
    await s.rounds(160); // 80 s of rounds with the peer's host dead
    expect(s.outcomes.map((o) => `${o.trigger.kind} -> ${o.decision.code}`)).toEqual(['peer -> active-ok']);
    // Before: retries at 10, 30 and 70 s, a read each (decided nothing, backing off).
    expect(s.reads()).toBe(1);
    expect(s.account.routeTables.replaced).toEqual([]);

    // Its own tunnel going down is evaluated at once (both down: an alert), and retried while it is down.
    await s.fast.changed({
      site: 'dc1',
      tunnel: 'primary',
      from: 'up',
      to: 'down',
      at: 0,
      reason: 'probes failed',
      round: {
        site: 'dc1',
        tunnel: 'primary',
        at: 0,
        results: [],
        lossPct: 100,
        latencyMs: null,
        state: { health: 'down', since: 0, riseCount: 0, fallCount: 3, reason: 'x' },
      },
    });
    await s.fast.flush();
    expect(s.outcomes).toHaveLength(2);
    expect(s.outcomes[1]?.trigger.kind).toBe('health-changed');

    // The peer comes back, then dies again: a new verdict, a new evaluation (and read).
    await s.round('alive');
    const before = s.reads();
    await s.rounds(2);
    expect(s.outcomes.at(-1)?.trigger).toMatchObject({ kind: 'peer', verdict: 'host-dead' });
    expect(s.reads()).toBe(before + 1);
    await s.store.close();
  });

  it("the active's host died: the survivor moves the routes, verifies them, and then stops reading", async () => {
    const s = await deadPeer('secondary');
    await s.round();
    expect(s.outcomes.map((o) => `${o.trigger.kind} -> ${o.decision.code}`)).toEqual(['peer -> failover']);
    expect(s.outcomes[0]?.result?.ok).toBe(true);
    expect(s.account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    const afterRun = s.reads();
    await s.rounds(160);
    // Before: a retry 5 s after the run ("active-ok"), then 10, 20 and 40 s later, a read each.
    expect(s.outcomes).toHaveLength(1);
    expect(s.reads()).toBe(afterRun);
    await s.store.close();
  });

  it('keeps retrying when the routes are not all its own: the dead one is active and the move was refused', async () => {
    const s = await deadPeer('secondary');
    // Someone else holds the site (a run in another process): the fast path must come back to it.
    const lock = new SiteLock({ store: s.store, clock: s.clock });
    expect(
      await lock.acquire('dc1', 'failover:elsewhere', 3_600_000, 'a run in another process'),
    ).not.toBeNull();
    await s.rounds(40); // 20 s
    expect(s.outcomes.length).toBeGreaterThanOrEqual(3);
    for (const o of s.outcomes) expect(o.result?.ok).toBe(false);
    expect(s.account.routeTables.activeOf('dc1')).toEqual(['primary']);
    await s.store.close();
  });

  it('its own tunnel down: keeps retrying even after an "active-ok" read before its down heartbeat landed', async () => {
    const clock = new ManualClock();
    let evaluations = 0;
    // The controller still reads the old "up" heartbeat of this (active) tunnel: every route is its own, all fine.
    const fast = new FastPathReporter({
      controller: {
        evaluate: async (_site, trigger) => {
          evaluations++;
          return {
            site: 'dc1',
            trigger,
            decision: { action: 'none', code: 'active-ok', reason: 'stale', evidence: { active: 'primary' } },
          } as unknown as ControllerOutcome;
        },
      },
      clock,
      log: silentLogger(),
    });
    const down = { health: 'down' as const, since: 0, riseCount: 0, fallCount: 3, reason: 'probes failed' };
    const own: ProbeRound = {
      site: 'dc1',
      tunnel: 'primary',
      at: 0,
      results: [],
      lossPct: 100,
      latencyMs: null,
      state: down,
    };
    await fast.changed({
      site: 'dc1',
      tunnel: 'primary',
      from: 'up',
      to: 'down',
      at: 0,
      reason: 'x',
      round: own,
    });
    await fast.flush();
    for (let i = 0; i < 80; i++) {
      clock.advance(500); // 40 s of rounds with its own tunnel down and the peer alive
      await fast.round({ ...own, at: clock.now() });
      await fast.flush();
    }
    // Retried with the backoff (10 s, then 20 s): a later read sees the down heartbeat and alerts or fails over.
    expect(evaluations).toBeGreaterThanOrEqual(3);
  });
});

// Issue 23: in an AZ outage each evaluation's route read waits in the account's Describe bucket for tens of
// seconds. A retry used to queue behind the evaluation in flight, so evaluations ran back to back for as long as
// the queue lasted, and one that found every route on its own tunnel never settled (the queued retry unsettled
// it): bench:fleet counted 827 evaluations for 250 sites with nothing to do.
/**
 * A fast path whose every evaluation waits until `finish()` (its reads queued in the Describe bucket) and then
 * answers `outcome`; its own tunnel up, the peer host dead. `round()` is one probe round 500 ms on.
 */
function slowEvaluations(outcome: Pick<ControllerOutcome, 'decision' | 'result'>) {
  const clock = new ManualClock();
  const started: number[] = [];
  let release: () => void = () => {};
  const fast = new FastPathReporter({
    controller: {
      evaluate: async (_site, trigger) => {
        started.push(clock.now());
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        return { site: 'dc1', trigger, ...outcome } as ControllerOutcome;
      },
    },
    clock,
    log: silentLogger(),
    retryMs: 5000,
  });
  const peerView = { tunnel: 'secondary', failCount: 3, okCount: 0, at: '' };
  const round = async () => {
    clock.advance(500);
    await fast.round({
      site: 'dc1',
      tunnel: 'primary',
      at: clock.now(),
      results: [],
      lossPct: 0,
      latencyMs: 1,
      state: { health: 'up', since: 0, riseCount: 9, fallCount: 0, reason: '' },
      peer: { view: peerView, heartbeatAgeMs: 30_000, verdict: 'host-dead', health: 'up' },
    });
  };
  const finish = async () => {
    release();
    await fast.flush();
  };
  return { clock, started, round, finish };
}

describe('fast path: a slow evaluation is not followed by retries queued while it ran', () => {
  it('the peer host dead, each evaluation taking 30 s: the first settles it, and no retry follows', async () => {
    const s = slowEvaluations({
      decision: { action: 'none', code: 'active-ok', reason: 'fine', evidence: { active: 'primary' } },
    } as unknown as ControllerOutcome);
    // 30 s of rounds while the first evaluation waits for its reads.
    for (let i = 0; i < 60; i++) await s.round();
    expect(s.started).toHaveLength(1);
    await s.finish();
    // Then 60 s more with nothing changed: the evaluation found every route on this tunnel, so no retry.
    for (let i = 0; i < 120; i++) {
      await s.round();
      await s.finish();
    }
    expect(s.started).toHaveLength(1);
  });

  it('a slow evaluation that decided nothing is retried once its wait has passed after it ended', async () => {
    // Another process's run holds the site: not settled, retried.
    const s = slowEvaluations({
      decision: { action: 'failover', code: 'failover', to: 'primary', reason: 'peer dead' },
      result: { ok: false, refused: true, refusal: 'locked', reason: 'locked', changed: 0, rolledBack: 0 },
    } as unknown as ControllerOutcome);
    for (let i = 0; i < 60; i++) await s.round();
    const endedAt = s.clock.now();
    await s.finish();
    for (let i = 0; i < 20; i++) await s.round();
    // One retry, 5 s after the first evaluation ended (not right after it, as a retry queued while it ran was).
    expect(s.started).toHaveLength(2);
    expect(s.started[1]! - endedAt).toBe(5000);
    await s.finish();
  });
});

// The failure (e037d4a's, at its root): the active tunnel's own health goes down and the fast path evaluates, but
// the store still holds the monitor's older "up" heartbeat (the write is late, or failed). The controller read
// that, said "active-ok", and the monitor settled with its own tunnel down: no alert, no failover. The decision
// now takes the monitor's own measurement over an older record of the same tunnel.
describe("fast path: the controller takes its monitor's own newest heartbeat over the store's older one", () => {
  async function activeGoesDown(secondaryCertFault?: string) {
    const clock = new ManualClock();
    const store = new SqliteStore({ path: ':memory:', clock });
    const topology = testTopology({ mode: 'auto', cooldownSeconds: 0 });
    const account = memoryAccount(topology);
    const chat = new RecordingChat();
    const log = silentLogger();
    const controller = new FailoverController({ topology, account, store, clock, chat, log });
    const outcomes: ControllerOutcome[] = [];
    // The heartbeat this monitor would write; its write never lands in this store.
    const own = new HeartbeatReporter({ store, log });
    const fast = new FastPathReporter({
      controller: {
        evaluate: async (site, trigger, beat) => {
          const o = await controller.evaluate(site, trigger, beat);
          outcomes.push(o);
          return o;
        },
      },
      clock,
      log,
      ownHeartbeat: (round) => own.beatOf(round),
    });
    await putHeartbeat(store, heartbeat('primary', 'up', clock.now() - 500));
    await putHeartbeat(store, {
      ...heartbeat('secondary', 'up', clock.now()),
      ...(secondaryCertFault ? { certFault: secondaryCertFault } : {}),
    });
    const down = { health: 'down' as const, since: clock.now(), riseCount: 0, fallCount: 3, reason: 'x' };
    const round: ProbeRound = {
      site: 'dc1',
      tunnel: 'primary',
      at: clock.now(),
      results: [],
      lossPct: 100,
      latencyMs: null,
      state: down,
    };
    await fast.changed({
      site: 'dc1',
      tunnel: 'primary',
      from: 'up',
      to: 'down',
      at: clock.now(),
      reason: '3 consecutive failed probe rounds',
      round,
    });
    await fast.flush();
    return { outcomes, account, chat, store };
  }

  it('its own tunnel down, the store still saying up: fails over onto the fit standby at once', async () => {
    const s = await activeGoesDown();
    expect(s.outcomes.map((o) => o.decision.code)).toEqual(['failover']);
    expect(s.outcomes[0]?.decision.reason).toContain('the monitor reports primary down (3 failed rounds');
    expect(s.account.routeTables.activeOf('dc1')).toEqual(['secondary']);
    await s.store.close();
  });

  it('with an unfit standby: alerts at once, naming why', async () => {
    const s = await activeGoesDown('certificate expired 2026-12-05 10:00 UTC (dc1-secondary-server)');
    expect(s.outcomes.map((o) => o.decision.code)).toEqual(['both-down']);
    expect(s.chat.posts.map((p) => p.text).join('\n')).toContain('secondary is unfit: certificate expired');
    expect(s.account.routeTables.activeOf('dc1')).toEqual(['primary']);
    await s.store.close();
  });

  it("an own heartbeat older than the store's is not used", async () => {
    const clock = new ManualClock();
    const store = new SqliteStore({ path: ':memory:', clock });
    const topology = testTopology({ mode: 'auto', cooldownSeconds: 0 });
    const controller = new FailoverController({
      topology,
      account: memoryAccount(topology),
      store,
      clock,
      chat: new RecordingChat(),
      log: silentLogger(),
    });
    await putHeartbeat(store, heartbeat('primary', 'up', clock.now()));
    await putHeartbeat(store, heartbeat('secondary', 'up', clock.now()));
    const older = heartbeat('primary', 'down', clock.now() - 1000);
    const out = await controller.evaluate('dc1', { kind: 'reconcile' }, older);
    expect(out.decision.code).toBe('active-ok');
    await store.close();
  });
});
