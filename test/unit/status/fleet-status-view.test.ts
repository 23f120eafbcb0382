import { describe, expect, it } from '@jest/globals';
import { FLEET_VIEW_SITES, summarizeFleet } from '../../../src/domain/fleet-summary.js';
import { ok, unknown } from '../../../src/domain/outcome.js';
import type { PendingRequest } from '../../../src/domain/pending.js';
import type { SiteStatus, TunnelStatus } from '../../../src/domain/status.js';
import { withPending } from '../../../src/slack/views/pending-view.js';
import { statusMessage } from '../../../src/slack/views/status-view.js';

type Block = {
  type: string;
  text?: { type: string; text: string };
  fields?: Array<{ text: string }>;
  elements?: Array<{ text: string }>;
};

const AZ = ['us-east-1a', 'us-east-1b'] as const;

const tunnel = (name: string, az: string, over: Partial<TunnelStatus> = {}): TunnelStatus => ({
  name,
  availabilityZone: az,
  active: name === 'primary',
  health: 'healthy',
  healthReason: 'probes 0.1% loss, 20 ms',
  probe: ok({ lossPct: 0.1, latencyMs: 20, recentLossPct: 0, samples: 300 }),
  task: ok({ desired: 1, running: 1, pending: 0, deploying: false }),
  instance: ok({ instanceId: 'i-0abc12345def67890', state: 'running' }),
  alarms: ok([]),
  ...over,
});

/** Site n of a fleet: primaries alternate between the two AZs, as `-c primaryPlacement=alternate` places them. */
function fleetSite(
  n: number,
  over: { primary?: Partial<TunnelStatus>; secondary?: Partial<TunnelStatus> } = {},
): SiteStatus {
  const name = `site${String(n).padStart(3, '0')}`;
  const primaryAz = AZ[n % 2]!;
  const secondaryAz = AZ[(n + 1) % 2]!;
  return {
    name,
    region: 'us-east-1',
    activeTunnel: 'primary',
    routes: ok([
      {
        routeTableId: 'rtb-1',
        cidr: '10.20.0.0/16',
        tunnel: 'primary',
        target: 'eni-1',
        blackhole: false,
        missing: false,
      },
    ]),
    disagreements: [],
    tunnels: [tunnel('primary', primaryAz, over.primary), tunnel('secondary', secondaryAz, over.secondary)],
    lastFailover: null,
  };
}

/** Slack's limits: 50 blocks, 3000 chars a section or context text, 2000 a field, 150 a header; text fallback 3000 (ours). */
function expectWithinSlackLimits(msg: { text: string; blocks: readonly unknown[] }): void {
  const blocks = msg.blocks as Block[];
  expect(blocks.length).toBeLessThanOrEqual(50);
  for (const b of blocks) {
    if (b.type === 'header') expect(b.text!.text.length).toBeLessThanOrEqual(150);
    if (b.type === 'section') {
      expect(b.text!.text.length).toBeLessThanOrEqual(3000);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
    }
    for (const e of b.elements ?? []) expect(e.text.length).toBeLessThanOrEqual(3000);
  }
  expect(msg.text.length).toBeLessThanOrEqual(3000);
}

const body = (blocks: readonly unknown[]) =>
  (blocks as Block[]).map((b) => b.text?.text ?? b.elements?.map((e) => e.text).join(' ') ?? '').join('\n');

describe('/vpn status for a fleet', () => {
  it('answers 500 healthy sites with counts and actives per AZ, listing no site', () => {
    const sites = Array.from({ length: 500 }, (_, i) => fleetSite(i + 1));
    const msg = statusMessage({ generatedAt: 'now', sites });
    expectWithinSlackLimits(msg);
    const shown = body(msg.blocks);
    expect(shown).toContain('VPN status: 500 sites');
    expect(shown).toContain(':large_green_circle: 500 healthy');
    expect(shown).toContain('*Active tunnels per AZ:* us-east-1a: 250 · us-east-1b: 250');
    expect(shown).toContain('No site needs attention.');
    expect(shown).not.toMatch(/\*site\d{3}\*/);
    expect(shown).toContain('`/vpn status <site>`');
    expect(msg.blocks.length).toBeLessThanOrEqual(5);
  });

  it('lists only the sites needing attention, most urgent first, and counts the rest', () => {
    const sites = Array.from({ length: 500 }, (_, i) => fleetSite(i + 1));
    sites[41] = fleetSite(42, { primary: { health: 'down', healthReason: 'monitor reports down' } });
    sites[6] = fleetSite(7, { secondary: { health: 'down', healthReason: 'task stopped' } });
    sites[299] = { ...fleetSite(300), routes: unknown('DescribeRouteTables: throttled'), activeTunnel: null };
    const msg = statusMessage({ generatedAt: 'now', sites });
    expectWithinSlackLimits(msg);
    const shown = body(msg.blocks);
    expect(shown).toContain(':red_circle: 1 down');
    expect(shown).toContain(':white_circle: 1 unknown');
    expect(shown).toContain(':large_green_circle: 498 healthy');
    expect(shown).toContain('*Needs attention (3):*');
    expect(shown.indexOf('*site042*')).toBeLessThan(shown.indexOf('*site300*'));
    expect(shown.indexOf('*site300*')).toBeLessThan(shown.indexOf('*site007*'));
    expect(shown).toContain('standby secondary down: task stopped');
    expect((shown.match(/\*site\d{3}\*/g) ?? []).length).toBe(3);
    expect(msg.text).toContain('Needs attention (3): site042');
  });

  it('fits an AZ outage across 250 of 500 sites, saying how many it left out', () => {
    const sites = Array.from({ length: 500 }, (_, i) =>
      (i + 1) % 2 === 1
        ? fleetSite(i + 1, {
            primary: {
              health: 'down',
              healthReason: `monitor reports down: probes 100% loss ${'x'.repeat(300)}`,
            },
          })
        : fleetSite(i + 1),
    );
    const msg = withPending(statusMessage({ generatedAt: 'now', sites }), new Map());
    expectWithinSlackLimits(msg);
    const shown = body(msg.blocks);
    expect(shown).toContain(':red_circle: 250 down');
    expect(shown).toContain('*Needs attention (250):*');
    const listed = (shown.match(/\*site\d{3}\*/g) ?? []).length;
    expect(listed).toBeGreaterThan(10);
    expect(Number(/…and (\d+) more needing attention/.exec(shown)?.[1])).toBe(250 - listed);
  });

  it('keeps the text fallback within 3000 chars with many open requests', () => {
    const sites = Array.from({ length: 500 }, (_, i) => fleetSite(i + 1));
    const pending = new Map<string, PendingRequest[]>(
      sites.map((s) => [
        s.name,
        [
          {
            id: `req-${s.name}`,
            action: 'failover',
            site: s.name,
            to: 'secondary',
            requester: 'U0123',
            reason: 'x'.repeat(150),
            createdAt: '2026-12-07T14:00:00.000Z',
            state: 'pending',
            expiresAt: '2026-12-07T15:00:00.000Z',
          },
        ],
      ]),
    );
    expectWithinSlackLimits(withPending(statusMessage({ generatedAt: 'now', sites }), pending));
  });

  it(`keeps one line per site up to ${FLEET_VIEW_SITES} sites, the fleet view past that`, () => {
    const few = Array.from({ length: FLEET_VIEW_SITES }, (_, i) => fleetSite(i + 1));
    expect(
      (body(statusMessage({ generatedAt: 'now', sites: few }).blocks).match(/\*site\d{3}\*/g) ?? []).length,
    ).toBe(FLEET_VIEW_SITES);
    const more = Array.from({ length: FLEET_VIEW_SITES + 1 }, (_, i) => fleetSite(i + 1));
    expect(body(statusMessage({ generatedAt: 'now', sites: more }).blocks)).toContain(
      'No site needs attention.',
    );
  });

  it('escapes reasons from AWS in the fleet view', () => {
    const sites = Array.from({ length: 20 }, (_, i) =>
      fleetSite(
        i + 1,
        i === 3 ? { primary: { health: 'down', healthReason: 'denied <!channel> & <https://x|y>' } } : {},
      ),
    );
    const msg = statusMessage({ generatedAt: 'now', sites });
    expect(JSON.stringify(msg)).toContain('denied &lt;!channel&gt; &amp; &lt;https://x|y&gt;');
    expect(JSON.stringify(msg)).not.toContain('<!channel>');
  });

  it('counts tunnels without an AZ in tunnels.yml apart', () => {
    const site = fleetSite(1);
    const noAz = { ...site, tunnels: site.tunnels.map(({ availabilityZone: _, ...t }) => t) };
    expect(summarizeFleet([noAz, fleetSite(2)]).activesByAz).toEqual([
      { az: 'us-east-1a', sites: 1 },
      { az: null, sites: 1 },
    ]);
  });
});
