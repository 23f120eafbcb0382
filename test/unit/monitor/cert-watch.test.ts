import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CertWatch } from '../../../src/monitor/cert-watch.js';
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
});
