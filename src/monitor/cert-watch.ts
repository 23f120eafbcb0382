import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  CERT_REPORT_NS,
  type CertCheck,
  type CertEntry,
  type CertReport,
  certFault,
  certReportKey,
  daysLeft,
} from '../domain/cert-expiry.js';
import type { Logger } from '../log.js';
import * as x509 from '../pki/x509.js';
import type { Clock } from '../ports/clock.js';
import { CERT_DAYS_LEFT, METRIC_NAMESPACE } from '../ports/metrics.js';
import type { Store } from '../ports/store.js';

const MAX_PEM_BYTES = 256 * 1024;

async function pem(path: string): Promise<string> {
  const buf = await readFile(path);
  if (buf.length > MAX_PEM_BYTES) throw new Error(`${path} is larger than ${MAX_PEM_BYTES} bytes`);
  return buf.toString('utf8');
}

/** The client certificate exported at the last handshake, or undefined when no client has connected yet. */
async function peerCert(path: string | undefined): Promise<x509.X509Certificate | undefined> {
  if (!path) return undefined;
  let text: string;
  try {
    text = await pem(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return new x509.X509Certificate(text);
}

async function signedByAny(
  cert: x509.X509Certificate,
  cas: readonly x509.X509Certificate[],
): Promise<boolean> {
  for (const ca of cas) {
    if (cert.issuer !== ca.subject) continue;
    if (await cert.verify({ publicKey: ca.publicKey, signatureOnly: true }).catch(() => false)) return true;
  }
  return false;
}

/** What a server holds in play, as entries (the metric, /vpn certs) and the fault that stops its tunnel, if any. */
export interface ServerCerts {
  entries: CertEntry[];
  fault: string | null;
}

/** The certificates and CRL a server has in play (`client`: the one presented at the last handshake, if any). */
interface InPlay {
  /** Every CA in ca.crt (two during a rollover): a certificate signed by any of them is trusted. */
  cas: x509.X509Certificate[];
  /** The CA that expires soonest. */
  ca: x509.X509Certificate;
  server: x509.X509Certificate;
  crl: x509.X509Crl;
  client: x509.X509Certificate | undefined;
}

/**
 * What this server has in play, read from its PKI directory (public files only, never a key): the CA (the
 * soonest to expire when a rollover puts two in ca.crt), its own certificate, its CRL's next update and, when
 * given, the client certificate its on-prem client presented at the last handshake (openvpn exports it there).
 */
export async function serverCerts(
  pkiDir: string,
  site: string,
  tunnel: string,
  now: Date,
  peerCertPath?: string,
): Promise<ServerCerts> {
  const held = await readInPlay(pkiDir, peerCertPath);
  const checks = await certChecks(held);
  return {
    entries: certEntries(held, site, tunnel, now),
    fault: certFault(checks, held.crl.nextUpdate ?? null, now),
  };
}

async function readInPlay(pkiDir: string, peerCertPath: string | undefined): Promise<InPlay> {
  const cas = x509.PemConverter.decode(await pem(join(pkiDir, 'ca.crt'))).map(
    (der) => new x509.X509Certificate(der),
  );
  const ca = [...cas].sort((a, b) => a.notAfter.getTime() - b.notAfter.getTime())[0];
  if (!ca) throw new Error(`${join(pkiDir, 'ca.crt')} holds no certificate`);
  const server = new x509.X509Certificate(await pem(join(pkiDir, 'server.crt')));
  const crl = new x509.X509Crl(await pem(join(pkiDir, 'crl.pem')));
  const client = await peerCert(peerCertPath);
  return { cas, ca, server, crl, client };
}

const revokedAt = (crl: x509.X509Crl, c: x509.X509Certificate): Date | undefined =>
  crl.findRevoked(c.serialNumber)?.revocationDate;

/** One entry per thing that expires: the metric's CertDaysLeft by role, and `/vpn certs`. */
function certEntries(held: InPlay, site: string, tunnel: string, now: Date): CertEntry[] {
  const entry = (
    role: CertEntry['role'],
    subject: string,
    serial: string,
    notAfter: Date,
    revoked = false,
  ): CertEntry => ({
    site,
    tunnel,
    role,
    subject,
    serial,
    notAfter: notAfter.toISOString(),
    daysLeft: daysLeft(notAfter, now),
    revoked,
  });
  const { ca, server, crl, client } = held;
  const entries = [
    entry('ca', ca.subject, ca.serialNumber.toUpperCase(), ca.notAfter),
    entry('server', server.subject, server.serialNumber.toUpperCase(), server.notAfter),
  ];
  // No next update means the CRL never expires (not one this tool makes); nothing to watch then.
  if (crl.nextUpdate) entries.push(entry('crl', crl.issuer, '', crl.nextUpdate));
  if (client) {
    const serial = client.serialNumber.toUpperCase();
    entries.push(entry('client', client.subject, serial, client.notAfter, Boolean(revokedAt(crl, client))));
  }
  return entries;
}

/** What the fault is decided on: each certificate's dates, signer and revocation. */
async function certChecks(held: InPlay): Promise<CertCheck[]> {
  const check = async (kind: string, c: x509.X509Certificate): Promise<CertCheck> => {
    const at = revokedAt(held.crl, c);
    return {
      kind,
      subject: c.subject,
      notBefore: c.notBefore,
      notAfter: c.notAfter,
      signedByCa: await signedByAny(c, held.cas),
      ...(at ? { revokedAt: at } : {}),
    };
  };
  const checks = [await check('certificate', held.server), await check('CA certificate', held.ca)];
  if (held.client) checks.push(await check('client certificate', held.client));
  return checks;
}

export interface CertWatchProps {
  pkiDir: string;
  site: string;
  tunnel: string;
  /** Where openvpn exports the client certificate at each handshake (tls-export-cert; server.conf). */
  peerCertPath?: string;
  /** CloudWatch (absent: no metric, as in the lab and without AWS). */
  client?: { send(command: PutMetricDataCommand): Promise<unknown> };
  /** Where the report goes for the bot (`/vpn certs`, the status page, the expiry messages). */
  store?: Store;
  clock: Clock;
  log: Logger;
  namespace?: string;
  /** How often the files are read (default 30 s: a renewed certificate or a new handshake is seen soon). */
  intervalMs?: number;
  /** How often CertDaysLeft is sent and the report rewritten when nothing changed (default 5 minutes). */
  publishMs?: number;
}

/**
 * Reads this server's certificates, keeps the fault that stops its tunnel (the monitor's down reason, and its
 * heartbeat: no failover goes onto a tunnel with one), publishes CertDaysLeft (the alarms at 30 and 7 days)
 * and reports them in the store. Reads the files each time, so a certificate or CRL replaced on disk is seen
 * without a restart. A failure is logged and retried next time: it never touches the probe loop.
 */
export class CertWatch {
  private timer: NodeJS.Timeout | undefined;
  private lastFault: string | null = null;
  private lastPublishAt = Number.NEGATIVE_INFINITY;
  private lastReported = '';

  constructor(private readonly props: CertWatchProps) {}

  start(): void {
    if (this.timer) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.props.intervalMs ?? 30_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The certificate fault found by the last read (null: none, or the files could not be read). */
  fault(): string | null {
    return this.lastFault;
  }

  /** One read, and the metric and report when due; returns what it saw (empty when the files could not be read). */
  async check(): Promise<CertEntry[]> {
    const { site, tunnel, log } = this.props;
    const now = new Date(this.props.clock.now());
    let read: ServerCerts;
    try {
      read = await serverCerts(this.props.pkiDir, site, tunnel, now, this.props.peerCertPath);
    } catch (err) {
      log.warn(
        { err: (err as Error).message },
        'cannot read this server certificates; CertDaysLeft not sent',
      );
      return [];
    }
    if (read.fault !== this.lastFault) log.warn({ fault: read.fault }, 'certificate fault changed');
    this.lastFault = read.fault;
    const changed = JSON.stringify(read) !== this.lastReported;
    if (!changed && now.getTime() - this.lastPublishAt < (this.props.publishMs ?? 300_000))
      return read.entries;
    this.lastPublishAt = now.getTime();
    this.lastReported = JSON.stringify(read);
    await Promise.all([this.sendMetric(read.entries, now), this.report(read, now)]);
    const nearest = read.entries.reduce((a, b) => (b.daysLeft < a.daysLeft ? b : a));
    log.info(
      { certs: read.entries.map((e) => `${e.role}:${e.daysLeft}`).join(' ') },
      `nearest expiry: ${nearest.role} in ${nearest.daysLeft} days`,
    );
    return read.entries;
  }

  private async sendMetric(entries: CertEntry[], now: Date): Promise<void> {
    const { site, tunnel, client, log } = this.props;
    if (!client) return;
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
      await client.send(
        new PutMetricDataCommand({ Namespace: this.props.namespace ?? METRIC_NAMESPACE, MetricData }),
      );
    } catch (err) {
      log.warn(
        { err: (err as Error).message },
        'PutMetricData of CertDaysLeft failed; retried at the next check',
      );
      this.lastPublishAt = Number.NEGATIVE_INFINITY;
    }
  }

  private async report(read: ServerCerts, now: Date): Promise<void> {
    const { site, tunnel, store, log } = this.props;
    if (!store) return;
    const report: CertReport = {
      site,
      tunnel,
      at: now.toISOString(),
      entries: read.entries,
      fault: read.fault,
    };
    try {
      // Kept a week: a server that is down still shows what it last had in play.
      await store.put(CERT_REPORT_NS, certReportKey(site, tunnel), report, 7 * 86_400_000);
    } catch (err) {
      log.warn(
        { err: (err as Error).message },
        'could not store the certificate report; retried at the next check',
      );
      this.lastReported = '';
    }
  }
}
