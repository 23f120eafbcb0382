import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { type CertEntry, daysLeft } from '../domain/cert-expiry.js';
import type { Logger } from '../log.js';
import * as x509 from '../pki/x509.js';
import type { Clock } from '../ports/clock.js';
import { CERT_DAYS_LEFT, METRIC_NAMESPACE } from '../ports/metrics.js';

const MAX_PEM_BYTES = 256 * 1024;

async function pem(path: string): Promise<string> {
  const buf = await readFile(path);
  if (buf.length > MAX_PEM_BYTES) throw new Error(`${path} is larger than ${MAX_PEM_BYTES} bytes`);
  return buf.toString('utf8');
}

/**
 * What this server has in play, read from its PKI directory (public files only, never a key): the CA (the
 * soonest to expire when a rollover puts two in ca.crt), its own certificate, and its CRL's next update.
 */
export async function serverCertEntries(
  pkiDir: string,
  site: string,
  tunnel: string,
  now: Date,
): Promise<CertEntry[]> {
  const entry = (role: CertEntry['role'], subject: string, serial: string, notAfter: Date): CertEntry => ({
    site,
    tunnel,
    role,
    subject,
    serial,
    notAfter: notAfter.toISOString(),
    daysLeft: daysLeft(notAfter, now),
    revoked: false,
  });
  const cas = x509.PemConverter.decode(await pem(join(pkiDir, 'ca.crt'))).map(
    (der) => new x509.X509Certificate(der),
  );
  const ca = [...cas].sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime())[0];
  if (!ca) throw new Error(`${join(pkiDir, 'ca.crt')} holds no certificate`);
  const server = new x509.X509Certificate(await pem(join(pkiDir, 'server.crt')));
  const crl = new x509.X509Crl(await pem(join(pkiDir, 'crl.pem')));
  const entries = [
    entry('ca', ca.subject, ca.serialNumber.toUpperCase(), ca.notAfter),
    entry('server', server.subject, server.serialNumber.toUpperCase(), server.notAfter),
  ];
  // No next update means the CRL never expires (not one this tool makes); nothing to watch then.
  if (crl.nextUpdate) entries.push(entry('crl', crl.issuer, '', crl.nextUpdate));
  return entries;
}

export interface CertWatchProps {
  pkiDir: string;
  site: string;
  tunnel: string;
  client: { send(command: PutMetricDataCommand): Promise<unknown> };
  clock: Clock;
  log: Logger;
  namespace?: string;
  /** How often the files are read and the metric sent (default 5 minutes; a day is the unit that matters). */
  intervalMs?: number;
}

/**
 * Publishes CertDaysLeft of this server's CA, certificate and CRL (the alarms at 30 and 7 days watch it).
 * Reads the files each time, so a certificate or CRL replaced on disk is seen without a restart. A failure
 * is logged and retried next time: it never touches the probe loop.
 */
export class CertWatch {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly props: CertWatchProps) {}

  start(): void {
    if (this.timer) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.props.intervalMs ?? 300_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One read and send; returns what it saw (empty when the files could not be read). */
  async check(): Promise<CertEntry[]> {
    const { site, tunnel, log } = this.props;
    const now = new Date(this.props.clock.now());
    let entries: CertEntry[];
    try {
      entries = await serverCertEntries(this.props.pkiDir, site, tunnel, now);
    } catch (err) {
      log.warn(
        { err: (err as Error).message },
        'cannot read this server certificates; CertDaysLeft not sent',
      );
      return [];
    }
    const MetricData: MetricDatum[] = entries.map((e) => ({
      MetricName: CERT_DAYS_LEFT,
      Dimensions: [
        { Name: 'Site', Value: site },
        { Name: 'Tunnel', Value: tunnel },
        { Name: 'Role', Value: e.role },
      ],
      Timestamp: now,
      Value: e.daysLeft,
      Unit: 'None',
    }));
    try {
      await this.props.client.send(
        new PutMetricDataCommand({ Namespace: this.props.namespace ?? METRIC_NAMESPACE, MetricData }),
      );
    } catch (err) {
      log.warn(
        { err: (err as Error).message },
        'PutMetricData of CertDaysLeft failed; retried at the next check',
      );
    }
    const nearest = entries.reduce((a, b) => (b.daysLeft < a.daysLeft ? b : a));
    log.info(
      { certs: entries.map((e) => `${e.role}:${e.daysLeft}`).join(' ') },
      `nearest expiry: ${nearest.role} in ${nearest.daysLeft} days`,
    );
    return entries;
  }
}
