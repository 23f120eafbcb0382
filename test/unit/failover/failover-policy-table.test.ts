import { describe, expect, it } from '@jest/globals';
import type { FailoverMode } from '../../../src/config/topology-schema.js';
import { decide, type PolicyInput } from '../../../src/domain/failover-policy.js';
import type { MonitorHealth, TaskCondition } from '../../../src/domain/tunnel-fitness.js';

/**
 * The decision table: every combination of active/standby monitor health, heartbeat age and task state,
 * cooldown, the hourly cap and the mode, for either tunnel being active. Each row is checked against the
 * rules as the issue states them (written out below, separately from the implementation).
 */
type Beat = 'fresh' | 'stale' | 'missing';
const HEALTHS: MonitorHealth[] = ['up', 'down', 'unknown'];
const BEATS: Beat[] = ['fresh', 'stale', 'missing'];
const TASKS: TaskCondition[] = ['running', 'deploying', 'replacing', 'stopped', 'unknown'];
const MODES: FailoverMode[] = ['auto', 'propose', 'manual'];
const STALE_S = 10;
const ageOf = (b: Beat): number | null => (b === 'fresh' ? 2_000 : b === 'stale' ? 45_000 : null);

interface Row {
  active: 'primary' | 'secondary';
  aHealth: MonitorHealth;
  aBeat: Beat;
  aTask: TaskCondition;
  sHealth: MonitorHealth;
  sBeat: Beat;
  sTask: TaskCondition;
  cooling: boolean;
  capReached: boolean;
  mode: FailoverMode;
}

function* rows(): Generator<Row> {
  for (const active of ['primary', 'secondary'] as const)
    for (const aHealth of HEALTHS)
      for (const aBeat of BEATS)
        for (const aTask of TASKS)
          for (const sHealth of HEALTHS)
            for (const sBeat of BEATS)
              for (const sTask of TASKS)
                for (const cooling of [false, true])
                  for (const capReached of [false, true])
                    for (const mode of MODES)
                      yield {
                        active,
                        aHealth,
                        aBeat,
                        aTask,
                        sHealth,
                        sBeat,
                        sTask,
                        cooling,
                        capReached,
                        mode,
                      };
}

function inputOf(r: Row): PolicyInput {
  const standby = r.active === 'primary' ? 'secondary' : 'primary';
  const a = {
    name: r.active,
    health: r.aHealth,
    riseCount: 0,
    fallCount: r.aHealth === 'down' ? 3 : 0,
    heartbeatAgeMs: ageOf(r.aBeat),
    task: r.aTask,
  };
  const s = {
    name: standby,
    health: r.sHealth,
    riseCount: r.sHealth === 'up' ? 7 : 0,
    fallCount: 0,
    heartbeatAgeMs: ageOf(r.sBeat),
    task: r.sTask,
  };
  return {
    site: 'dc1',
    active: r.active,
    // Tunnel order in the topology never matters.
    tunnels: r.active === 'primary' ? [a, s] : [s, a],
    settings: {
      mode: r.mode,
      rise: 5,
      fall: 3,
      probeIntervalSeconds: 1,
      cooldownSeconds: 300,
      maxAutomaticPerHour: 3,
      heartbeatStaleSeconds: STALE_S,
    },
    sinceLastFailoverMs: r.cooling ? 60_000 : 3_600_000,
    automaticLastHour: r.capReached ? 3 : 1,
  };
}

/** The rules in the issue's words. */
function expected(r: Row): { action: string; to?: string } {
  const standby = r.active === 'primary' ? 'secondary' : 'primary';
  // "a planned deploy (a replacement task starting) is not a failure by itself"
  const plannedDeploy = r.aTask === 'deploying' || r.aTask === 'replacing';
  // "down: fall threshold reached" — only a live monitor can say so
  const monitorSaysDown = r.aBeat === 'fresh' && r.aHealth === 'down';
  // "or its task stopped with no replacement coming up"
  const taskGone = r.aTask === 'stopped';
  // "or its heartbeat is stale" — a monitor that never reported at all is no evidence either way
  const silent = r.aBeat === 'stale';
  const activeDown = monitorSaysDown || (!plannedDeploy && (taskGone || silent));
  if (!activeDown) return { action: 'none' };
  // "AND the standby is healthy (rise threshold)": a live monitor says up, and its task is not gone
  const standbyHealthy = r.sBeat === 'fresh' && r.sHealth === 'up' && r.sTask !== 'stopped';
  // "both tunnels down: change nothing, alert loudly"
  if (!standbyHealthy) return { action: 'alert' };
  // "AND the cooldown has passed AND fewer than N automatic failovers in the last hour"
  if (r.cooling || r.capReached) return { action: 'alert', to: standby };
  // "mode auto executes, propose posts an approval request, manual only alerts"
  const byMode = { auto: 'failover', propose: 'propose', manual: 'alert' } as const;
  return { action: byMode[r.mode], to: standby };
}

describe('failover policy decision table', () => {
  it('decides every combination as the rules say', () => {
    let count = 0;
    const mismatches: string[] = [];
    const seen = new Set<string>();
    for (const r of rows()) {
      count++;
      const d = decide(inputOf(r));
      const want = expected(r);
      seen.add(d.action);
      const got = { action: d.action, ...(d.to === undefined ? {} : { to: d.to }) };
      if (JSON.stringify(got) !== JSON.stringify(want))
        mismatches.push(`${JSON.stringify(r)} -> ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      // Whatever the row: never onto the active tunnel, never onto a tunnel not known to be healthy.
      const moves = d.action === 'failover' || d.action === 'propose';
      if (moves && (d.to === r.active || r.sHealth !== 'up' || r.sBeat !== 'fresh'))
        mismatches.push(`unsafe: ${JSON.stringify(r)}`);
      if (d.reason.length < 10) mismatches.push(`no reason: ${JSON.stringify(r)}`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(count).toBe(2 * 3 * 3 * 5 * 3 * 3 * 5 * 2 * 2 * 3);
    expect([...seen].sort()).toEqual(['alert', 'failover', 'none', 'propose']);
  });

  it('names the rule that decided, and says why it did nothing', () => {
    const base: Row = {
      active: 'primary',
      aHealth: 'up',
      aBeat: 'fresh',
      aTask: 'running',
      sHealth: 'up',
      sBeat: 'fresh',
      sTask: 'running',
      cooling: false,
      capReached: false,
      mode: 'auto',
    };
    const d = (patch: Partial<Row>) => decide(inputOf({ ...base, ...patch }));
    expect(d({})).toMatchObject({ action: 'none', code: 'active-ok' });
    expect(d({}).reason).toMatch(/^did nothing: active tunnel primary is not down/);
    expect(d({ aBeat: 'stale', aTask: 'deploying' })).toMatchObject({
      action: 'none',
      code: 'planned-deploy',
    });
    expect(d({ aHealth: 'down', sHealth: 'down' })).toMatchObject({ action: 'alert', code: 'both-down' });
    expect(d({ aHealth: 'down', sHealth: 'down' }).reason).toMatch(
      /BOTH tunnels of dc1 are down.*Changed nothing/,
    );
    expect(d({ aHealth: 'down', cooling: true })).toMatchObject({ code: 'cooldown', to: 'secondary' });
    expect(d({ aHealth: 'down', capReached: true })).toMatchObject({ code: 'hourly-cap' });
    expect(d({ aTask: 'stopped' }).reason).toMatch(/task of primary stopped/);
    expect(d({ aBeat: 'stale' }).reason).toMatch(
      /primary monitor's heartbeat is 45 s old \(stale after 10 s\)/,
    );
    expect(d({ aBeat: 'missing' })).toMatchObject({ action: 'none', code: 'active-ok' });
    expect(d({ aHealth: 'down', mode: 'manual' }).reason).toMatch(/\/vpn failover dc1 --to secondary/);
    expect(d({ aHealth: 'down' }).evidence).toMatchObject({
      active: 'primary',
      activeDown: expect.stringMatching(/monitor reports primary down/),
    });
  });

  it('does not act on route tables it cannot read, and alerts when they disagree', () => {
    const input = inputOf({
      active: 'primary',
      aHealth: 'down',
      aBeat: 'fresh',
      aTask: 'running',
      sHealth: 'up',
      sBeat: 'fresh',
      sTask: 'running',
      cooling: false,
      capReached: false,
      mode: 'auto',
    });
    expect(
      decide({
        ...input,
        active: null,
        routesProblem: 'cannot read the route tables: AWS throttled the call',
        routesUnreadable: true,
      }),
    ).toMatchObject({ action: 'none', code: 'routes-unreadable' });
    expect(
      decide({ ...input, active: null, routesProblem: 'rtb-1 10.20.0.0/16 -> secondary' }),
    ).toMatchObject({ action: 'alert', code: 'routes-disagree' });
  });
});

// The failure: the active server stops and its monitor says goodbye (a "down" heartbeat), but the peer's monitor
// or the backstop reads it seconds late (a loaded machine, the reconcile minute) while the stopped server's host
// still answers. That used to read as a silent monitor: "taken to carry traffic, no failover".
describe("a stopping server's goodbye, read late", () => {
  const settings = {
    mode: 'auto' as const,
    rise: 5,
    fall: 3,
    probeIntervalSeconds: 0.5,
    cooldownSeconds: 0,
    maxAutomaticPerHour: 10,
    heartbeatStaleSeconds: STALE_S,
  };
  const goodbye = (ageMs: number, mark = true) => ({
    name: 'primary',
    health: 'down' as const,
    riseCount: 0,
    fallCount: 0,
    heartbeatAgeMs: ageMs,
    task: 'unknown' as const,
    host: 'reachable' as const,
    ...(mark ? { goodbye: true } : {}),
  });
  const secondary = (certFault?: string) => ({
    name: 'secondary',
    health: 'up' as const,
    riseCount: 9,
    fallCount: 0,
    heartbeatAgeMs: 300,
    task: 'unknown' as const,
    host: 'reachable' as const,
    ...(certFault ? { certFault } : {}),
  });
  const input = (ageMs: number, certFault?: string, mark = true): PolicyInput => ({
    site: 'dc1',
    active: 'primary',
    tunnels: [goodbye(ageMs, mark), secondary(certFault)],
    settings,
    sinceLastFailoverMs: null,
    automaticLastHour: 0,
  });

  it.each([2_000, 12_000, 600_000])('read %i ms after it: down, and a fit standby takes traffic', (age) => {
    const d = decide(input(age));
    expect(d).toMatchObject({ action: 'failover', code: 'failover', to: 'secondary' });
    expect(d.reason).toContain('the monitor reports primary down (its server is stopping: goodbye');
  });

  it('with an unfit standby: an alert naming its reason, no failover', () => {
    const d = decide(input(12_000, 'certificate expired 2026-12-05 10:00 UTC (dc1-secondary-server)'));
    expect(d).toMatchObject({ action: 'alert', code: 'both-down' });
    expect(d.reason).toContain('secondary is unfit: certificate expired 2026-12-05 10:00 UTC');
  });

  it('a down heartbeat without the goodbye mark (older records, a monitor gone quiet) keeps the silent-monitor rule', () => {
    expect(decide(input(2_000, undefined, false))).toMatchObject({ action: 'failover' });
    expect(decide(input(12_000, undefined, false))).toMatchObject({
      action: 'alert',
      code: 'monitor-silent',
    });
  });
});
