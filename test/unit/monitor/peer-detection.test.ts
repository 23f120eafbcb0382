import { describe, expect, it } from '@jest/globals';
import { decide, type PolicyInput } from '../../../src/domain/failover-policy.js';
import { HEARTBEAT_NS, type Heartbeat, heartbeatKey } from '../../../src/domain/heartbeat.js';
import { hostReach, peerVerdict } from '../../../src/domain/peer-view.js';
import type { TunnelFacts } from '../../../src/domain/tunnel-fitness.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { FastPathReporter } from '../../../src/monitor/fast-path-reporter.js';
import type { ProbeRound } from '../../../src/monitor/health-reporter.js';
import { PeerWatch } from '../../../src/monitor/peer-watch.js';
import type { ControllerTrigger } from '../../../src/services/failover/failover-controller.js';
import { ManualClock } from '../../helpers/fakes/manual-clock.js';
import { testTopology } from '../failover/fakes.js';

/** The recommended settings: rounds every 0.5 s, fall 3, so a monitor is silent after 1.5 s without a heartbeat. */
const S = { fall: 3, probeIntervalSeconds: 0.5 };

describe('peer verdict: two channels, fail over only when both say dead', () => {
  const view = (failCount: number, okCount: number) => ({ tunnel: 'primary', failCount, okCount, at: '' });

  it('needs `fall` failed probes in a row to call the host unreachable', () => {
    expect(hostReach(undefined, 3)).toBe('unknown');
    expect(hostReach(view(2, 0), 3)).toBe('unknown');
    expect(hostReach(view(3, 0), 3)).toBe('unreachable');
    expect(hostReach(view(0, 1), 3)).toBe('reachable');
  });

  it.each([
    [400, 'reachable', 'alive'],
    [400, 'unreachable', 'partition'],
    [1600, 'unreachable', 'host-dead'],
    [1600, 'reachable', 'monitor-silent'],
    [1600, 'unknown', 'alive'],
    [null, 'unreachable', 'partition'],
  ] as const)('heartbeat %s ms old, host %s -> %s', (age, reach, verdict) => {
    expect(peerVerdict(age, reach, S)).toBe(verdict);
  });
});

describe('policy with the peer view', () => {
  const settings = {
    mode: 'auto' as const,
    rise: 5,
    cooldownSeconds: 0,
    maxAutomaticPerHour: 10,
    heartbeatStaleSeconds: 10,
    ...S,
  };
  const tunnel = (name: string, over: Partial<TunnelFacts> = {}): TunnelFacts => ({
    name,
    health: 'up',
    riseCount: 9,
    fallCount: 0,
    heartbeatAgeMs: 300,
    task: 'unknown',
    ...over,
  });
  const input = (primary: Partial<TunnelFacts>): PolicyInput => ({
    site: 'dc1',
    active: 'primary',
    tunnels: [tunnel('primary', primary), tunnel('secondary')],
    settings,
    sinceLastFailoverMs: null,
    automaticLastHour: 0,
  });

  it('fails over in seconds when the active host is gone: silent monitor and no answer to the peer', () => {
    const d = decide(input({ heartbeatAgeMs: 1600, host: 'unreachable' }));
    expect(d).toMatchObject({ action: 'failover', to: 'secondary' });
    expect(d.reason).toContain('the primary host does not answer its peer');
  });

  it('alerts, and never fails over, when only the monitor is silent (its host answers), however long', () => {
    for (const age of [1600, 60_000]) {
      const d = decide(input({ heartbeatAgeMs: age, host: 'reachable' }));
      expect(d).toMatchObject({ action: 'alert', code: 'monitor-silent' });
    }
  });

  it('does nothing on a partition: the active monitor is fresh and up although its host does not answer', () => {
    expect(decide(input({ host: 'unreachable' }))).toMatchObject({ action: 'none', code: 'active-ok' });
  });

  it('without a peer view keeps the backstop rule: a heartbeat older than heartbeatStaleSeconds is an outage', () => {
    expect(decide(input({ heartbeatAgeMs: 1600 }))).toMatchObject({ action: 'none' });
    expect(decide(input({ heartbeatAgeMs: 11_000 }))).toMatchObject({ action: 'failover' });
  });
});

describe('PeerWatch', () => {
  it("counts the peer host's answers and reads the peer heartbeat's age from the store", async () => {
    const clock = new ManualClock();
    const store = new SqliteStore({ path: ':memory:', clock });
    const site = testTopology().sites[0]!;
    const answers = [true, false, false, false];
    const watch = new PeerWatch({
      site,
      peerTunnel: 'primary',
      host: '10.99.2.10',
      prober: async () => ({ target: 'icmp:10.99.2.10', ok: answers.shift() ?? false, rttMs: null }),
      store,
      clock,
      log: silentLogger(),
    });
    const beat: Partial<Heartbeat> = { health: 'up', at: new Date(clock.now()).toISOString() };
    await store.put(HEARTBEAT_NS, heartbeatKey(site.name, 'primary'), beat, 60_000);
    expect((await watch.observe()).verdict).toBe('alive');
    clock.advance(500);
    await watch.observe();
    clock.advance(500);
    await watch.observe();
    clock.advance(500);
    // Third failed probe with the heartbeat 1.5 s old: the host is unreachable but its monitor is not silent
    // (this site probes every 1 s: silent after 3 s), so a partition, not a dead host.
    expect(await watch.observe()).toMatchObject({ verdict: 'partition', view: { failCount: 3 } });
    clock.advance(2000);
    expect(await watch.observe()).toMatchObject({ verdict: 'host-dead', heartbeatAgeMs: 3500 });
    await store.close();
  });
});

describe('FastPathReporter', () => {
  const round = (over: Partial<ProbeRound> = {}): ProbeRound => ({
    site: 'dc1',
    tunnel: 'secondary',
    at: 0,
    results: [],
    lossPct: 0,
    latencyMs: 1,
    state: { health: 'up', since: 0, riseCount: 9, fallCount: 0, reason: '' },
    ...over,
  });
  const peer = (
    verdict: 'alive' | 'host-dead' | 'monitor-silent' | 'partition',
    health: 'up' | 'down' | null = 'up',
  ) => ({
    view: { tunnel: 'primary', failCount: 3, okCount: 0, at: '' },
    heartbeatAgeMs: 2000,
    verdict,
    health,
  });

  it('evaluates once when the peer verdict turns to host-dead, without holding the probe loop', async () => {
    const clock = new ManualClock();
    const triggers: ControllerTrigger[] = [];
    let release!: () => void;
    const controller = {
      evaluate: (_site: string, t: ControllerTrigger) => {
        triggers.push(t);
        return new Promise<void>((r) => {
          release = r;
        });
      },
    };
    const fast = new FastPathReporter({ controller, clock, log: silentLogger() });
    await fast.round(round({ peer: peer('partition') }));
    expect(triggers).toEqual([]);
    // The evaluation hangs (a slow store or Slack): round() still returns at once.
    await fast.round(round({ peer: peer('host-dead') }));
    expect(triggers).toEqual([{ kind: 'peer', tunnel: 'primary', verdict: 'host-dead' }]);
    clock.advance(1000);
    await fast.round(round({ peer: peer('host-dead') }));
    expect(triggers).toHaveLength(1);
    release();
    await fast.flush();
    // Still dead 5 s later (say the first run was refused): it evaluates again.
    clock.advance(5000);
    await fast.round(round({ peer: peer('host-dead') }));
    expect(triggers).toHaveLength(2);
    release();
    await fast.flush();
  });

  it('backs off its retries while the controller decides nothing, and resets once it acts', async () => {
    const clock = new ManualClock();
    const triggers: number[] = [];
    let action = 'none';
    let code = 'active-up';
    const controller = {
      evaluate: async () => {
        triggers.push(clock.now());
        return { decision: { action, code } };
      },
    };
    const fast = new FastPathReporter({ controller, clock, log: silentLogger() });
    const t0 = clock.now();
    // The dead peer is the standby: every evaluation says "nothing to do"; round every 500 ms for 80 s.
    for (let i = 0; i < 160; i++) {
      await fast.round(round({ peer: peer('host-dead') }));
      await fast.flush();
      clock.advance(500);
    }
    expect(triggers.map((t) => t - t0)).toEqual([0, 10_000, 30_000, 70_000]);
    // Another process's run in progress (which this side finishes if that process dies) keeps the 5 s retry,
    // and so does a decision to act (say a run refused: someone else held the lease).
    code = 'run-in-progress';
    triggers.length = 0;
    for (let i = 0; i < 200 && triggers.length < 3; i++) {
      await fast.round(round({ peer: peer('host-dead') }));
      await fast.flush();
      clock.advance(500);
    }
    expect(triggers[2]! - triggers[1]!).toBe(5000);
    action = 'failover';
    code = 'failover';
    triggers.length = 0;
    for (let i = 0; i < 40 && triggers.length < 3; i++) {
      await fast.round(round({ peer: peer('host-dead') }));
      await fast.flush();
      clock.advance(500);
    }
    expect(triggers[2]! - triggers[1]!).toBe(5000);
  });

  it("hands the monitor's own health changes to the controller", async () => {
    const triggers: ControllerTrigger[] = [];
    const controller = { evaluate: async (_s: string, t: ControllerTrigger) => void triggers.push(t) };
    const fast = new FastPathReporter({ controller, clock: new ManualClock(), log: silentLogger() });
    const r = round({ state: { health: 'down', since: 0, riseCount: 0, fallCount: 3, reason: 'x' } });
    await fast.changed({
      site: 'dc1',
      tunnel: 'primary',
      from: 'up',
      to: 'down',
      at: 0,
      reason: 'x',
      round: r,
    });
    await fast.flush();
    expect(triggers).toEqual([{ kind: 'health-changed', tunnel: 'primary', health: 'down', reason: 'x' }]);
  });

  it('evaluates once when the live peer reports its own tunnel down, so this side can follow its run', async () => {
    const triggers: ControllerTrigger[] = [];
    const controller = { evaluate: async (_s: string, t: ControllerTrigger) => void triggers.push(t) };
    const fast = new FastPathReporter({ controller, clock: new ManualClock(), log: silentLogger() });
    await fast.round(round({ peer: peer('alive', 'up') }));
    await fast.round(round({ peer: peer('alive', 'down') }));
    await fast.flush();
    await fast.round(round({ peer: peer('alive', 'down') }));
    await fast.flush();
    expect(triggers).toEqual([
      {
        kind: 'health-changed',
        tunnel: 'primary',
        health: 'down',
        reason: 'reported down in its monitor heartbeat',
      },
    ]);
    // Up again and down again: a new trigger. An unreadable heartbeat (null) is not "down".
    await fast.round(round({ peer: peer('alive', 'up') }));
    await fast.round(round({ peer: peer('alive', null) }));
    await fast.round(round({ peer: peer('alive', 'down') }));
    await fast.flush();
    expect(triggers).toHaveLength(2);
  });

  // The failure: the stopping peer's monitor went quiet while it finished its last round (a loaded host), so this
  // side already called it silent; its goodbye then landed and was read more than `fall` rounds old. The verdict
  // stays "monitor-silent" (no change, no trigger) and "down" only counted on a live heartbeat: nothing evaluated
  // until a retry or the backstop's minute.
  it("evaluates when it first reads the peer's goodbye, even one too old for the peer to look alive", async () => {
    const triggers: ControllerTrigger[] = [];
    const controller = { evaluate: async (_s: string, t: ControllerTrigger) => void triggers.push(t) };
    const fast = new FastPathReporter({ controller, clock: new ManualClock(), log: silentLogger() });
    await fast.round(round({ peer: peer('alive', 'up') }));
    await fast.round(round({ peer: peer('monitor-silent', 'up') }));
    await fast.flush();
    expect(triggers).toEqual([{ kind: 'peer', tunnel: 'primary', verdict: 'monitor-silent' }]);
    const goodbye = { ...peer('monitor-silent', 'down'), goodbye: true as const };
    await fast.round(round({ peer: goodbye }));
    await fast.flush();
    await fast.round(round({ peer: goodbye }));
    await fast.flush();
    expect(triggers).toEqual([
      { kind: 'peer', tunnel: 'primary', verdict: 'monitor-silent' },
      {
        kind: 'health-changed',
        tunnel: 'primary',
        health: 'down',
        reason: 'reported down in its monitor heartbeat',
      },
    ]);
  });
});

describe("PeerWatch and the peer's goodbye", () => {
  it('passes on that the heartbeat it read is a goodbye', async () => {
    const clock = new ManualClock();
    const store = new SqliteStore({ path: ':memory:', clock });
    const site = testTopology().sites[0]!;
    const watch = new PeerWatch({
      site,
      peerTunnel: 'primary',
      host: '10.99.2.10',
      prober: async () => ({ target: 'icmp:10.99.2.10', ok: true, rttMs: 1 }),
      store,
      clock,
      log: silentLogger(),
    });
    const at = new Date(clock.now()).toISOString();
    await store.put(HEARTBEAT_NS, heartbeatKey(site.name, 'primary'), { health: 'up', at }, 60_000);
    expect(await watch.observe()).not.toHaveProperty('goodbye');
    await store.put(
      HEARTBEAT_NS,
      heartbeatKey(site.name, 'primary'),
      { health: 'down', at, goodbye: true },
      60_000,
    );
    clock.advance(12_000);
    expect(await watch.observe()).toMatchObject({
      verdict: 'monitor-silent',
      health: 'down',
      goodbye: true,
    });
    await store.close();
  });
});
