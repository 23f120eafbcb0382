import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLNumber, id_ce_cRLNumber } from '@peculiar/asn1-x509';
import { type CryptoKey, SIGNING_ALGORITHM } from './keys.js';
import * as x509 from './x509.js';

const DAY_MS = 86_400_000;

export interface RevokedEntry {
  serial: string;
  revokedAt: string;
  reason: RevocationReason;
}

export const REVOCATION_REASONS = [
  'unspecified',
  'keyCompromise',
  'superseded',
  'cessationOfOperation',
] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export interface CrlParams {
  ca: x509.X509Certificate;
  caKey: CryptoKey;
  revoked: readonly RevokedEntry[];
  /** Monotonic per site: a server can tell a newer CRL from an older one. */
  number: number;
  now: Date;
  days: number;
}

/**
 * The site's CRL. OpenVPN (since 2.4) refuses every client once the CRL's nextUpdate has passed, so the
 * CRL must be made again before then (`npm run pki -- crl`), and its nextUpdate is watched like an expiry.
 */
export async function createCrl(p: CrlParams): Promise<x509.X509Crl> {
  return x509.X509CrlGenerator.create({
    issuer: p.ca.subject,
    thisUpdate: p.now,
    nextUpdate: new Date(p.now.getTime() + p.days * DAY_MS),
    signingKey: p.caKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      await x509.AuthorityKeyIdentifierExtension.create(p.ca),
      new x509.Extension(id_ce_cRLNumber, false, AsnConvert.serialize(new CRLNumber(p.number))),
    ],
    entries: p.revoked.map((r) => ({
      serialNumber: r.serial,
      revocationDate: new Date(r.revokedAt),
      reason: x509.X509CrlReason[r.reason],
    })),
  });
}

/** PEM as openssl and OpenVPN read it: "X509 CRL" (the library's own PEM label, "CRL", is not accepted). */
export function crlPem(crl: x509.X509Crl): string {
  return x509.PemConverter.encode(crl.rawData, 'X509 CRL');
}

/** The CRL number of a CRL this tool made (0 when absent). */
export function crlNumber(crl: x509.X509Crl): number {
  const ext = crl.getExtension(id_ce_cRLNumber);
  if (!ext) return 0;
  return Number(AsnConvert.parse(ext.value, CRLNumber).value);
}
