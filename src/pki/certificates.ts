import { randomBytes } from 'node:crypto';
import { type CryptoKey, type CryptoKeyPair, SIGNING_ALGORITHM } from './keys.js';
import { caCn, type LeafRole, leafCn } from './names.js';
import * as x509 from './x509.js';

const DAY_MS = 86_400_000;
/** Backdated a little so a peer whose clock runs a few minutes behind still accepts a fresh certificate. */
const BACKDATE_MS = 5 * 60_000;

/** A positive 127-bit random serial in upper-case hex, the way openssl prints it. */
export function newSerial(random: Buffer = randomBytes(16)): string {
  const bytes = Buffer.from(random);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40; // positive, and no leading zero byte to strip
  return bytes.toString('hex').toUpperCase();
}

/** The upper-case hex form of a serial, as openssl and Node print it (the library gives lower case). */
export const serialOf = (cert: x509.X509Certificate): string => cert.serialNumber.toUpperCase();

/** PEM with a final newline, so files concatenate into bundles (the library's own PEM has none). */
export const certPem = (cert: x509.X509Certificate): string => `${cert.toString('pem')}\n`;

export interface CaParams {
  site: string;
  keys: CryptoKeyPair;
  now: Date;
  days: number;
}

/** The site's self-signed CA: signs its servers', clients' certificates and its CRL, nothing else. */
export async function createCa(p: CaParams): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerial(),
    name: `CN=${caCn(p.site)}`,
    notBefore: new Date(p.now.getTime() - BACKDATE_MS),
    notAfter: new Date(p.now.getTime() + p.days * DAY_MS),
    keys: p.keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(p.keys.publicKey),
    ],
  });
}

export interface LeafParams {
  site: string;
  tunnel: string;
  role: LeafRole;
  publicKey: CryptoKey;
  ca: x509.X509Certificate;
  caKey: CryptoKey;
  now: Date;
  days: number;
}

/**
 * A server or client certificate of one tunnel. Key usage and extended key usage are what OpenVPN's
 * `remote-cert-tls server|client` checks on the other side; the common name is what `verify-x509-name` pins.
 */
export async function createLeaf(p: LeafParams): Promise<x509.X509Certificate> {
  const eku = p.role === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth;
  const notAfter = new Date(p.now.getTime() + p.days * DAY_MS);
  if (notAfter > p.ca.notAfter)
    throw new RangeError(
      `the certificate would outlive its CA (CA valid until ${p.ca.notAfter.toISOString()}): use fewer --days or roll the CA over`,
    );
  return x509.X509CertificateGenerator.create({
    serialNumber: newSerial(),
    subject: `CN=${leafCn(p.site, p.tunnel, p.role)}`,
    issuer: p.ca.subject,
    notBefore: new Date(p.now.getTime() - BACKDATE_MS),
    notAfter,
    publicKey: p.publicKey,
    signingKey: p.caKey,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([eku]),
      await x509.SubjectKeyIdentifierExtension.create(p.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(p.ca),
    ],
  });
}
