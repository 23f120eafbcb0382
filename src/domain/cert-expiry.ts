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

/** The warnings, as the CloudWatch alarms have them: a month ahead, a week ahead. */
export const CERT_WARN_DAYS = [30, 7] as const;

/** How urgent an entry is: past (or revoked), within the 7-day or the 30-day warning, or fine. */
export function expiryLevel(e: Pick<CertEntry, 'daysLeft' | 'revoked'>): 'expired' | '7d' | '30d' | null {
  if (e.revoked || e.daysLeft < 0) return 'expired';
  if (e.daysLeft < CERT_WARN_DAYS[1]) return '7d';
  if (e.daysLeft < CERT_WARN_DAYS[0]) return '30d';
  return null;
}

/** What expires, in words, for a message or an alarm's description. */
export function certWhat(site: string, tunnel: string | null, role: CertEntry['role']): string {
  const t = tunnel ?? '<tunnel>';
  return {
    ca: `the CA of ${site}`,
    server: `the server certificate ${site}-${t}-server`,
    client: `the on-prem client certificate ${site}-${t}-client`,
    crl: `the CRL of ${site} (then OpenVPN refuses every client)`,
  }[role];
}

/** The command that fixes it (one text for the Slack messages and the CloudWatch alarms' descriptions). */
export function certFix(site: string, tunnel: string | null, role: CertEntry['role']): string {
  const t = tunnel ?? '<tunnel>';
  const publish = `npm run pki -- publish ${site} --bucket <CertBucketName>`;
  return {
    ca: 'roll the CA over (README, Certificates: CA rollover)',
    server: `npm run pki -- renew ${site} --tunnel ${t} --role server && ${publish}, then redeploy ${t} (/vpn redeploy ${site} ${t})`,
    client: `npm run pki -- renew ${site} --tunnel ${t} --role client && npm run pki -- bundle ${site} --out <dir>, then install the bundle on the ${t} on-prem host (docs/on-prem.md)`,
    crl: `npm run pki -- crl ${site} && ${publish} (servers load it within a minute)`,
  }[role];
}

/**
 * One site's certificates from its servers' reports: the site's own (CA, CRL) once, each tunnel's server and
 * client certificate; the nearest expiry first.
 */
export function mergeReports(reports: readonly CertReport[]): CertEntry[] {
  const byKey = new Map<string, CertEntry>();
  for (const r of reports)
    for (const e of r.entries) {
      const shared = e.role === 'ca' || e.role === 'crl';
      const entry = shared ? { ...e, tunnel: null } : e;
      const key = certKey(entry);
      const known = byKey.get(key);
      // Two servers may hold different CRLs for a minute (one refreshed first): the older one matters.
      if (!known || entry.daysLeft < known.daysLeft) byKey.set(key, entry);
    }
  return [...byKey.values()].sort((a, b) => a.daysLeft - b.daysLeft || a.notAfter.localeCompare(b.notAfter));
}

/** One Slack message per certificate: the site's CA by serial, its CRL, each tunnel's server and client by role. */
export const certKey = (e: Pick<CertEntry, 'site' | 'tunnel' | 'role' | 'serial'>): string =>
  e.role === 'ca' ? `${e.site}/ca/${e.serial}` : `${e.site}/${e.tunnel ?? '-'}/${e.role}`;
