import { describe, expect, it } from '@jest/globals';
import { asHeartbeat, classifyHealth, type HealthInput } from '../../../src/domain/health.js';
import { ok, unknown } from '../../../src/domain/outcome.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');

function input(overrides: Partial<HealthInput> = {}): HealthInput {
  return {
    probe: ok({ lossPct: 0.2, latencyMs: 21.4, recentLossPct: 0, samples: 300 }),
    task: ok({ desired: 1, running: 1, pending: 0, deploying: false }),
    instance: ok({ instanceId: 'i-0abc12345def67890', state: 'running' }),
    alarms: ok([
      { name: 'tunnelops-dc1-primary-down', state: 'OK', reason: 'fine', since: '2026-11-25T11:00:00Z' },
    ]),
    nowMs: NOW,
    ...overrides,
  };
}

describe('classifyHealth', () => {
  it('is healthy with low loss and latency, and says the figures', () => {
    expect(classifyHealth(input())).toEqual({ health: 'healthy', reason: 'probes 0.2% loss, 21 ms' });
  });

  it('is down when every probe of the last minute was lost, even if the 5-minute loss is low', () => {
    const v = classifyHealth(
      input({ probe: ok({ lossPct: 20, latencyMs: 20, recentLossPct: 100, samples: 300 }) }),
    );
    expect(v.health).toBe('down');
    expect(v.reason).toMatch(/every probe lost/);
  });

  it('is down when no task runs, and gives the last stop reason', () => {
    const v = classifyHealth(
      input({
        task: ok({
          desired: 1,
          running: 0,
          pending: 0,
          deploying: false,
          lastStopReason: 'Essential container exited',
        }),
      }),
    );
    expect(v).toEqual({
      health: 'down',
      reason: 'no ECS task running (1 desired) (last stop: Essential container exited)',
    });
  });

  it('is down when the instance is not running', () => {
    const v = classifyHealth(
      input({ instance: ok({ instanceId: 'i-0abc12345def67890', state: 'stopped' }) }),
    );
    expect(v).toEqual({ health: 'down', reason: 'instance i-0abc12345def67890 is stopped' });
  });

  it('is degraded above 2% loss but not at 2%', () => {
    expect(
      classifyHealth(input({ probe: ok({ lossPct: 2.5, latencyMs: 20, recentLossPct: 0, samples: 300 }) })),
    ).toEqual({
      health: 'degraded',
      reason: 'probe loss 2.5% over 5 min',
    });
    expect(
      classifyHealth(input({ probe: ok({ lossPct: 2, latencyMs: 20, recentLossPct: 0, samples: 300 }) }))
        .health,
    ).toBe('healthy');
  });

  it('is degraded on high latency, with a custom threshold too', () => {
    const probe = ok({ lossPct: 0, latencyMs: 180, recentLossPct: 0, samples: 300 });
    expect(classifyHealth(input({ probe })).reason).toBe('latency 180 ms');
    expect(
      classifyHealth(input({ probe }), { maxLossPct: 2, maxLatencyMs: 250, heartbeatStaleMs: 10_000 }).health,
    ).toBe('healthy');
  });

  it('is degraded while an alarm is in ALARM, naming it', () => {
    const v = classifyHealth(
      input({
        alarms: ok([
          { name: 'dc1-primary-latency', state: 'ALARM', reason: 'x', since: '2026-11-25T11:59:00Z' },
        ]),
      }),
    );
    expect(v).toEqual({ health: 'degraded', reason: 'alarm dc1-primary-latency in ALARM' });
  });

  it('is unknown with no samples, and unknown with the reason when probe stats failed', () => {
    expect(
      classifyHealth(
        input({ probe: ok({ lossPct: null, latencyMs: null, recentLossPct: null, samples: 0 }) }),
      ),
    ).toEqual({
      health: 'unknown',
      reason: 'no probe samples in the last 5 minutes',
    });
    expect(classifyHealth(input({ probe: unknown('AWS throttled the call (Throttling)') }))).toEqual({
      health: 'unknown',
      reason: 'probe stats unknown, because AWS throttled the call (Throttling)',
    });
  });

  it('still finds a down tunnel when the probe stats are unknown', () => {
    const v = classifyHealth(
      input({
        probe: unknown('timeout'),
        instance: ok({ instanceId: 'i-0abc12345def67890', state: 'terminated' }),
      }),
    );
    expect(v.health).toBe('down');
  });

  it('trusts a fresh monitor heartbeat and ignores a stale one', () => {
    const fresh = {
      health: 'down' as const,
      at: new Date(NOW - 2_000).toISOString(),
      reason: '3 probes lost',
    };
    expect(classifyHealth(input({ heartbeat: fresh }))).toEqual({
      health: 'down',
      reason: 'monitor reports down: 3 probes lost',
    });
    const stale = { ...fresh, at: NOW - 60_000 };
    expect(classifyHealth(input({ heartbeat: stale })).health).toBe('healthy');
    const healthyBeat = { health: 'healthy' as const, at: NOW - 1_000 };
    expect(classifyHealth(input({ probe: unknown('timeout'), heartbeat: healthyBeat })).health).toBe(
      'healthy',
    );
  });

  it('reads heartbeat records tolerantly', () => {
    expect(asHeartbeat({ health: 'degraded', at: 5, reason: 'slow', extra: 1 })).toEqual({
      health: 'degraded',
      at: 5,
      reason: 'slow',
    });
    expect(asHeartbeat({ health: 'sideways', at: 5 })).toBeNull();
    expect(asHeartbeat({ health: 'down' })).toBeNull();
    expect(asHeartbeat('down')).toBeNull();
    // The monitor's own record (src/monitor/heartbeat-reporter.ts).
    expect(
      asHeartbeat({
        site: 'dc1',
        tunnel: 'primary',
        health: 'down',
        since: '2026-11-25T11:59:58Z',
        at: '2026-11-25T12:00:00Z',
        lossPct: 100,
        latencyMs: null,
        fallCount: 3,
        riseCount: 0,
      }),
    ).toEqual({
      health: 'down',
      at: '2026-11-25T12:00:00Z',
      reason: 'since 2026-11-25T11:59:58Z, 100% probe loss',
    });
    expect(asHeartbeat({ health: 'up', at: '2026-11-25T12:00:00Z', lossPct: 0 })?.health).toBe('healthy');
  });

  it('says the certificate that stops a tunnel: down with it as the reason, degraded while it still passes traffic', () => {
    const fault = 'certificate expired 2026-12-01 10:00 UTC (dc1-secondary-server)';
    const beat = (health: 'up' | 'down') =>
      asHeartbeat({
        health,
        at: new Date(NOW).toISOString(),
        since: '2026-11-25T11:00:00Z',
        certFault: fault,
      });
    const down = classifyHealth(
      input({
        probe: ok({ lossPct: 20, latencyMs: 20, recentLossPct: 100, samples: 300 }),
        heartbeat: beat('down'),
      }),
    );
    expect(down).toEqual({ health: 'down', reason: `monitor reports down: ${fault}` });
    expect(classifyHealth(input({ heartbeat: beat('up') }))).toEqual({ health: 'degraded', reason: fault });
  });
});
