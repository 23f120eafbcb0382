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
