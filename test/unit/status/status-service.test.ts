import { describe, expect, it } from '@jest/globals';
import { parseTopology } from '../../../src/config/load-topology.js';
import type { Topology } from '../../../src/config/topology-schema.js';
import { ok } from '../../../src/domain/outcome.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { silentLogger } from '../../../src/log.js';
import { StatusService } from '../../../src/services/status/status-service.js';
import { statusMessage } from '../../../src/slack/views/status-view.js';
import { demoTopology } from '../../helpers/test-app.js';
import { awsError, fakeAccount } from './fake-account.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const clock = { now: () => NOW };

function twoSites(): Topology {
  const base = demoTopology();
  const dc1 = base.sites[0]!;
  return parseTopology(
    JSON.stringify({ sites: [dc1, { ...dc1, name: 'dc2', region: 'eu-west-1' }] }),
    'test',
  );
}

function service(account = fakeAccount().account, topology = demoTopology()) {
  const store = new SqliteStore({ path: ':memory:', clock });
  return { store, status: new StatusService({ topology, account, store, clock, log: silentLogger() }) };
}

describe('StatusService', () => {
  it('reports the active tunnel and health of every tunnel, calling each port once for all sites', async () => {
    const fake = fakeAccount();
    const { status, store } = service(fake.account, twoSites());
    const report = await status.report();
    expect(report.generatedAt).toBe('2026-11-25T12:00:00.000Z');
    expect(report.sites.map((s) => [s.name, s.activeTunnel])).toEqual([
      ['dc1', 'primary'],
      ['dc2', 'primary'],
    ]);
    expect(report.sites[0]?.tunnels.map((t) => [t.name, t.active, t.health])).toEqual([
      ['primary', true, 'healthy'],
      ['secondary', false, 'healthy'],
    ]);
    expect([...fake.calls].sort()).toEqual(['alarms', 'instances', 'probes', 'routes', 'tasks']);
    await store.close();
  });

  it.each([
    ['probes', awsError('ThrottlingException', 'Rate exceeded'), /AWS throttled the call/],
    ['tasks', awsError('AccessDeniedException', 'not allowed'), /access denied/],
    ['instances', awsError('TimeoutError', 'socket hang up'), /timed out/],
  ] as const)('when %s fails, only that part is unknown and the rest renders', async (part, err, reason) => {
    const { status, store } = service(fakeAccount({ [part]: err }).account);
    const site = (await status.report(['dc1'])).sites[0]!;
    expect(site.activeTunnel).toBe('primary');
    const t = site.tunnels[0]!;
    const parts = { probes: t.probe, tasks: t.task, instances: t.instance };
    for (const [name, outcome] of Object.entries(parts)) {
      if (name === part) {
        expect(outcome.ok).toBe(false);
        expect(outcome.ok ? '' : outcome.reason).toMatch(reason);
      } else expect(outcome.ok).toBe(true);
    }
    expect(t.alarms.ok).toBe(true);
    const msg = statusMessage({ generatedAt: 'now', sites: [site] });
    expect(JSON.stringify(msg.blocks)).toMatch(/unknown, because/);
    await store.close();
  });

  it('a port that never answers makes only its part unknown once the call timeout passes', async () => {
    const { account } = fakeAccount();
    const hanging = { ...account, tasks: { ...account.tasks, observe: () => new Promise<never>(() => {}) } };
    const store = new SqliteStore({ path: ':memory:', clock });
    const status = new StatusService({
      topology: demoTopology(),
      account: hanging,
      store,
      clock,
      log: silentLogger(),
      callTimeoutMs: 50,
    });
    const site = (await status.report(['dc1'])).sites[0]!;
    expect(site.activeTunnel).toBe('primary');
    const t = site.tunnels[0]!;
    expect(t.task.ok ? '' : t.task.reason).toBe('ECS tasks: the AWS call timed out');
    expect(t.probe.ok && t.instance.ok && t.alarms.ok).toBe(true);
    await store.close();
  });

  it('keeps health from the other evidence when probe stats fail, and says why it is unknown', async () => {
    const { status, store } = service(
      fakeAccount({ probes: awsError('ThrottlingException', 'Rate exceeded') }).account,
    );
    const t = (await status.report()).sites[0]!.tunnels[0]!;
    expect(t.health).toBe('unknown');
    expect(t.healthReason).toMatch(/^probe stats unknown, because probe metrics: AWS throttled/);
    await store.close();
  });

  it('has no active tunnel, and says why, when the route tables cannot be read', async () => {
    const { status, store } = service(
      fakeAccount({ routes: awsError('UnauthorizedOperation', 'no') }).account,
    );
    const site = (await status.report()).sites[0]!;
    expect(site.activeTunnel).toBeNull();
    expect(site.routes.ok).toBe(false);
    expect(site.tunnels.every((t) => !t.active && t.health === 'healthy')).toBe(true);
    expect(statusMessage({ generatedAt: 'now', sites: [site] }).text).toMatch(
      /active unknown \(route tables: access denied/,
    );
    await store.close();
  });

  it('finds the last completed failover in the audit log and skips other entries', async () => {
    const { status, store } = service();
    const base = { site: 'dc1', actor: 'UAPPROVER1' };
    await store.appendAudit({
      ...base,
      at: '2026-11-25T10:00:00Z',
      action: 'failover',
      event: 'succeeded',
      detail: { from: 'primary', to: 'secondary' },
    });
    await store.appendAudit({
      ...base,
      at: '2026-11-25T11:00:00Z',
      action: 'failover',
      event: 'routes-changed',
      detail: { from: 'secondary', to: 'primary' },
    });
    await store.appendAudit({ ...base, at: '2026-11-25T11:30:00Z', action: 'failover', event: 'requested' });
    await store.appendAudit({ ...base, at: '2026-11-25T11:40:00Z', action: 'redeploy', event: 'succeeded' });
    await store.appendAudit({
      ...base,
      site: 'dc2',
      at: '2026-11-25T11:50:00Z',
      action: 'failover',
      event: 'succeeded',
    });
    const site = (await status.report(['dc1'])).sites[0]!;
    expect(site.lastFailover).toMatchObject({ at: '2026-11-25T11:00:00Z', event: 'routes-changed' });
    expect(JSON.stringify(statusMessage({ generatedAt: 'now', sites: [site] }).blocks)).toMatch(
      /Last failover secondary → primary at 2026-11-25T11:00:00Z by <@UAPPROVER1>/,
    );
    await store.close();
  });

  it('uses a fresh monitor heartbeat from the store', async () => {
    const { status, store } = service();
    await store.put('heartbeat', 'dc1/secondary', {
      health: 'down',
      at: NOW - 1000,
      reason: 'tls handshake failed',
    });
    const t = (await status.report()).sites[0]!.tunnels[1]!;
    expect([t.health, t.healthReason]).toEqual(['down', 'monitor reports down: tls handshake failed']);
    await store.close();
  });

  it("reads the monitor's own heartbeat records, and ignores them once older than the site's heartbeatStaleSeconds", async () => {
    const { status, store } = service();
    const beat = {
      site: 'dc1',
      tunnel: 'primary',
      health: 'down',
      since: '2026-11-25T11:59:50.000Z',
      lossPct: 100,
      latencyMs: null,
      fallCount: 3,
      riseCount: 0,
    };
    await store.put('heartbeat', 'dc1/primary', { ...beat, at: new Date(NOW - 9_000).toISOString() });
    const fresh = (await status.report()).sites[0]!.tunnels[0]!;
    expect([fresh.health, fresh.healthReason]).toEqual([
      'down',
      'monitor reports down: since 2026-11-25T11:59:50.000Z, 100% probe loss',
    ]);
    await store.put('heartbeat', 'dc1/primary', { ...beat, at: new Date(NOW - 11_000).toISOString() });
    expect((await status.report()).sites[0]!.tunnels[0]!.health).toBe('healthy');
    await store.close();
  });

  it('reads a fleet of 500 sites with one heartbeat read and one audit read, not one per site', async () => {
    const dc1 = demoTopology().sites[0]!;
    const fleet = parseTopology(
      JSON.stringify({
        sites: Array.from({ length: 500 }, (_, i) => ({ ...dc1, name: `site${i}` })),
      }),
      'test',
    );
    const { status, store } = service(fakeAccount().account, fleet);
    await store.put('heartbeat', 'site321/secondary', { health: 'down', at: NOW - 1000, reason: 'tls' });
    await store.appendAudit({
      at: '2026-11-25T11:00:00Z',
      site: 'site7',
      action: 'failover',
      actor: 'UAPPROVER1',
      event: 'succeeded',
      detail: { from: 'primary', to: 'secondary' },
    });
    const reads: string[] = [];
    for (const method of ['get', 'list', 'getMany', 'listAudit'] as const) {
      const real = store[method].bind(store) as (...a: unknown[]) => unknown;
      (store as unknown as Record<string, unknown>)[method] = (...a: unknown[]) => {
        reads.push(method);
        return real(...a);
      };
    }
    const report = await status.report();
    expect(reads.sort()).toEqual(['getMany', 'listAudit']);
    expect(report.sites).toHaveLength(500);
    expect(report.sites[321]!.tunnels[1]!.healthReason).toBe('monitor reports down: tls');
    expect(report.sites[7]!.lastFailover).toMatchObject({ site: 'site7', event: 'succeeded' });
    expect(report.sites[8]!.lastFailover).toBeNull();
    await store.close();
  });

  it('rejects unknown site names with not_found', async () => {
    const { status, store } = service();
    await expect(status.report(['nope'])).rejects.toMatchObject({ code: 'not_found' });
    await store.close();
  });

  it('builds the health graph from the probe series and the audit log, and null when the series fail', async () => {
    const fake = fakeAccount();
    const at = NOW - 10 * 60_000;
    fake.account.metrics.probeSeries = async (site) =>
      new Map(site.tunnels.map((t) => [t.name, ok([{ at, lossPct: 0.5, latencyMs: 20 }])]));
    const { status, store } = service(fake.account);
    await store.appendAudit({
      at: new Date(at).toISOString(),
      site: 'dc1',
      action: 'failover',
      actor: 'controller',
      event: 'succeeded',
      detail: { from: 'primary', to: 'secondary' },
    });
    const graph = await status.healthGraph('dc1', 'secondary');
    expect(graph).toMatchObject({
      site: 'dc1',
      activeTunnel: 'secondary',
      startMs: NOW - 3_600_000,
      endMs: NOW,
    });
    expect(graph?.tunnels.map((t) => [t.name, t.points.length])).toEqual([
      ['primary', 1],
      ['secondary', 1],
    ]);
    expect(graph?.failovers).toEqual([
      { at, site: 'dc1', from: 'primary', to: 'secondary', actor: 'controller' },
    ]);
    expect(await status.healthGraph('nope')).toBeNull();
    fake.account.metrics.probeSeries = async () => {
      throw awsError('ThrottlingException', 'slow down');
    };
    expect(await status.healthGraph('dc1')).toBeNull();
    await store.close();
  });
});
