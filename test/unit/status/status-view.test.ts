import { describe, expect, it } from '@jest/globals';
import { FLEET_VIEW_SITES } from '../../../src/domain/fleet-summary.js';
import { ok, unknown } from '../../../src/domain/outcome.js';
import type { SiteStatus, StatusReport, TunnelStatus } from '../../../src/domain/status.js';
import { MAX_BLOCKS, statusMessage, unknownSiteMessage } from '../../../src/slack/views/status-view.js';

type Block = { type: string; text?: { type: string; text: string }; fields?: Array<{ text: string }> };

const tunnel = (name: string, over: Partial<TunnelStatus> = {}): TunnelStatus => ({
  name,
  active: name === 'primary',
  health: 'healthy',
  healthReason: 'probes 0.1% loss, 20 ms',
  probe: ok({ lossPct: 0.1, latencyMs: 20, recentLossPct: 0, samples: 300 }),
  task: ok({ desired: 1, running: 1, pending: 0, deploying: false }),
  instance: ok({ instanceId: 'i-0abc12345def67890', state: 'running' }),
  alarms: ok([]),
  ...over,
});

const site = (name: string, over: Partial<SiteStatus> = {}): SiteStatus => ({
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
  tunnels: [tunnel('primary'), tunnel('secondary')],
  lastFailover: null,
  ...over,
});

/** Asserts Slack's limits on a message: 50 blocks, 3000 chars per section text, 2000 per field, 150 per header. */
function expectWithinSlackLimits(blocks: Block[]): void {
  expect(blocks.length).toBeLessThanOrEqual(MAX_BLOCKS);
  for (const b of blocks) {
    if (b.type === 'header') expect(b.text!.text.length).toBeLessThanOrEqual(150);
    if (b.type === 'section') {
      expect(b.text!.text.length).toBeLessThanOrEqual(3000);
      expect((b.fields ?? []).length).toBeLessThanOrEqual(10);
      for (const f of b.fields ?? []) expect(f.text.length).toBeLessThanOrEqual(2000);
    }
  }
}

describe('status view', () => {
  it('shows one site in detail: active tunnel, per-tunnel health, probes, task, instance, alarms, last failover', () => {
    const report: StatusReport = {
      generatedAt: 'now',
      sites: [
        site('dc1', {
          tunnels: [
            tunnel('primary'),
            tunnel('secondary', {
              health: 'down',
              healthReason: 'every probe lost in the last minute',
              alarms: ok([
                {
                  name: 'tunnelops-dc1-secondary-down',
                  state: 'ALARM',
                  reason: 'x',
                  since: '2026-11-25T11:59:00Z',
                },
              ]),
              task: unknown('access denied (AccessDeniedException)'),
            }),
          ],
        }),
      ],
    };
    const { text, blocks } = statusMessage(report);
    const all = JSON.stringify(blocks);
    expect((blocks[0] as Block).text?.text).toBe('VPN status: dc1 (us-east-1)');
    expect(all).toContain('*Active tunnel:* *primary*');
    expect(all).toContain(':large_green_circle: *primary* (active): healthy');
    expect(all).toContain(':red_circle: *secondary*: down, every probe lost in the last minute');
    expect(all).toContain('loss 0.1% (last min 0.0%), 20 ms, 300 samples');
    expect(all).toContain('unknown, because access denied (AccessDeniedException)');
    expect(all).toContain(':rotating_light: tunnelops-dc1-secondary-down since 2026-11-25T11:59:00Z');
    expect(all).toContain('No failover on record.');
    expect(text).toContain('dc1: active primary; primary healthy');
    expectWithinSlackLimits(blocks as Block[]);
  });

  it('warns when route tables disagree', () => {
    const s = site('dc1', {
      activeTunnel: null,
      disagreements: [
        {
          routeTableId: 'rtb-1',
          cidr: '10.20.0.0/16',
          problem: 'blackhole',
          tunnel: 'primary',
          target: 'eni-1',
        },
        { routeTableId: 'rtb-2', cidr: '10.20.0.0/16', problem: 'missing', tunnel: null, target: null },
      ],
    });
    const all = JSON.stringify(statusMessage({ generatedAt: 'now', sites: [s] }).blocks);
    expect(all).toContain(':warning: the route tables do not agree on a tunnel');
    expect(all).toContain('rtb-1 10.20.0.0/16: blackhole');
    expect(all).toContain('rtb-2 10.20.0.0/16: no route');
  });

  it('lists every site of a small fleet (up to 10) on its own line, within 50 blocks and 3000 chars a section', () => {
    const long = `probe loss 40.0% over 5 min; ${'x'.repeat(4000)}`;
    const sites = Array.from({ length: FLEET_VIEW_SITES }, (_, i) =>
      site(`site-${i}`, {
        tunnels: [
          tunnel('primary', { health: i % 3 ? 'healthy' : 'degraded', healthReason: long }),
          tunnel('secondary', { health: 'down', healthReason: long }),
        ],
      }),
    );
    const { text, blocks } = statusMessage({ generatedAt: 'now', sites });
    expectWithinSlackLimits(blocks as Block[]);
    expect((blocks[0] as Block).text?.text).toBe(`VPN status: ${FLEET_VIEW_SITES} sites`);
    const body = (blocks as Block[]).map((b) => b.text?.text ?? '').join('\n');
    for (const s of sites) expect(body).toContain(`*${s.name}*`);
    expect(body.indexOf(':large_yellow_circle: *site-0*')).toBeLessThan(
      body.indexOf(':large_green_circle: *site-1*'),
    );
    expect(JSON.stringify(blocks)).toContain('/vpn status <site>');
    expect(text.length).toBeLessThanOrEqual(3000);
  });

  it('escapes text from AWS so it cannot mention or link', () => {
    const s = site('dc1', {
      tunnels: [
        tunnel('primary', {
          task: unknown('denied <!channel> & <https://x|y>'),
          healthReason: 'monitor reports down: <!here>',
        }),
        tunnel('secondary'),
      ],
    });
    const { text, blocks } = statusMessage({ generatedAt: 'now', sites: [s] });
    expect(JSON.stringify(blocks)).toContain('denied &lt;!channel&gt; &amp; &lt;https://x|y&gt;');
    expect(JSON.stringify(blocks)).not.toContain('<!channel>');
    expect(text).toContain('monitor reports down: &lt;!here&gt;');
  });

  it('names the known sites for an unknown one', () => {
    expect(unknownSiteMessage('dc9', ['dc1', 'dc2']).text).toBe(
      'Unknown site "dc9". Known sites: `dc1`, `dc2`',
    );
  });
});
