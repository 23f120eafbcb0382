import { readFileSync } from 'node:fs';
import type { CertId } from '../domain/rotation-plan.js';
import { serialOf } from './certificates.js';
import * as x509 from './x509.js';

/** Larger than any certificate this tool makes: a file this big is not a server certificate. */
const MAX_PEM_BYTES = 64 * 1024;

/** Serial and expiry of the first certificate in a PEM text (bounded before parsing). */
export function certIdOf(pem: string): CertId {
  if (pem.length > MAX_PEM_BYTES) throw new Error(`certificate larger than ${MAX_PEM_BYTES} bytes`);
  const cert = new x509.X509Certificate(pem);
  return { serial: serialOf(cert), notAfter: cert.notAfter.toISOString() };
}

/** The certificate in a file, or undefined when it is missing or unreadable (the caller says so). */
export function certIdOfFile(path: string): CertId | undefined {
  try {
    return certIdOf(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}
