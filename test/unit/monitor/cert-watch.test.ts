import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CERT_REPORT_NS, type CertReport } from '../../../src/domain/cert-expiry.js';
import { SqliteStore } from '../../../src/local/sqlite-store.js';
import { CertWatch, serverCerts } from '../../../src/monitor/cert-watch.js';
import { Authority } from '../../../src/pki/authority.js';
import { DirTarget, publishSite } from '../../../src/pki/publish.js';
import { SiteDir } from '../../../src/pki/site-dir.js';
import { CERT_DAYS_LEFT } from '../../../src/ports/metrics.js';
import { captureLog } from '../../helpers/capture-log.js';

const ISSUED = new Date('2026-12-07T12:00:00Z');

describe('CertWatch: days left of what a server has in play, beside TunnelUp', () => {
  let root: string;
  let pkiDir: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cert-watch-'));
    const site = new SiteDir(join(root, 'pki'), 'dc1');
    const authority = new Authority(site, { now: () => ISSUED });
    await authority.init(400, 20);
    await authority.issue(['primary'], ['server', 'client'], 10);
    await publishSite(site, ['primary'], new DirTarget(join(root, 'bucket')));
    pkiDir = join(root, 'bucket', 'dc1', 'primary');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  function watch(nowMs: number, send: (c: PutMetricDataCommand) => Promise<unknown>, dir = pkiDir) {
    const { log, lines } = captureLog();
    const w = new CertWatch({
      pkiDir: dir,
      site: 'dc1',
      tunnel: 'primary',
      client: { send },
      clock: { now: () => nowMs },
      log,
    });
    return { w, lines };
  }

  it('sends CertDaysLeft per role (CA, server certificate, CRL next update) with Site, Tunnel and Role', async () => {
    const sent: PutMetricDataCommand[] = [];
    const { w, lines } = watch(ISSUED.getTime(), async (c) => sent.push(c));
    const entries = await w.check();
    expect(entries.map((e) => [e.role, e.daysLeft])).toEqual([
      ['ca', 400],
      ['server', 10],
      ['crl', 20],
    ]);
    expect(sent).toHaveLength(1);
    const data = sent[0]?.input.MetricData ?? [];
    expect(
      data.map((d) => [d.MetricName, d.Value, d.Dimensions?.map((x) => `${x.Name}=${x.Value}`).join(',')]),
    ).toEqual([
      [CERT_DAYS_LEFT, 400, 'Site=dc1,Tunnel=primary,Role=ca'],
      [CERT_DAYS_LEFT, 10, 'Site=dc1,Tunnel=primary,Role=server'],
      [CERT_DAYS_LEFT, 20, 'Site=dc1,Tunnel=primary,Role=crl'],
    ]);
    expect(lines.some((l) => String(l.msg).includes('nearest expiry: server in 10 days'))).toBe(true);
  });

  it('goes negative once a certificate has expired (the alarms stay in ALARM)', async () => {
    const sent: PutMetricDataCommand[] = [];
    const { w } = watch(ISSUED.getTime() + 12 * 86_400_000, async (c) => sent.push(c));
    await w.check();
    expect(sent[0]?.input.MetricData?.find((d) => d.Dimensions?.[2]?.Value === 'server')?.Value).toBe(-2);
  });

  it('logs and sends nothing when the files cannot be read; a failed send is logged, never thrown', async () => {
    const sent: PutMetricDataCommand[] = [];
    const missing = watch(ISSUED.getTime(), async (c) => sent.push(c), join(root, 'nowhere'));
    expect(await missing.w.check()).toEqual([]);
    expect(sent).toHaveLength(0);
    expect(missing.lines.some((l) => String(l.msg).includes('CertDaysLeft not sent'))).toBe(true);
    const failing = watch(ISSUED.getTime(), async () => {
      throw new Error('throttled');
    });
    expect(await failing.w.check()).toHaveLength(3);
    expect(failing.lines.some((l) => String(l.msg).includes('PutMetricData of CertDaysLeft failed'))).toBe(
      true,
    );
  });

  describe('the certificate fault (the down reason; no failover onto it) and the report for the bot', () => {
    const DAY = 86_400_000;
    let other: string;
    let site: SiteDir;

    beforeAll(async () => {
      site = new SiteDir(join(root, 'pki'), 'dc1');
      const stranger = new Authority(new SiteDir(join(root, 'other'), 'dc1'), { now: () => ISSUED });
      await stranger.init(400, 20);
      await stranger.issue(['primary'], ['client'], 10);
      other = join(root, 'other', 'dc1', 'primary', 'client.crt');
    });

    const read = (nowMs: number, peer?: string) =>
      serverCerts(pkiDir, 'dc1', 'primary', new Date(nowMs), peer);

    it('has none while everything is current; the handshake client certificate is listed as role client', async () => {
      const got = await read(ISSUED.getTime(), site.cert('primary', 'client'));
      expect(got.fault).toBeNull();
      expect(got.entries.map((e) => [e.role, e.daysLeft, e.revoked])).toEqual([
        ['ca', 400, false],
        ['server', 10, false],
        ['crl', 20, false],
        ['client', 10, false],
      ]);
      expect(got.entries[3]?.subject).toBe('CN=dc1-primary-client');
    });

    it('says "certificate expired <date>" once the server certificate has expired', async () => {
      const notAfter = new Date(ISSUED.getTime() + 10 * DAY).toISOString().slice(0, 16).replace('T', ' ');
      const got = await read(ISSUED.getTime() + 11 * DAY);
      expect(got.fault).toBe(`certificate expired ${notAfter} UTC (dc1-primary-server)`);
    });

    it('says when it is not yet valid, and when the client certificate comes from another CA', async () => {
      expect((await read(ISSUED.getTime() - DAY)).fault).toMatch(
        /^certificate not yet valid, until 2026-12-07 11:55 UTC \(dc1-primary-server\)$/,
      );
      expect((await read(ISSUED.getTime(), other)).fault).toBe(
        "client certificate not signed by this server's CA, wrong CA (dc1-primary-client)",
      );
    });

    it('says when the CRL it holds revokes the client certificate, or has expired', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'cert-watch-revoked-'));
      try {
        const s2 = new SiteDir(dir, 'dc1');
        const a2 = new Authority(s2, { now: () => ISSUED });
        await a2.init(400, 20);
        await a2.issue(['primary'], ['server', 'client'], 10);
        const serial = (await s2.readState()).certs.find((c) => c.role === 'client')?.serial ?? '';
        await a2.revoke(serial, 'keyCompromise');
        await publishSite(s2, ['primary'], new DirTarget(join(dir, 'bucket')));
        const got = await serverCerts(
          join(dir, 'bucket', 'dc1', 'primary'),
          'dc1',
          'primary',
          ISSUED,
          s2.cert('primary', 'client'),
        );
        expect(got.fault).toBe('client certificate revoked 2026-12-07 12:00 UTC (dc1-primary-client)');
        expect(got.entries.find((e) => e.role === 'client')?.revoked).toBe(true);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      expect((await read(ISSUED.getTime() + 21 * DAY)).fault).toMatch(
        /^certificate expired .* \(dc1-primary-server\)$/,
      );
    });

    it('keeps the fault for the monitor and reports the entries in the store, without CloudWatch too', async () => {
      const store = new SqliteStore({ path: ':memory:', clock: { now: () => ISSUED.getTime() } });
      try {
        const { log } = captureLog();
        const w = new CertWatch({
          pkiDir,
          site: 'dc1',
          tunnel: 'primary',
          store,
          clock: { now: () => ISSUED.getTime() + 11 * DAY },
          log,
        });
        expect(w.fault()).toBeNull();
        await w.check();
        expect(w.fault()).toMatch(/^certificate expired /);
        const rec = await store.get<CertReport>(CERT_REPORT_NS, 'dc1/primary');
        expect(rec?.value.fault).toBe(w.fault());
        expect(rec?.value.entries.map((e) => [e.role, e.daysLeft])).toEqual([
          ['ca', 389],
          ['server', -1],
          ['crl', 9],
        ]);
      } finally {
        await store.close();
      }
    });
  });
});
