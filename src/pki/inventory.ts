import { type CertEntry, daysLeft, sortEntries } from '../domain/cert-expiry.js';
import { serialOf } from './certificates.js';
import { crlNumber } from './crl.js';
import type { SiteDir } from './site-dir.js';

/**
 * Every certificate of a site in play: its CA, its CRL, each tunnel's current server and client certificate,
 * and older ones not yet expired (still accepted unless revoked). Reads no private key.
 */
export async function siteInventory(dir: SiteDir, now: Date): Promise<CertEntry[]> {
  const state = await dir.readState();
  const ca = await dir.readCa();
  const entries: CertEntry[] = [
    {
      site: dir.site,
      tunnel: null,
      role: 'ca',
      subject: ca.subject,
      serial: serialOf(ca),
      notAfter: ca.notAfter.toISOString(),
      daysLeft: daysLeft(ca.notAfter, now),
      revoked: false,
    },
  ];
  const crl = await dir.readCrl();
  if (crl?.nextUpdate)
    entries.push({
      site: dir.site,
      tunnel: null,
      role: 'crl',
      subject: crl.issuer,
      serial: String(crlNumber(crl)),
      notAfter: crl.nextUpdate.toISOString(),
      daysLeft: daysLeft(crl.nextUpdate, now),
      revoked: false,
    });
  for (const c of state.certs) {
    const notAfter = new Date(c.notAfter);
    const current = !c.supersededAt && !c.revoked;
    if (!current && notAfter <= now) continue;
    entries.push({
      site: dir.site,
      tunnel: c.tunnel,
      role: c.role,
      subject: c.subject,
      serial: c.serial,
      notAfter: c.notAfter,
      daysLeft: daysLeft(notAfter, now),
      revoked: Boolean(c.revoked),
    });
  }
  return sortEntries(entries);
}
