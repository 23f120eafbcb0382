import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { SandboxAccount } from '../../src/local/sandbox-account.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { monitorsUp } from './approvals-support.js';

/** The sandbox's simulated account lives in the store: a restart shows the world its history describes. */
let app: TestApp | undefined;
let dataDir: string | undefined;
afterEach(async () => {
  await app?.close(false);
  app = undefined;
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

interface SiteJson {
  activeTunnel: string | null;
  routesAgree: boolean | null;
  lastFailover: { event: string; detail?: { to?: string } } | null;
  tunnels: Array<{ name: string; active: boolean; health: string }>;
}
const siteOf = async (a: TestApp): Promise<SiteJson> =>
  ((await (await fetch(`${a.url}/api/status?site=dc1`)).json()) as { sites: SiteJson[] }).sites[0]!;

describe('sandbox restart', () => {
  it('keeps the routes moved by a failover and a chaos break: status after a restart agrees with history', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'tunnelops-restart-'));
    app = await startTestApp({ dataDir });
    // An approved failover needs the target's monitor to say up (rise rounds: ~5 s after start).
    await monitorsUp(app);
    const approvals = app.ctx.services.approvals;
    const asked = await approvals.request({ action: 'failover', site: 'dc1', requester: 'UREQUESTER' });
    expect(asked.ok).toBe(true);
    const id = asked.ok ? asked.request.id : '';
    const done = await approvals.approve(id, 'UAPPROVER1');
    expect(done.ok && done.request.state).toBe('succeeded');
    const chaos = await fetch(`${app.url}/api/sandbox/chaos`, {
      method: 'POST',
      body: JSON.stringify({ site: 'dc1', tunnel: 'primary', action: 'break' }),
    });
    expect(chaos.status).toBe(200);
    const before = await siteOf(app);
    expect(before.activeTunnel).toBe('secondary');
    await app.close(false);

    app = await startTestApp({ dataDir });
    const after = await siteOf(app);
    expect(after.activeTunnel).toBe('secondary');
    expect(after.routesAgree).toBe(true);
    expect(after.lastFailover).not.toBeNull();
    const history = await app.ctx.store.listAudit({ site: 'dc1' });
    const moved = history.filter((e) => e.event === 'routes-changed');
    expect(moved.length).toBeGreaterThan(0);
    expect(moved.every((e) => (e.detail as { to?: string } | undefined)?.to === 'secondary')).toBe(true);
    // The chaos survived too: the primary is still broken.
    expect((app.ctx.account as SandboxAccount).tunnelUp('dc1', 'primary')).toBe(false);
    expect((app.ctx.account as SandboxAccount).tunnelUp('dc1', 'secondary')).toBe(true);
  });
});
