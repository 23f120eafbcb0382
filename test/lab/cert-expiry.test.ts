/**
 * Lab 3, certificate expiry with real OpenVPN and the production shape (both monitors with the fast path, the
 * backstop, one store). The primary's server certificate is renewed for 10 days: its monitor reports it
 * (CertDaysLeft as the store report carries it), it is inside the 30-day warning, and the Slack message says
 * what expires when and the fix. The secondary's is replaced by one that has expired: its client refuses the
 * server, the secondary's monitor reports it down with the reason "certificate expired <date>", and when the
 * primary's openvpn then dies (restarted after onto its renewed certificate) no failover goes onto the secondary.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { CERT_REPORT_NS, expiryLevel, utcMinute } from '../../src/domain/cert-expiry.js';
import { SqliteStore } from '../../src/local/sqlite-store.js';
import { silentLogger } from '../../src/log.js';
import { Authority } from '../../src/pki/authority.js';
import { CertNotices } from '../../src/services/certs/cert-notices.js';
import { heartbeatTargetCheck } from '../../src/services/failover/heartbeat-target-check.js';
import { certResolvedMessage, certWarningMessage } from '../../src/slack/views/cert-view.js';
import { RecordingChat } from '../unit/failover/fakes.js';
import { describeLab } from './describe-lab.js';
import { Lab } from './lab.js';
import { readAudit, readCertReports, readHeartbeats } from './lab-observe.js';
import { PLAN } from './lab-plan.js';
import { restartWithoutFastPath, stopWithGoodbyeReadLate } from './late-goodbye.js';
import { waitFor } from './netns.js';

const DAY = 86_400_000;

describeLab('lab 3: certificate expiry (real OpenVPN)', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await Lab.up();
  }, 180_000);
  afterAll(async () => {
    await lab?.down();
  }, 60_000);

  /** Renews a tunnel's server certificate as of `issuedAt` and installs it where its server reads it, as publish + boot would. */
  async function installServerCert(t: 'primary' | 'secondary', issuedAt: Date, days: number): Promise<Date> {
    const site = lab.labPki.site;
    await new Authority(site, { now: () => issuedAt }).renew([t], ['server'], days);
    const dir = lab.pkiOf(t).server.dir;
    cpSync(site.cert(t, 'server'), join(dir, 'server.crt'));
    cpSync(site.key(t, 'server'), join(dir, 'server.key'));
    const rec = (await site.readState()).certs.filter((c) => c.tunnel === t && c.role === 'server').at(-1);
    return new Date(rec?.notAfter ?? 0);
  }

  it('a 10-day server certificate: reported, inside the warning, one Slack message with the fix; an expired one: down with "certificate expired <date>", no failover onto it', async () => {
    const store = lab.files.store;
    const site = lab.site.name;

    // The secondary's server certificate expired two days ago (issued for one day, three days ago).
    const expiredAt = await installServerCert('secondary', new Date(Date.now() - 3 * DAY), 1);
    await lab.startServer('secondary');
    const reason = `certificate expired ${utcMinute(expiredAt)} (${site}-secondary-server)`;
    const downWithReason = await waitFor(
      async () => {
        const beat = readHeartbeats(store, site).secondary;
        return beat?.health === 'down' && beat.certFault === reason;
      },
      45_000,
      250,
    );
    expect(downWithReason).toBe(true);
    expect(await lab.tunnelWorks('secondary')).toBe(false);
    expect(lab.serverLog('secondary')).toMatch(/tunnel health changed/);
    expect(lab.serverLog('secondary')).toContain(reason);

    // The target checks call it unfit (what an approved or automatic failover asks just before moving routes).
    const reader = new SqliteStore({ path: store, clock: { now: () => Date.now() } });
    try {
      const fit = await heartbeatTargetCheck({ store: reader, clock: { now: () => Date.now() } })(
        lab.site,
        'secondary',
      );
      expect(fit).toEqual({ healthy: false, reason: `secondary is unfit: ${reason}` });
    } finally {
      await reader.close();
    }

    // The primary's openvpn dies (it comes back below onto a certificate renewed for 10 days): nothing is fit to
    // take traffic. A crash, not a stop: its monitor reports the tunnel down at once and both fast paths decide on
    // that report (a stopped host's goodbye read seconds late under load would be a silent monitor instead).
    const downAt = Date.now();
    const tenDays = await installServerCert('primary', new Date(), 10);
    lab.killServerOpenvpn('primary');
    const alerted = await waitFor(
      async () =>
        readAudit(store, site).some(
          (e) => Date.parse(e.at) >= downAt && JSON.stringify(e).includes('certificate expired'),
        ),
      30_000,
      250,
    );
    expect(alerted).toBe(true);
    expect(await lab.routeShow()).toContain(`via ${PLAN.primary.serverVpcIp}`);
    expect(await lab.routeShow()).not.toContain(`via ${PLAN.secondary.serverVpcIp}`);
    expect(
      readAudit(store, site).filter(
        (e) => Date.parse(e.at) >= downAt && e.action === 'failover' && e.event === 'started',
      ),
    ).toEqual([]);
    await lab.startServer('primary');
    expect(await lab.waitTunnel('primary', 45_000)).toBe(true);

    // The primary's monitor reports the 10-day certificate (CertDaysLeft), inside the 30-day warning.
    const primaryServer = () =>
      readCertReports(store, site)
        .find((r) => r.tunnel === 'primary')
        ?.entries.find((e) => e.role === 'server' && e.notAfter === tenDays.toISOString());
    expect(await waitFor(async () => primaryServer() !== undefined, 45_000, 500)).toBe(true);
    const reported = primaryServer();
    // The client certificate as the server saw it at the handshake (tls-export-cert + peer-cert.sh), role client.
    const client = readCertReports(store, site)
      .find((r) => r.tunnel === 'primary')
      ?.entries.find((e) => e.role === 'client');
    expect(client?.subject).toBe(`CN=${site}-primary-client`);
    expect(client?.serial).toBe(
      (await lab.labPki.site.readState()).certs.find((c) => c.tunnel === 'primary' && c.role === 'client')
        ?.serial,
    );
    expect(reported && [reported.daysLeft, expiryLevel(reported)]).toEqual([9, '30d']);

    // Slack: one message for that certificate, saying what expires when and the fix (and one for the expired one).
    const notices = new SqliteStore({ path: ':memory:', clock: { now: () => Date.now() } });
    try {
      for (const r of readCertReports(store, site))
        await notices.put(CERT_REPORT_NS, `${site}/${r.tunnel}`, r);
      const chat = new RecordingChat();
      const poster = new CertNotices({
        topology: { sites: [lab.site] } as never,
        store: notices,
        chat,
        clock: { now: () => Date.now() },
        log: silentLogger(),
        render: { warning: certWarningMessage, resolved: certResolvedMessage },
      });
      await poster.tick();
      await poster.tick();
      const texts = chat.posts.map((p) => p.text);
      const ten = texts.filter((t) =>
        t.includes(`${site}-primary-server expires ${utcMinute(tenDays)} (in 9 day(s))`),
      );
      expect(ten).toHaveLength(1);
      expect(ten[0]).toContain(`Fix: \`npm run pki -- renew ${site} --tunnel primary --role server`);
      expect(
        texts.filter((t) => t.includes(`${site}-secondary-server expired ${utcMinute(expiredAt)}`)),
      ).toHaveLength(1);
    } finally {
      await notices.close();
    }
  }, 240_000);

  // After the test above: the primary up on its 10-day certificate, the secondary down on its expired one.
  it("the primary stops gracefully and its goodbye is read late: an alert naming the secondary's expired certificate, no failover", async () => {
    const store = lab.files.store;
    const site = lab.site.name;
    const staleMs = lab.site.failover.heartbeatStaleSeconds * 1000;
    await restartWithoutFastPath(lab, 'primary');
    // The restart is an outage of its own (both down, alerted): wait until a decider sees the primary carry
    // traffic again, which ends that alert, so the next one is news.
    const upAgain = Date.now();
    const settled = await waitFor(
      async () => lab.decisions(upAgain).some((l) => l.includes('controller decided none')),
      70_000,
      500,
    );
    expect(settled).toBe(true);
    const bye = await stopWithGoodbyeReadLate(lab, 'primary', staleMs + 2000);
    const lateAlert = () =>
      readAudit(store, site).find(
        (e) =>
          e.event === 'both-down-alert' &&
          Date.parse(e.at) > Date.parse(bye.at) + staleMs &&
          String(e.detail?.reason).includes('its server is stopping: goodbye'),
      );
    const alerted = await waitFor(async () => lateAlert() !== undefined, 30_000, 250);
    if (!alerted)
      console.log(
        `goodbye ${JSON.stringify(bye)}\ndecisions:\n${lab.decisions(Date.parse(bye.at) - 5000).join('\n')}\naudit:\n${readAudit(
          store,
          site,
        )
          .filter((e) => Date.parse(e.at) >= Date.parse(bye.at) - 5000)
          .map((e) => JSON.stringify(e))
          .join('\n')}`,
      );
    expect(alerted).toBe(true);
    expect(String(lateAlert()?.detail?.reason)).toContain('secondary is unfit: certificate expired');
    expect(await lab.routeShow()).toContain(`via ${PLAN.primary.serverVpcIp}`);
    expect(await lab.routeShow()).not.toContain(`via ${PLAN.secondary.serverVpcIp}`);
    expect(
      readAudit(store, site).filter(
        (e) => Date.parse(e.at) >= Date.parse(bye.at) && e.action === 'failover' && e.event === 'started',
      ),
    ).toEqual([]);
  }, 180_000);
});
