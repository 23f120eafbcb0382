import { describe, expect, it } from '@jest/globals';
import type { RouteObservation } from '../../../src/domain/observations.js';
import { ok, unknown } from '../../../src/domain/outcome.js';
import {
  deriveActiveTunnel,
  describeDisagreement,
  type StatusReport,
  toStatusJson,
} from '../../../src/domain/status.js';

const route = (
  rtb: string,
  cidr: string,
  tunnel: string | null,
  extra: Partial<RouteObservation> = {},
): RouteObservation => ({
  routeTableId: rtb,
  cidr,
  tunnel,
  target: tunnel ? `eni-${tunnel}` : null,
  blackhole: false,
  missing: false,
  ...extra,
});

describe('deriveActiveTunnel', () => {
  it('agrees when every route points at one tunnel', () => {
    const v = deriveActiveTunnel([
      route('rtb-1', '10.20.0.0/16', 'primary'),
      route('rtb-2', '10.20.0.0/16', 'primary'),
    ]);
    expect(v).toEqual({ activeTunnel: 'primary', agreed: true, disagreements: [] });
  });

  it('takes the majority and lists the routes that point elsewhere', () => {
    const v = deriveActiveTunnel([
      route('rtb-1', '10.20.0.0/16', 'secondary'),
      route('rtb-2', '10.20.0.0/16', 'secondary'),
      route('rtb-3', '10.20.0.0/16', 'primary'),
    ]);
    expect(v.activeTunnel).toBe('secondary');
    expect(v.agreed).toBe(false);
    expect(v.disagreements).toEqual([
      {
        routeTableId: 'rtb-3',
        cidr: '10.20.0.0/16',
        problem: 'other-tunnel',
        tunnel: 'primary',
        target: 'eni-primary',
      },
    ]);
  });

  it('gives no active tunnel on an even split, and flags every route', () => {
    const v = deriveActiveTunnel([
      route('rtb-1', '10.20.0.0/16', 'primary'),
      route('rtb-2', '10.20.0.0/16', 'secondary'),
    ]);
    expect(v.activeTunnel).toBeNull();
    expect(v.disagreements).toHaveLength(2);
  });

  it('does not count blackhole or missing routes as carrying traffic', () => {
    const v = deriveActiveTunnel([
      route('rtb-1', '10.20.0.0/16', 'primary', { blackhole: true }),
      route('rtb-1', '10.21.0.0/16', null, { missing: true }),
      route('rtb-2', '10.20.0.0/16', 'secondary'),
      route('rtb-2', '10.21.0.0/16', null, { target: 'pcx-0123' }),
    ]);
    expect(v.activeTunnel).toBe('secondary');
    expect(v.disagreements.map((d) => d.problem)).toEqual(['blackhole', 'missing', 'unmanaged']);
    expect(v.disagreements.map(describeDisagreement)).toEqual([
      'rtb-1 10.20.0.0/16: blackhole (target eni-primary, was primary)',
      'rtb-1 10.21.0.0/16: no route',
      'rtb-2 10.21.0.0/16: points at pcx-0123, not a tunnel',
    ]);
  });

  it('has no active tunnel when nothing is live', () => {
    expect(
      deriveActiveTunnel([route('rtb-1', '10.20.0.0/16', 'primary', { blackhole: true })]).activeTunnel,
    ).toBeNull();
    expect(deriveActiveTunnel([]).activeTunnel).toBeNull();
  });
});

describe('toStatusJson', () => {
  it('gives values where known and reasons where not', () => {
    const report: StatusReport = {
      generatedAt: '2026-11-25T12:00:00.000Z',
      sites: [
        {
          name: 'dc1',
          region: 'us-east-1',
          activeTunnel: 'primary',
          routes: ok([route('rtb-1', '10.20.0.0/16', 'primary')]),
          disagreements: [],
          lastFailover: null,
          tunnels: [
            {
              name: 'primary',
              active: true,
              health: 'healthy',
              healthReason: 'probes 0.0% loss, 20 ms',
              probe: ok({ lossPct: 0, latencyMs: 20, recentLossPct: 0, samples: 300 }),
              task: unknown('access denied (AccessDeniedException)'),
              instance: ok({ instanceId: 'i-0abc12345def67890', state: 'running' }),
              alarms: ok([]),
            },
          ],
        },
      ],
    };
    const json = toStatusJson(report);
    expect(json.sites[0]).toMatchObject({
      name: 'dc1',
      activeTunnel: 'primary',
      routesAgree: true,
      unknown: {},
    });
    expect(json.sites[0]?.tunnels[0]).toMatchObject({
      name: 'primary',
      health: 'healthy',
      task: null,
      probe: { lossPct: 0 },
      unknown: { task: 'access denied (AccessDeniedException)' },
    });
    // Survives a JSON round trip unchanged (no Maps, no undefined).
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
