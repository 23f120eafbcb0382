import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { CERT_REPORT_NS, type CertEntry, type CertReport } from '../../src/domain/cert-expiry.js';
import { HEARTBEAT_NS, type Heartbeat } from '../../src/domain/heartbeat.js';
import { SiteDir } from '../../src/pki/site-dir.js';
import { demoTopology, startTestApp, type TestApp } from '../helpers/test-app.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const warnings = (a: TestApp) =>
  a.slackStandin!.callsTo('chat.postMessage').filter((c) => String(c.args.text).includes('certificate'));

describe('certificates in the sandbox: its own PKI, a 20-day certificate, /vpn certs, one message per certificate', () => {
  it('makes the demo PKI at first start in the data dir, warns once about the 20-day certificate with its fix, and lists it', async () => {
    app = await startTestApp({ env: { TUNNELOPS_SANDBOX_PKI: '1' } });
    const site = new SiteDir(join(app.dataDir, 'pki'), 'dc1');
    expect(await site.exists()).toBe(true);
    expect(statSync(site.caKey).mode & 0o777).toBe(0o600);
    const posted = await waitFor('the expiry warning', () => warnings(app!)[0]);
    const text = String(posted.args.text);
    expect(text).toContain('the server certificate dc1-secondary-server expires');
    expect(text).toMatch(/\(in 19 day\(s\)\)|\(in 20 day\(s\)\)/);
    expect(text).toContain('Fix: `npm run pki -- renew dc1 --tunnel secondary --role server');

    await app.slack.command('certs dc1', 'UREQUESTER');
    const listed = JSON.stringify((await app.slack.waitForReplies(1)).at(-1));
    for (const role of [
      'ca',
      'crl',
      'primary server',
      'primary client',
      'secondary server',
      'secondary client',
    ])
      expect(listed).toContain(`*${role}*`);
    expect(listed).toContain('dc1-secondary-server');
    expect(listed).not.toContain('revoked*');
    // The status page: the site's nearest expiry, warned.
    const page = await (await fetch(`${app.url}/`)).text();
    expect(page).toMatch(
      /<p class="cert-expiry health-degraded" data-cert-days="(19|20)">! Nearest certificate expiry: <strong>secondary server<\/strong> dc1-secondary-server, /,
    );
    await app.slack.command('certs dc9', 'UREQUESTER');
    expect(JSON.stringify((await app.slack.waitForReplies(2)).at(-1))).toContain('dc9');
  });

  it('keeps one message per certificate across a restart and reuses the PKI (no new keys)', async () => {
    app = await startTestApp({ env: { TUNNELOPS_SANDBOX_PKI: '1' } });
    await waitFor('the expiry warning', () => warnings(app!)[0]);
    const dataDir = app.dataDir;
    const caBefore = statSync(join(dataDir, 'pki', 'dc1', 'ca.key')).mtimeMs;
    await app.close(false);
    app = await startTestApp({ dataDir, env: { TUNNELOPS_SANDBOX_PKI: '1' } });
    await new Promise((r) => setTimeout(r, 1000));
    expect(warnings(app)).toHaveLength(0);
    expect(statSync(join(dataDir, 'pki', 'dc1', 'ca.key')).mtimeMs).toBe(caBefore);
    const rec = await app.ctx.store.get<CertReport>(CERT_REPORT_NS, 'dc1/secondary');
    const server = rec?.value.entries.find((e: CertEntry) => e.role === 'server');
    expect(server?.daysLeft).toBeGreaterThanOrEqual(19);
    expect(server?.daysLeft).toBeLessThanOrEqual(20);
  });
});

describe("the sandbox's simulated monitors carry its PKI's certificate fault, as the real monitor does", () => {
  it('21 days after the first start the 20-day server certificate is expired: in the heartbeat, and no failover goes onto it', async () => {
    const topology = demoTopology();
    for (const s of topology.sites) Object.assign(s.failover, { mode: 'auto', probeIntervalSeconds: 0.05 });
    // The PKI is made now (real time); the app's clock reads 21 days later, when the secondary's certificate has expired.
    const later = { now: () => Date.now() + 21 * 86_400_000 };
    app = await startTestApp({ topology, clock: later, env: { TUNNELOPS_SANDBOX_PKI: '1' } });
    const a = app;
    const beat = await waitFor('the fault in the heartbeat', async () => {
      const b = (await a.ctx.store.get<Heartbeat>(HEARTBEAT_NS, 'dc1/secondary'))?.value;
      return b?.certFault ? b : undefined;
    });
    expect(beat.certFault).toMatch(/^certificate expired .* \(dc1-secondary-server\)$/);
    const primary = await a.ctx.store.get<Heartbeat>(HEARTBEAT_NS, 'dc1/primary');
    expect(primary?.value.certFault).toBeUndefined();

    a.ctx.sandbox!.chaos.break('dc1', 'primary');
    const refused = await waitFor('the refusal', () =>
      a
        .slackStandin!.callsTo('chat.postMessage')
        .find((c) => String(c.args.text).includes('unfit: certificate expired')),
    );
    expect(String(refused.args.text)).toContain('dc1');
    const obs = (await a.ctx.account.routeTables.observe(a.ctx.topology.sites)).get('dc1');
    expect(obs?.ok && [...new Set(obs.value.map((r) => r.tunnel))]).toEqual(['primary']);
    const audit = await a.ctx.store.listAudit({ site: 'dc1' });
    expect(audit.filter((e) => e.action === 'failover' && e.event === 'succeeded')).toHaveLength(0);
  });
});
