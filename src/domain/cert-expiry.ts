/** One certificate in play (or the CRL), as `npm run pki -- list --json` prints it and the monitors report it. */
export interface CertEntry {
  site: string;
  /** null for what belongs to the whole site: its CA and its CRL. */
  tunnel: string | null;
  role: 'ca' | 'server' | 'client' | 'crl';
  subject: string;
  /** Upper-case hex; for the CRL, its CRL number in decimal. */
  serial: string;
  /** ISO time; for the CRL, its nextUpdate (after it OpenVPN refuses every client). */
  notAfter: string;
  /** Whole days left, rounded down; negative once past. */
  daysLeft: number;
  revoked: boolean;
}

const DAY_MS = 86_400_000;

export function daysLeft(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS);
}

const ROLE_ORDER: Record<CertEntry['role'], number> = { ca: 0, crl: 1, server: 2, client: 3 };

/** Site, then the site's own entries (CA, CRL), then per tunnel server before client, older before newer. */
export function sortEntries(entries: readonly CertEntry[]): CertEntry[] {
  return [...entries].sort(
    (a, b) =>
      a.site.localeCompare(b.site) ||
      (a.tunnel ?? '').localeCompare(b.tunnel ?? '') ||
      ROLE_ORDER[a.role] - ROLE_ORDER[b.role] ||
      a.notAfter.localeCompare(b.notAfter),
  );
}

/** One certificate as a server checks it before trusting its tunnel with traffic. */
export interface CertCheck {
  /** What it is, in the reason: "certificate", "CA certificate", "client certificate". */
  kind: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** When the site's CRL (as this server holds it) revoked it. */
  revokedAt?: Date;
  /** False when the CA this server trusts did not sign it. */
  signedByCa: boolean;
}

/** `2026-12-07 08:34 UTC`: a date a person reads in a reason, the same on every host. */
export const utcMinute = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * Why a certificate stops this tunnel (OpenVPN refuses the handshake, now or at its next renegotiation), or
 * null. The first fault of the list wins: the caller passes the server's own certificate first.
 */
export function certFault(
  checks: readonly CertCheck[],
  crlNextUpdate: Date | null,
  now: Date,
): string | null {
  for (const c of checks) {
    const who = c.subject.replace(/^CN=/, '');
    if (!c.signedByCa) return `${c.kind} not signed by this server's CA, wrong CA (${who})`;
    if (c.revokedAt) return `${c.kind} revoked ${utcMinute(c.revokedAt)} (${who})`;
    if (c.notAfter <= now) return `${c.kind} expired ${utcMinute(c.notAfter)} (${who})`;
    if (c.notBefore > now) return `${c.kind} not yet valid, until ${utcMinute(c.notBefore)} (${who})`;
  }
  // Since 2.4 OpenVPN refuses every client once the CRL it enforces is past its next update.
  if (crlNextUpdate && crlNextUpdate <= now)
    return `CRL expired ${utcMinute(crlNextUpdate)}: OpenVPN refuses every client`;
  return null;
}

/** Store namespace (kept per site) of what each server's monitor has in play; key `<site>/<tunnel>`. */
export const CERT_REPORT_NS = 'cert-report';
export const certReportKey = (site: string, tunnel: string): string => `${site}/${tunnel}`;

/** What one server's monitor last read: its CA, certificate, CRL and the client certificate at handshake. */
export interface CertReport {
  site: string;
  tunnel: string;
  /** ISO time of the read. */
  at: string;
  entries: CertEntry[];
  /** certFault() of this server, when a certificate stops its tunnel. */
  fault: string | null;
}
